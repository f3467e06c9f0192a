/**
 * A checkpoint: the relay's record, at the close of a period, of what derivation carries on
 * from (every resident's balances and every key counted so far), with the heads and entry
 * counts of the segments it read. It is signed by the relay's key; a reader starts from the
 * newest checkpoint that verifies against the chain of authority and applies only the
 * entries it did not count, so it loads the open period and one checkpoint, never the history.
 */
import { CheckpointBody, LedgerCheckpointDoc, type LedgerPeriod } from "../../../schemas/index.ts"
import type { AuthorityChain } from "../../core/authorityChain.ts"
import { ledgerCheckpointText, signRecord, verifyRecord, type RecordSigner } from "../../core/signedRecords.ts"
import type { LedgerStart } from "./ledger.ts"

export interface SegmentCoverage {
  heads: string[]
  entries: number
}

/** The checkpoint's body as canonical JSON: residents and keys sorted, so one state has one text. */
export function checkpointBody(period: LedgerPeriod, start: LedgerStart, segments: Record<string, SegmentCoverage>): string {
  const balances = Object.fromEntries([...start.balances].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, b]) => [id, [b.freeTime, b.journal] as [number, number]]))
  const body: CheckpointBody = { period, segments, balances, keys: [...start.covered].sort() }
  return JSON.stringify(body)
}

/** The signed checkpoint document's fields (the body stays a plain string here; the writer stores it immutable). */
export async function signCheckpoint(period: LedgerPeriod, body: string, at: number, signer: RecordSigner): Promise<Omit<LedgerCheckpointDoc, "schemaVersion" | "kind">> {
  const sig = await signRecord(signer, ledgerCheckpointText({ period, by: signer.actor.name, at, body }))
  return { period, by: signer.actor.name, at, body, sig }
}

export type CheckpointVerdict = { ok: true; period: LedgerPeriod; start: LedgerStart; body: CheckpointBody } | { ok: false; reason: string }

/**
 * A checkpoint document as a reader judges it: the expected period, signed by a key the
 * chain of authority held for the relay at its time, over a body that parses. Anything else
 * is not counted (the reader derives from the segments instead) and the reason is given.
 */
export async function verifyCheckpoint(value: unknown, period: LedgerPeriod, chain: AuthorityChain): Promise<CheckpointVerdict> {
  const doc = LedgerCheckpointDoc.safeParse(value)
  if (!doc.success) return { ok: false, reason: `not a checkpoint (${doc.error.issues[0]?.path.join(".") || "document"}: ${doc.error.issues[0]?.message})` }
  const { by, at, sig } = doc.data
  if (doc.data.period !== period) return { ok: false, reason: `it says it closes ${doc.data.period}, but the index lists it for ${period}` }
  const text = typeof doc.data.body === "string" ? doc.data.body : doc.data.body.val
  const key = chain.keyFor(by, ["relay"], at)
  if (!key) return { ok: false, reason: `${by} held no relay key valid at that time` }
  if (!(await verifyRecord(key, ledgerCheckpointText({ period, by, at, body: text }), sig))) return { ok: false, reason: `the relay's signature does not match the checkpoint` }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { ok: false, reason: "its body is not JSON" }
  }
  const body = CheckpointBody.safeParse(parsed)
  if (!body.success || body.data.period !== period) return { ok: false, reason: "its body is not a checkpoint of that period" }
  const balances = new Map(Object.entries(body.data.balances).map(([id, [freeTime, journal]]) => [id, { freeTime, journal }]))
  return { ok: true, period, start: { balances, covered: new Set(body.data.keys) }, body: body.data }
}
