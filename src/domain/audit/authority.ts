/**
 * Who may write an audit document (a log's first document or one of its segments): the peer
 * it belongs to (the document's `peer`), and only by appending: existing entries never
 * change, `seq` continues from the last entry, and the signed head only moves forward. The
 * first entry of an empty segment carries the seq after the previous segment's last entry,
 * which this document alone cannot show: readers check that link (src/domain/audit/auditVerify.ts). Signatures and hashes are checked by readers
 * (src/domain/audit/audit.ts): this rule keeps anyone else from rewriting or rewinding the log.
 */
import type { AuditEntry, SignedHead } from "../../../schemas/index.ts"
import type { Principal } from "../../core/principal.ts"
import { ALLOWED, isSelf, refused, refusePending, same, type AuthorityVerdict } from "../../core/authority/verdict.ts"

/** One change to an audit log, as the gate reads it (old entries are not materialized). */
export interface AuditLogChange {
  /** The log's owner (the document's `peer`). */
  peer: string
  /** How many entries the document held before. */
  entriesBefore: number
  /** The seq of the document's first entry: 0 for a log's first document; absent for a segment still empty. */
  firstSeq: number | undefined
  /** The entries added at the end. */
  appended: readonly AuditEntry[]
  /** An existing entry was changed or removed (its seq when known). */
  rewritten?: { seq: number }
  headBefore?: SignedHead | undefined
  headAfter?: SignedHead | undefined
}

export function authorizeAuditChange(change: AuditLogChange, who: Principal): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  const { peer } = change
  if (!isSelf(peer, who)) return refused(`this is the audit log of ${peer}: only ${peer} writes it`)
  if (change.rewritten) return refused(`the audit log of ${peer} is append-only: entry ${change.rewritten.seq} never changes and is never removed`)
  const start = change.firstSeq ?? change.appended[0]?.seq ?? 0
  for (const [i, e] of change.appended.entries()) {
    const seq = start + change.entriesBefore + i
    if (e.seq !== seq) return refused(`the audit log of ${peer}: the entry at position ${seq} carries seq ${e.seq}; seq continues from the last entry`)
    if (e.actor.name !== peer) return refused(`the audit log of ${peer}: entry ${e.seq} is signed as ${e.actor.name}`)
  }
  const { headBefore, headAfter } = change
  if (!same(headBefore, headAfter)) {
    if (!headAfter) return refused(`the audit log of ${peer}: its signed head is never removed`)
    if (headBefore && headAfter.seq <= headBefore.seq) return refused(`the audit log of ${peer}: its head only moves forward (from ${headBefore.seq} to ${headAfter.seq})`)
    if (headAfter.seq < start || headAfter.seq >= start + change.entriesBefore + change.appended.length) return refused(`the audit log of ${peer}: its head names entry ${headAfter.seq}, which is not in the log`)
  }
  return ALLOWED
}
