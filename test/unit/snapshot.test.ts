/** The PWA's document snapshots: a handler never throws, and a broken document keeps the last good snapshot. */
import { describe, expect, it } from "vitest"
import { readSnapshot } from "../../src/app/composables/snapshot.ts"
import { readLedger } from "../../src/workspace/documentReaders.ts"

const wallets = (entries: unknown) => ({ schemaVersion: 1, kind: "wallets", entries })
const entry = { key: "g", identity: "ada", kind: "grant", amount: 5, bucket: "split", reason: "r", at: 1, by: { kind: "system", name: "relay" } }

describe("readSnapshot", () => {
  it("reads a valid document; a document of another kind or a throwing read keeps the last good value and says why", () => {
    const first = readSnapshot(readLedger, () => wallets({ g: entry }), "wallets w", undefined)
    expect(first.value?.get("g")).toMatchObject({ amount: 5 })
    expect(first.error).toBeUndefined()

    const rewritten = readSnapshot(readLedger, () => ({ ...wallets({}), kind: "queue" }), "wallets w", first.value)
    expect(rewritten.value).toBe(first.value)
    expect(rewritten.error).toBeUndefined()
    expect(rewritten.issues).toContainEqual(expect.objectContaining({ doc: "wallets w", message: "showing its last valid state" }))

    const throwing = readSnapshot(readLedger, () => { throw new Error("document unavailable") }, "wallets w", first.value)
    expect(throwing.value).toBe(first.value)
    expect(throwing.issues).toContainEqual(expect.objectContaining({ message: "cannot be read: document unavailable" }))

    // Nothing shown before: the error says why there is nothing.
    const never = readSnapshot(readLedger, () => null, "wallets w", undefined)
    expect(never.value).toBeUndefined()
    expect(never.error).toMatch(/wallets w/)
  })
})
