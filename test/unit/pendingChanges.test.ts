/** The "N changes waiting" rule on plain Automerge documents: only this device's changes the relay does not hold. */
import * as A from "@automerge/automerge"
import { encodeHeads } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { countWaiting, type AckState } from "../../src/app/session/pendingChanges.ts"

type Doc = { n: number; notes: string[] }
const URL = "automerge:doc"

/** The relay's copy: made elsewhere, with changes this device never wrote. */
function relayDoc(changes: number): A.Doc<Doc> {
  let doc = A.from<Doc>({ n: 0, notes: [] })
  for (let i = 0; i < changes; i++) doc = A.change(doc, d => void d.notes.push(`relay ${i}`))
  return doc
}

/** This device loading a document (from the relay or IndexedDB): Automerge gives it a fresh actor. */
const load = (doc: A.Doc<Doc>) => A.load<Doc>(A.save(doc))
const edit = (doc: A.Doc<Doc>, times = 1) => {
  for (let i = 0; i < times; i++) doc = A.change(doc, d => void (d.n += 1))
  return doc
}
const heads = (doc: A.Doc<Doc>) => encodeHeads(A.getHeads(doc))
const count = (state: AckState, doc: A.Doc<Doc>, relay?: A.Doc<Doc>) =>
  countWaiting(state, { url: URL, doc, heads: heads(doc), ...(relay ? { relayHeads: heads(relay) } : {}) })
const empty = (): AckState => ({ acked: {}, actors: {} })

describe("countWaiting", () => {
  it("counts nothing for a document copied from the relay and never edited here, acknowledged or not", () => {
    const doc = load(relayDoc(40))
    expect(count(empty(), doc)).toEqual({ waiting: 0, moved: false })
    const state = empty()
    expect(count(state, doc, doc)).toEqual({ waiting: 0, moved: true })
    expect(state.acked[URL]).toEqual(heads(doc))
  })

  it("counts each local change once, remembers this device's actor, and keeps counting after a reload", () => {
    const state = empty()
    const relay = relayDoc(3)
    let doc = load(relay)
    count(state, doc, relay)
    doc = edit(doc, 2)
    expect(count(state, doc)).toEqual({ waiting: 2, moved: true })
    expect(state.actors[URL]).toEqual([A.getActorId(doc)])

    // A reload offline: a new actor for the same document; the earlier changes still wait.
    let reloaded = load(doc)
    expect(A.getActorId(reloaded)).not.toBe(A.getActorId(doc))
    expect(count(state, reloaded).waiting).toBe(2)
    reloaded = edit(reloaded)
    expect(count(state, reloaded)).toEqual({ waiting: 3, moved: true })
    expect(state.actors[URL]).toHaveLength(2)
  })

  it("does not count changes received from the relay after the last acknowledgement", () => {
    const state = empty()
    const relay = relayDoc(1)
    let doc = load(relay)
    count(state, doc, relay)
    doc = edit(doc)
    const others = A.change(relay, d => void d.notes.push("from another peer"))
    doc = A.merge(doc, others)
    expect(count(state, doc).waiting).toBe(1)
  })

  it("counts only what the relay's sync state does not show, and forgets the actors once it holds everything", () => {
    const state = empty()
    let relay = relayDoc(1)
    let doc = load(relay)
    count(state, doc, relay)
    doc = edit(doc)
    relay = A.merge(relay, doc)
    doc = edit(doc)
    // The relay holds the first edit, not the second: a newer baseline.
    expect(count(state, doc, relay)).toEqual({ waiting: 1, moved: true })
    expect(state.acked[URL]).toEqual(heads(relay))
    relay = A.merge(relay, doc)
    expect(count(state, doc, relay)).toEqual({ waiting: 0, moved: true })
    expect(state.actors[URL]).toBeUndefined()
  })

  it("counts a document created on this device until the relay holds it", () => {
    const state = empty()
    const doc = A.change(A.init<Doc>(), d => Object.assign(d, { n: 1, notes: [] }))
    expect(count(state, doc).waiting).toBe(1)
    expect(count(state, doc, doc).waiting).toBe(0)
  })
})
