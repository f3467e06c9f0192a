/**
 * Records that carry authority — task decisions, ledger entries and checkpoints, peer and
 * device decisions and key rotations — are signed by the peer that makes them, over a canonical string that binds
 * every field that matters. Readers check the signature here and the signer's right to make
 * the record in src/core/authorityChain.ts. Pure apart from WebCrypto (Node and browser).
 *
 * Verification is cached by the record's text, key and signature: a reader re-reading an
 * unchanged record (a 10,000-task queue on every change) never verifies it twice.
 */
import type { Actor, ApprovalState, LedgerEntry, PeerRecord } from "../../schemas/index.ts"
import { signHex, verifyHex } from "./signing.ts"

/** What signs a record: the signing peer's name (who the record says made it) and private key. */
export interface RecordSigner {
  actor: Actor
  key: CryptoKey
}

/** One JSON array per record kind: unambiguous (no field can run into the next) and stable. */
function canonical(kind: string, fields: readonly (string | number | null)[]): string {
  return JSON.stringify([`vivarium.${kind}.v1`, ...fields])
}

// ── (a) an operator's decision on a pending review ─────────────────────────────

export const DECISIONS = ["approve", "requeue", "fail"] as const
export type ReviewDecision = (typeof DECISIONS)[number]

export interface TaskDecisionRecord {
  taskId: string
  decision: ReviewDecision
  /** The lease of the result being decided: a signature never carries over to another run. */
  leaseId: string | undefined
  tip: number | undefined
  feedback: string | undefined
  decidedBy: string
  decidedAt: number
}

export const taskDecisionText = (r: TaskDecisionRecord): string =>
  canonical("task-decision", [r.taskId, r.decision, r.leaseId ?? null, r.tip ?? null, r.feedback ?? null, r.decidedBy, r.decidedAt])

// ── (b) a ledger entry (grant or spend) ─────────────────────────────────────────

export type LedgerEntryRecord = Omit<LedgerEntry, "sig">

export const ledgerEntryText = (e: LedgerEntryRecord): string =>
  canonical("ledger-entry", [e.key, e.identity, e.kind, e.bucket, e.amount, e.reason, e.at, e.by.kind, e.by.name])

// ── (c) an approval or revocation of a peer ─────────────────────────────────────

export interface PeerDecisionRecord {
  peer: string
  role: PeerRecord["role"]
  /** The key being approved or revoked. */
  publicKey: string
  state: Exclude<ApprovalState, "pending">
  decidedBy: string
  decidedAt: number
}

export const peerDecisionText = (r: PeerDecisionRecord): string =>
  canonical("peer-decision", [r.peer, r.role, r.publicKey, r.state, r.decidedBy, r.decidedAt])

// ── (d) a key rotation ──────────────────────────────────────────────────────────

export interface KeyRotationRecord {
  peer: string
  from: string
  to: string
  /** The peer itself (signing with the old key) or the owner. */
  by: string
  at: number
}

export const keyRotationText = (r: KeyRotationRecord): string => canonical("key-rotation", [r.peer, r.from, r.to, r.by, r.at])

// ── (e) an operator's decision on one of its own devices (a paired terminal) ──────

/** `decidedBy` is the operator itself, or the owner. */
export interface DeviceDecisionRecord extends Omit<PeerDecisionRecord, "peer" | "role"> {
  device: string
  /** The operator whose authority and name the device carries. */
  operator: string
}

export const deviceDecisionText = (r: DeviceDecisionRecord): string =>
  canonical("device-decision", [r.device, r.operator, r.publicKey, r.state, r.decidedBy, r.decidedAt])

// ── (f) the relay's checkpoint of the ledger at the close of a period ─────────────

export interface LedgerCheckpointRecord {
  period: string
  by: string
  at: number
  /** The checkpoint's canonical JSON (src/domain/wallets/checkpoint.ts). */
  body: string
}

export const ledgerCheckpointText = (r: LedgerCheckpointRecord): string => canonical("ledger-checkpoint", [r.period, r.by, r.at, r.body])

// ── signing and cached verification ─────────────────────────────────────────────

export function signRecord(signer: Pick<RecordSigner, "key">, text: string): Promise<string> {
  return signHex(signer.key, text)
}

const MAX_CACHED = 200_000
const verdicts = new Map<string, boolean | Promise<boolean>>()

const cacheKey = (publicKeyHex: string, text: string, sigHex: string) => `${publicKeyHex}:${sigHex}:${text}`

/**
 * The verdict already known for this record, without waiting: true or false once checked,
 * undefined while unknown (call verifyRecord). Synchronous readers use this.
 */
export function knownVerdict(publicKeyHex: string, text: string, sigHex: string): boolean | undefined {
  const v = verdicts.get(cacheKey(publicKeyHex, text, sigHex))
  return typeof v === "boolean" ? v : undefined
}

/** True only for a valid signature by `publicKeyHex` over `text`; each record is checked once. */
export function verifyRecord(publicKeyHex: string, text: string, sigHex: string): Promise<boolean> {
  const key = cacheKey(publicKeyHex, text, sigHex)
  const known = verdicts.get(key)
  if (known !== undefined) return Promise.resolve(known)
  if (verdicts.size >= MAX_CACHED) verdicts.clear()
  const pending = verifyHex(publicKeyHex, text, sigHex).then(ok => {
    if (verdicts.get(key) === pending) verdicts.set(key, ok)
    return ok
  })
  verdicts.set(key, pending)
  return pending
}
