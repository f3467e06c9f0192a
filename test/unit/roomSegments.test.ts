/** The pure rules of room segments: periods, where a message is written, the merge, what the relay adds. */
import { describe, expect, it } from "vitest"
import type { Message } from "../../schemas/index.ts"
import { RoomEntry } from "../../schemas/index.ts"
import { mergeSegments, periodEnd, roomSegments, segmentPeriod, segmentsDue, SEGMENT_LEAD_MS, writeSegment } from "../../src/domain/rooms/segments.ts"
import { authorizeRoomEntryChange } from "../../src/domain/rooms/authority.ts"
import type { Principal } from "../../src/core/principal.ts"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { RoomDoc, RoomIndexDoc } from "../../schemas/index.ts"
import { addDueSegments, postMessage } from "../../src/domain/rooms/index.ts"
import { refusals, startGateHarness } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()

const NOV_10 = Date.UTC(2026, 10, 10)
const DEC_1 = Date.UTC(2026, 11, 1)
const msg = (id: string, at: number): Message => ({ id, author: "alice", content: id, importance: 5, at })
const entry = (segments?: { period: string; url: string }[]) => ({ url: "automerge:first", createdAt: Date.UTC(2026, 0, 5), ...(segments ? { segments } : {}) })

describe("room segments", () => {
  it("a period is the UTC month; it ends where the next begins (December into January too)", () => {
    expect(segmentPeriod(NOV_10)).toBe("2026-11")
    expect(periodEnd("2026-11")).toBe(DEC_1)
    expect(segmentPeriod(periodEnd("2026-12"))).toBe("2027-01")
    expect(segmentPeriod(DEC_1 - 1)).toBe("2026-11")
  })

  it("a room from before segments is one segment: its first document", () => {
    expect(roomSegments(entry())).toEqual([{ url: "automerge:first" }])
    expect(roomSegments(entry([{ period: "2026-12", url: "automerge:dec" }, { period: "2026-11", url: "automerge:nov" }])).map(s => s.url)).toEqual([
      "automerge:dec",
      "automerge:nov",
      "automerge:first",
    ])
  })

  it("a message goes to the newest segment whose period has begun; without one, to the first document", () => {
    const segments = roomSegments(entry([{ period: "2026-12", url: "automerge:dec" }, { period: "2026-11", url: "automerge:nov" }]))
    expect(writeSegment(segments, NOV_10).url).toBe("automerge:nov")
    expect(writeSegment(segments, DEC_1).url).toBe("automerge:dec")
    expect(writeSegment(segments, Date.UTC(2027, 3, 1)).url).toBe("automerge:dec")
    expect(writeSegment(segments, Date.UTC(2026, 5, 1)).url).toBe("automerge:first")
    // A peer that does not hold December's segment yet writes into November's.
    expect(writeSegment(segments.slice(1), DEC_1 + 5).url).toBe("automerge:nov")
  })

  it("merging keeps one segment's own order, orders across segments by (at, id) and keeps each id once", () => {
    const first = [msg("b", 2), msg("a", 1), msg("c", 3)]
    expect(mergeSegments([first]).map(m => m.id)).toEqual(["b", "a", "c"])
    // A late message written into November's segment after December's began.
    const nov = [msg("n1", 10), msg("late", 25)]
    const dec = [msg("d1", 20), msg("d2", 30), msg("late", 25)]
    expect(mergeSegments([dec, nov]).map(m => m.id)).toEqual(["n1", "d1", "late", "d2"])
    expect(mergeSegments([nov, dec]).map(m => m.id)).toEqual(["n1", "d1", "late", "d2"])
    expect(mergeSegments([[msg("y", 5)], [msg("x", 5)]]).map(m => m.id)).toEqual(["x", "y"])
    expect(mergeSegments([])).toEqual([])
  })

  it("the relay adds the current period once a room is older than it, and the next one near the end", () => {
    expect(segmentsDue({ createdAt: NOV_10 }, NOV_10)).toEqual([])
    expect(segmentsDue({ createdAt: Date.UTC(2026, 0, 5) }, NOV_10)).toEqual(["2026-11"])
    expect(segmentsDue({ createdAt: NOV_10 }, DEC_1 - SEGMENT_LEAD_MS)).toEqual(["2026-12"])
    expect(segmentsDue({ createdAt: Date.UTC(2026, 0, 5) }, DEC_1 - 1)).toEqual(["2026-11", "2026-12"])
    expect(segmentsDue({ createdAt: NOV_10, segments: [{ period: "2026-12", url: "automerge:dec" }] }, DEC_1 - 1)).toEqual([])
    expect(segmentsDue({ createdAt: NOV_10, segments: [{ period: "2026-12", url: "automerge:dec" }] }, Date.UTC(2027, 1, 3))).toEqual(["2027-02"])
  })

  it("a room entry's segments are checked, and only the relay lists them", () => {
    const base = { id: "town_hall", kind: "room", title: "Town hall", members: [], url: "automerge:first", createdAt: 1 }
    expect(RoomEntry.safeParse({ ...base, segments: [{ period: "2026-13", url: "automerge:x" }] }).success).toBe(false)
    expect(RoomEntry.safeParse({ ...base, segments: [{ period: "2026-12", url: "automerge:x" }] }).success).toBe(true)
    const alice: Principal = { peer: "alice", role: "operator", publicKeyHex: "a".repeat(64) }
    const ctx = { key: "town_hall", residentHolder: () => undefined }
    const listed = { ...base, kind: "room" as const, segments: [{ period: "2026-12", url: "automerge:x" }] }
    expect(authorizeRoomEntryChange(undefined, listed, alice, ctx)).toEqual({ ok: false, reason: "room town_hall lists segments: only the relay adds a room's segments" })
    expect(authorizeRoomEntryChange(undefined, { ...base, kind: "room" }, alice, ctx).ok).toBe(true)
  })

  it("the relay's gate: operators post into a segment, but never change its period or list segments themselves", async () => {
    const h = await startGateHarness(teardown)
    await addDueSegments(h.workspace, Date.UTC(2031, 4, 2))
    const op = await h.peer("alice", "operator")
    const ctx = { workspace: op.workspace, actor: { kind: "operator" as const, name: "alice" } }
    await postMessage({ ...ctx, now: Date.UTC(2031, 4, 3) }, "town_hall", { content: "into May's segment" })
    expect(refusals(await op.push())).toEqual([])

    const index = await op.repo.find<RoomIndexDoc>(op.workspace.root.docs.rooms as AutomergeUrl)
    const may = await op.repo.find<RoomDoc>(index.doc().rooms.town_hall!.segments![0]!.url as AutomergeUrl)
    may.change(d => {
      d.period = "2031-06"
    })
    index.change(d => {
      d.rooms.watercooler!.segments = [{ period: "2031-07", url: may.url }]
    })
    expect(refusals(await op.push()).sort()).toEqual([
      expect.stringContaining("room.period is fixed when the document is created"),
      expect.stringContaining("room watercooler: segments never change once the room is listed"),
    ])
  })
})

