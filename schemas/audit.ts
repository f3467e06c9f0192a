import { z } from "zod"
import { Actor, LIMITS, PeerName, SchemaVersion, storedString, Timestamp } from "./common.ts"
import { SegmentPeriod } from "./social.ts"

export const AUDIT_KINDS = [
  "transition",
  "safety_block",
  "llm_call",
  "approval",
  "peer_decision",
  "kill_switch",
  "controls",
  "social",
  "payout",
  "duplicate_run",
  "lease",
  "data_rejected",
  "task_added",
  "task_edited",
  "plan",
  "skill",
  "hat",
  "snapshot",
  "restore",
  "proposal",
  "loop",
  "community",
  "artifact",
] as const
export const AuditKind = z.enum(AUDIT_KINDS)
export type AuditKind = z.infer<typeof AuditKind>

/**
 * One entry of a peer's hash-chained audit log. `prev` is the hash of the previous
 * entry ("" for seq 0), across segments; `sig` is the Ed25519 signature over the entry
 * without `sig`. Nobody edits an entry: its strings may be stored as immutable values.
 */
export const AuditEntry = z.object({
  seq: z.number().int().nonnegative(),
  prev: storedString(z.string().regex(/^([0-9a-f]{64})?$/)),
  at: Timestamp,
  actor: Actor,
  kind: storedString(AuditKind),
  subject: storedString(z.string().max(200)),
  data: storedString(z.string().max(LIMITS.auditData)),
  sig: storedString(z.string().regex(/^[0-9a-f]{128}$/)),
})
export type AuditEntry = z.infer<typeof AuditEntry>

/**
 * The owner's signed statement "my log's entry `seq` has hash `hash`": `sig` is the
 * Ed25519 signature over `head:<peer>:<seq>:<hash>`. It lets a reader tell a truncated
 * log from a short one (see src/domain/audit/audit.ts).
 */
export const SignedHead = z.object({
  seq: z.number().int().nonnegative(),
  hash: storedString(z.string().regex(/^[0-9a-f]{64}$/)),
  sig: storedString(z.string().regex(/^[0-9a-f]{128}$/)),
})
export type SignedHead = z.infer<typeof SignedHead>

export const AuditDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("audit"),
  peer: PeerName,
  /** A later segment's UTC month; absent in the log's first document (`auditUrl`). */
  period: SegmentPeriod.optional(),
  entries: z.array(AuditEntry),
  /** The newest entry as signed by the owner, written in the same change as that entry. */
  head: SignedHead.optional(),
})
export type AuditDoc = z.infer<typeof AuditDoc>

