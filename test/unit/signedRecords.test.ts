/** Canonical strings and signatures of authority records: any changed field breaks the signature. */
import { describe, expect, it } from "vitest"
import {
  keyRotationText,
  knownVerdict,
  ledgerEntryText,
  peerDecisionText,
  signRecord,
  taskDecisionText,
  verifyRecord,
  type LedgerEntryRecord,
  type TaskDecisionRecord,
} from "../../src/core/signedRecords.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"

async function keyPair() {
  const pair = await generateSigningKey()
  return { publicKey: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

const decision: TaskDecisionRecord = { taskId: "task-1", decision: "approve", leaseId: "lease-1", tip: 5, feedback: "nice", decidedBy: "alice", decidedAt: 1_000 }
const entry: LedgerEntryRecord = { key: "tip:task-1", identity: "ada", kind: "grant", bucket: "split", amount: 5, reason: "tip", at: 1_000, by: { kind: "system", name: "relay" } }

describe("signed records", () => {
  it("a task decision verifies, and fails when its task, decision, lease, tip, feedback, decider or time changes", async () => {
    const alice = await keyPair()
    const sig = await signRecord(alice, taskDecisionText(decision))
    expect(await verifyRecord(alice.publicKey, taskDecisionText(decision), sig)).toBe(true)
    const changes: Partial<TaskDecisionRecord>[] = [
      { taskId: "task-2" },
      { decision: "requeue" },
      { leaseId: "lease-2" },
      { leaseId: undefined },
      { tip: 1000 },
      { tip: undefined },
      { feedback: "other" },
      { decidedBy: "mallory" },
      { decidedAt: 1_001 },
    ]
    for (const change of changes) expect(await verifyRecord(alice.publicKey, taskDecisionText({ ...decision, ...change }), sig), JSON.stringify(change)).toBe(false)
    // Another key's signature over the same decision is not alice's.
    const mallory = await keyPair()
    expect(await verifyRecord(alice.publicKey, taskDecisionText(decision), await signRecord(mallory, taskDecisionText(decision)))).toBe(false)
  })

  it("a ledger entry binds key, resident, kind, bucket, amount, reason, time and signer", async () => {
    const relay = await keyPair()
    const sig = await signRecord(relay, ledgerEntryText(entry))
    expect(await verifyRecord(relay.publicKey, ledgerEntryText(entry), sig)).toBe(true)
    const changes: Partial<LedgerEntryRecord>[] = [
      { key: "tip:task-2" },
      { identity: "bo" },
      { kind: "spend" },
      { bucket: "journal" },
      { amount: 500 },
      { reason: "x" },
      { at: 2 },
      { by: { kind: "operator", name: "relay" } },
      { by: { kind: "system", name: "other" } },
    ]
    for (const change of changes) expect(await verifyRecord(relay.publicKey, ledgerEntryText({ ...entry, ...change }), sig), JSON.stringify(change)).toBe(false)
  })

  it("peer decisions and key rotations bind every field", async () => {
    const owner = await keyPair()
    const d = { peer: "bob", role: "operator" as const, publicKey: "ab".repeat(32), state: "approved" as const, decidedBy: "owner", decidedAt: 5 }
    const dSig = await signRecord(owner, peerDecisionText(d))
    expect(await verifyRecord(owner.publicKey, peerDecisionText(d), dSig)).toBe(true)
    for (const change of [{ peer: "eve" }, { role: "worker" as const }, { publicKey: "cd".repeat(32) }, { state: "revoked" as const }, { decidedBy: "x" }, { decidedAt: 6 }])
      expect(await verifyRecord(owner.publicKey, peerDecisionText({ ...d, ...change }), dSig)).toBe(false)
    const r = { peer: "bob", from: "ab".repeat(32), to: "cd".repeat(32), by: "bob", at: 7 }
    const rSig = await signRecord(owner, keyRotationText(r))
    expect(await verifyRecord(owner.publicKey, keyRotationText(r), rSig)).toBe(true)
    for (const change of [{ peer: "eve" }, { from: "ef".repeat(32) }, { to: "ef".repeat(32) }, { by: "owner" }, { at: 8 }])
      expect(await verifyRecord(owner.publicKey, keyRotationText({ ...r, ...change }), rSig)).toBe(false)
  })

  it("canonical strings cannot be shifted from one field into the next", () => {
    const a = taskDecisionText({ ...decision, feedback: "a", decidedBy: "b" })
    const b = taskDecisionText({ ...decision, feedback: 'a","b', decidedBy: "" })
    expect(a).not.toBe(b)
  })

  it("remembers each verdict: known without waiting after the first check, malformed input is false", async () => {
    const alice = await keyPair()
    const text = taskDecisionText({ ...decision, taskId: `task-${Math.random()}` })
    const sig = await signRecord(alice, text)
    expect(knownVerdict(alice.publicKey, text, sig)).toBeUndefined()
    expect(await verifyRecord(alice.publicKey, text, sig)).toBe(true)
    expect(knownVerdict(alice.publicKey, text, sig)).toBe(true)
    expect(await verifyRecord(alice.publicKey, text, "00".repeat(64))).toBe(false)
    expect(knownVerdict(alice.publicKey, text, "00".repeat(64))).toBe(false)
    expect(await verifyRecord("not hex", text, sig)).toBe(false)
  })
})
