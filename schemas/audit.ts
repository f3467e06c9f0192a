import { z } from "zod"
import { Actor, LIMITS, PeerName, SchemaVersion, Timestamp } from "./common.ts"

export const AUDIT_KINDS = [
  "transition",
  "safety_block",
  "llm_call",
  "approval",
  "peer_decision",
  "kill_switch",
  "duplicate_run",
  "lease",
  "data_rejected",
] as const
export const AuditKind = z.enum(AUDIT_KINDS)
export type AuditKind = z.infer<typeof AuditKind>

/**
 * One entry of a peer's hash-chained audit log. `prev` is the hash of the previous
 * entry ("" for seq 0); `sig` is the Ed25519 signature over the entry without `sig`.
 */
export const AuditEntry = z.object({
  seq: z.number().int().nonnegative(),
  prev: z.string().regex(/^([0-9a-f]{64})?$/),
  at: Timestamp,
  actor: Actor,
  kind: AuditKind,
  subject: z.string().max(200),
  data: z.string().max(LIMITS.auditData),
  sig: z.string().regex(/^[0-9a-f]{128}$/),
})
export type AuditEntry = z.infer<typeof AuditEntry>

export const AuditDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("audit"),
  peer: PeerName,
  entries: z.array(AuditEntry),
})
export type AuditDoc = z.infer<typeof AuditDoc>

