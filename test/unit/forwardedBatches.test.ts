/** A client's side of live forwarding: which answers to a forwarded batch it holds back. */
import * as A from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { ForwardedBatches } from "../../src/peer/forwardedBatches.ts"

const doc = A.change(A.from({ text: "" }), d => A.splice(d, ["text"], 0, 0, "a"))
const heads = A.getHeads(doc)
const later = A.getHeads(A.change(doc, d => A.splice(d, ["text"], 1, 0, "b")))
const message = (m: Partial<A.DecodedSyncMessage>) => A.encodeSyncMessage({ heads, need: [], have: [{ lastSync: heads, bloom: new Uint8Array() }], changes: [], ...m })

describe("answers to forwarded batches", () => {
  it("holds back only an answer that repeats the heads of the batch it answers", () => {
    const batches = new ForwardedBatches()
    batches.received("doc-1", message({ changes: A.getAllChanges(doc) }), true)
    expect(batches.needless("doc-1", message({}))).toBe(true)
    // The peer's own changes, a need, or heads the relay has not named all go out.
    expect(batches.needless("doc-1", message({ changes: A.getAllChanges(doc) }))).toBe(false)
    expect(batches.needless("doc-1", message({ need: later }))).toBe(false)
    expect(batches.needless("doc-1", message({ heads: later }))).toBe(false)
    // Another document, or bytes that are no sync message.
    expect(batches.needless("doc-2", message({}))).toBe(false)
    expect(batches.needless("doc-1", new Uint8Array([1, 2, 3]))).toBe(false)
  })

  it("answers again once the relay speaks the full protocol about that document, or after a reconnect", () => {
    const batches = new ForwardedBatches()
    batches.received("doc-1", message({}), true)
    batches.received("doc-1", message({}), false)
    expect(batches.needless("doc-1", message({}))).toBe(false)
    batches.received("doc-1", message({}), true)
    batches.clear()
    expect(batches.needless("doc-1", message({}))).toBe(false)
    // A forwarded message the peer cannot read leaves nothing to hold back.
    batches.received("doc-1", new Uint8Array([9]), true)
    expect(batches.needless("doc-1", message({}))).toBe(false)
  })
})
