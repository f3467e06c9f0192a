import * as A from "@automerge/automerge"
import type { DocHandle } from "@automerge/automerge-repo"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { LedgerEntry, WalletsDoc } from "../../schemas/index.ts"
import { emptyDays, placeEntry, segmentSize, storedEntry } from "../../src/domain/wallets/days.ts"
import type { DataIssue } from "../../src/core/validate.ts"
import { deriveWallets, type Wallet } from "../../src/domain/wallets/ledger.ts"
import { dayOf, LEDGER_DAYS } from "../../src/domain/wallets/periods.ts"
import { tailEntries, type Ledger } from "../../src/domain/wallets/segments.ts"
import { readLedger } from "../../src/workspace/documentReaders.ts"
import { arbitraryLedger, ledgerEntryOf } from "../helpers/ledgerArbitrary.ts"

const DAY = 86_400_000
/** 2026-11-01T00:00:00Z: a month of 30 days. */
const MONTH = Date.UTC(2026, 10, 1)

const entry = (over: Partial<LedgerEntry> & Pick<LedgerEntry, "key">): LedgerEntry => ledgerEntryOf({ at: MONTH, ...over })

const segment = (days?: boolean): WalletsDoc => ({ schemaVersion: 1, kind: "wallets", period: "2026-11", entries: {}, ...(days ? { days: emptyDays() } : {}) })

/** What derivation makes of a list of entries: every resident's balances and every effect, in order. */
const derived = (wallets: Map<string, Wallet>) =>
  Object.fromEntries([...wallets].map(([id, w]) => [id, [w.freeTime, w.journal, w.entries.map(e => [e.entry.key, e.status, e.freeTime, e.journal])]]))

/** Random ledgers over a month and a bit (some entries dated in the next month, as late ones are), each entry flagged written before day maps or not. */
const ledger = fc.tuple(
  arbitraryLedger(80, fc.integer({ min: 0, max: 34 }).chain(day => fc.integer({ min: 0, max: 3 }).map(t => MONTH + day * DAY + t * 1_000))),
  fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
).map(([entries, flat]) => entries.map((entry, i) => ({ entry, flat: flat[i]! })))

/** A ledger of segments as a reader holds it (only `doc()` of each is read). */
const ledgerOf = (docs: WalletsDoc[]): Ledger => {
  const tail = docs.map(d => ({ doc: () => d, url: "automerge:test" }) as unknown as DocHandle<WalletsDoc>)
  return { open: tail[tail.length - 1]!, tail, issues: [] }
}

describe("a ledger segment's day maps", () => {
  it("derivation over segments in day maps, flat maps or both equals derivation over the same entries in one flat map", () => {
    fc.assert(
      fc.property(ledger, fc.nat(), (list, cut) => {
        // One flat map, the first copy of a key kept: what the ledger held before day maps.
        const flat = segment()
        for (const { entry: e } of list) flat.entries[e.key] ??= e
        // The same entries over two segments: an older one, flat; then one whose first entries
        // were written flat, before the relay added the day maps, and the rest by the writer.
        const boundary = list.length ? cut % (list.length + 1) : 0
        const older = segment()
        const open = segment()
        list.forEach(({ entry: e, flat: beforeDays }, i) => {
          const held = [older, open].some(s => storedEntry(s, e.key) !== undefined)
          if (held) return
          if (i < boundary) older.entries[e.key] = e
          else if (beforeDays && !open.days) open.entries[e.key] = e
          else {
            open.days ??= emptyDays()
            expect(placeEntry(open, e)).toBe(true)
          }
        })
        const sharded = tailEntries(ledgerOf([older, open]), [])
        expect([...sharded.keys()].sort()).toEqual(Object.keys(flat.entries).sort())
        expect(derived(deriveWallets(sharded.values()))).toEqual(derived(deriveWallets(readLedger(flat, "wallets", []).values())))
        expect(segmentSize(older) + segmentSize(open)).toBe(Object.keys(flat.entries).length)
      }),
      { numRuns: 300 },
    )
  })

  it("the writer puts an entry in its UTC day's map, once per key whatever the map, and in the flat map while a segment has no day maps", () => {
    let doc = A.from<WalletsDoc>(segment(true))
    const first = entry({ key: "g1", at: Date.UTC(2026, 10, 5, 23, 59) })
    const again = entry({ key: "g1", at: Date.UTC(2026, 10, 6, 0, 1), amount: 99 })
    doc = A.change(doc, d => void expect(placeEntry(d, first)).toBe(true))
    doc = A.change(doc, d => void expect(placeEntry(d, again)).toBe(false))
    expect(doc.days!["05"]).toEqual({ g1: first })
    expect(Object.values(doc.days!).reduce((n, day) => n + Object.keys(day).length, 0)).toBe(1)
    expect(readLedger(doc, "wallets", []).get("g1")).toEqual(first)

    const old = segment()
    expect(placeEntry(old, first)).toBe(true)
    expect(old).toEqual({ ...segment(), entries: { g1: first } })
  })

  it("reads a key stored twice (two offline writers, different days) once, the first copy: flat map, then days in order", () => {
    const doc = segment(true)
    const late = entry({ key: "g1", at: Date.UTC(2026, 10, 20) })
    const early = entry({ key: "g1", at: Date.UTC(2026, 10, 3), by: { kind: "operator", name: "bob" } })
    doc.days!["20"]!.g1 = late
    doc.days!["03"]!.g1 = early
    const issues: DataIssue[] = []
    expect([...readLedger(doc, "wallets", issues)]).toEqual([["g1", early]])
    expect(storedEntry(doc, "g1")).toEqual(early)
    doc.entries.g1 = late
    expect(readLedger(doc, "wallets", issues).get("g1")).toEqual(late)
    expect(issues).toEqual([])
  })

  it("reports a bad entry in a day map with its path and keeps the rest", () => {
    const doc = segment(true) as unknown as { days: Record<string, Record<string, unknown>> }
    doc.days["07"]!.good = entry({ key: "good" })
    doc.days["07"]!.bad = { key: "bad", amount: -1 }
    const issues: DataIssue[] = []
    expect([...readLedger(doc, "wallets", issues).keys()]).toEqual(["good"])
    expect(issues.length).toBeGreaterThan(0)
    expect(issues.every(i => i.path.startsWith("days.07.bad."))).toBe(true)
  })

  it("days are the UTC day of the month, 01 to 31", () => {
    expect(LEDGER_DAYS).toHaveLength(31)
    expect([LEDGER_DAYS[0], LEDGER_DAYS[30]]).toEqual(["01", "31"])
    expect(dayOf(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toBe("31")
    expect(dayOf(Date.UTC(2026, 1, 1))).toBe("01")
  })
})
