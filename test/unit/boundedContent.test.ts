/** The content of `npm run bench -- bounded` (bench/boundedContent.ts): a year of history, the same for every layout. */
import { describe, expect, it } from "vitest"
import { archivedTask, boundedLedger, boundedMessage, createdAt, monthBefore, monthOf, monthShare, MONTHS, spreadAt } from "../../bench/boundedContent.ts"
import { makeLedger } from "../../bench/social.ts"
import { segmentPeriod } from "../../src/domain/rooms/segments.ts"

const now = Date.UTC(2026, 11, 5, 18, 30)

describe("monthBefore", () => {
  it("is the UTC month back from now's, across the year, the current one ending now", () => {
    expect(monthBefore(now, 0)).toEqual({ period: "2026-12", start: Date.UTC(2026, 11, 1), end: now })
    expect(monthBefore(now, 11)).toEqual({ period: "2026-01", start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 1, 1) })
    expect(monthBefore(now, 12).period).toBe("2025-12")
    expect(createdAt(now)).toBe(Date.UTC(2026, 0, 1))
  })
})

describe("spreadAt", () => {
  const count = 1003

  it("gives each month an even share, in order, every item once", () => {
    const sizes = Array.from({ length: MONTHS }, (_, m) => monthShare(m, count))
    expect(sizes[0]!.first).toBe(0)
    expect(sizes.at(-1)!.last).toBe(count)
    for (let m = 1; m < MONTHS; m++) expect(sizes[m]!.first).toBe(sizes[m - 1]!.last)
    for (const { first, last } of sizes) expect(last - first).toBeGreaterThanOrEqual(Math.floor(count / MONTHS))
    for (let i = 0; i < count; i++) {
      const { first, last } = monthShare(monthOf(i, count), count)
      expect(i >= first && i < last).toBe(true)
    }
  })

  it("puts every item in its month, oldest first, never after now", () => {
    const times = Array.from({ length: count }, (_, i) => spreadAt(i, count, now))
    for (let i = 1; i < count; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!)
    expect(times.at(-1)!).toBeLessThan(now)
    for (let i = 0; i < count; i++) expect(segmentPeriod(times[i]!)).toBe(monthBefore(now, MONTHS - 1 - monthOf(i, count)).period)
  })
})

describe("the generators, retimed", () => {
  it("keep the other benches' messages and ledger, only their times moved", () => {
    expect(boundedMessage(7, 100, now)).toMatchObject({ id: "msg-7", author: "resident-7" })
    const ledger = boundedLedger(240, 20, now)
    expect(ledger.map(e => e.key)).toEqual(makeLedger(240, 20).map(e => e.key))
    expect(segmentPeriod(ledger[0]!.at)).toBe("2026-01")
    expect(segmentPeriod(ledger.at(-1)!.at)).toBe("2026-12")
  })

  it("finish archived tasks in the month they are archived under", () => {
    expect(segmentPeriod(archivedTask(0, 1, now).updatedAt)).toBe("2026-11")
    expect(archivedTask(0, 11, now)).toMatchObject({ status: "approved" })
    expect(segmentPeriod(archivedTask(0, 11, now).updatedAt)).toBe("2026-01")
  })
})
