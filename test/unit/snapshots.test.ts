import * as A from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { assignPast, differences, headsAt, readSnapshots, snapshotParts } from "../../src/domain/snapshots/index.ts"

const hash = (n: number) => n.toString(16).padStart(64, "0")

describe("snapshots, as pure rules", () => {
  it("a large workspace's heads are split into parts that each fit an audit entry, and read back whole only when every part is there", () => {
    const heads = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`automerge:doc${i}`, [hash(i), hash(i + 1000)]]))
    const parts = snapshotParts("before the release", 1_000, heads)
    expect(parts.length).toBeGreaterThan(1)
    for (const part of parts) expect(JSON.stringify(part).length).toBeLessThan(16_000)
    const entries = parts.map(p => ({ kind: "snapshot" as const, subject: "snap-1", data: JSON.stringify(p), actor: { kind: "operator" as const, name: "alice" } }))
    expect(readSnapshots(entries)).toEqual([{ id: "snap-1", name: "before the release", at: 1_000, by: "alice", heads }])
    expect(readSnapshots(entries.slice(1))).toEqual([])
    expect(readSnapshots([{ ...entries[0]!, data: "not json" }])).toEqual([])
  })

  it("the heads at a time: every change made by then and what it depends on, even from a lagging clock", () => {
    const changes = [
      { hash: "a", time: 10, deps: [] },
      { hash: "b", time: 20, deps: ["a"] },
      // Written later on a clock that lags: its dependency counts too.
      { hash: "c", time: 15, deps: ["b"] },
      { hash: "d", time: 40, deps: ["c"] },
    ]
    expect(headsAt(changes, 5_000)).toBeUndefined()
    expect(headsAt(changes, 12_000)).toEqual(["a"])
    expect(headsAt(changes, 16_000)).toEqual(["c"])
    expect(headsAt(changes, 60_000)).toEqual(["d"])
  })

  it("writes a past state back: removed keys return, added ones go, immutable strings stay immutable", () => {
    let doc = A.from<Record<string, unknown>>({ hats: { builder: { prompt: "small", editedBy: "alice" } }, note: new A.ImmutableString("kept") })
    const past = A.getHeads(doc)
    doc = A.change(doc, d => {
      ;(d.hats as Record<string, Record<string, unknown>>).builder!.prompt = "big"
      ;(d.hats as Record<string, unknown>).extra = { prompt: "new" }
      delete d.note
    })
    const then = A.view(doc, past)
    expect(differences(then, doc)).toEqual([
      { path: "hats.builder.prompt", action: "changed" },
      { path: "hats.extra", action: "added" },
      { path: "note", action: "removed" },
    ])
    doc = A.change(doc, d => assignPast(d, then, { by: "bob", at: 99 }))
    // Everything as it was, but the hat names its restorer as its last editor (not a difference).
    expect(differences(then, doc)).toEqual([])
    expect((doc.hats as Record<string, Record<string, unknown>>).builder).toEqual({ prompt: "small", editedBy: "bob", editedAt: 99 })
    expect(A.isImmutableString(doc.note)).toBe(true)
  })
})
