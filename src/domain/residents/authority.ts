/**
 * Who may change residents and their memory.
 *
 * - Identities: operators forge them (createdBy themselves, a fresh continuity) and edit
 *   their profile and mutable attributes; the relay alone counts continuity (sessions,
 *   tasks, level). Nobody deletes a resident.
 * - Creativity seeds: marked used by the operator who forges with one; never reused or removed.
 * - Resident leases (which worker plays whom): the relay only.
 * - Journals: the worker holding the resident's lease appends; entries never change.
 */
import type { Identity, JournalEntry, ResidentLease } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, authorizeRun, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

/** Fields an operator edits on a resident (actions.ts updateProfile, updateMutable). */
export const OPERATOR_IDENTITY_FIELDS = ["profile", "mutable"] as const

export function authorizeIdentityChange(before: Identity | undefined, after: Identity | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (after && after.id !== ctx.key) return refused(`resident ${after.id} is stored under the key ${ctx.key}: a resident's key must be its id`)
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators forge and edit residents`)
  if (!after) return refused(`resident ${ctx.key} cannot be deleted`)
  if (!before) {
    if (!isSelf(after.createdBy, who)) return refused(`resident ${after.id} says it was forged by ${after.createdBy}, but ${who.peer} wrote it`)
    const c = after.continuity
    if (c.sessions || c.tasksCompleted || c.tasksFailed) return refused(`a new resident starts with no sessions or tasks (${after.id}): the relay counts them`)
    return ALLOWED
  }
  const other = changedFields(before, after).filter(f => !(OPERATOR_IDENTITY_FIELDS as readonly string[]).includes(f))
  if (other.length) return refused(`resident ${after.id}: operators edit the profile and mutable attributes only, not ${other.join(", ")}${other.includes("continuity") ? " (the relay counts continuity)" : ""}`)
  return ALLOWED
}

export interface SeedUse {
  identity: string
  at: number
}

export function authorizeSeedUse(before: SeedUse | undefined, _after: SeedUse | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators forge residents and use seeds`)
  if (before) return refused(`seed ${ctx.key} is already used by ${before.identity}: a seed names one resident, for good`)
  return ALLOWED
}

export function authorizeResidentLeaseChange(_before: ResidentLease | undefined, _after: ResidentLease | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  return refusePending(who) ?? refused(`the lease of resident ${ctx.key} is granted by the relay only`)
}

export interface JournalContext extends AuthorityContext {
  /** The resident whose journal this is (the journal document's `identity`). */
  resident: string
}

export function authorizeJournalEntryChange(before: JournalEntry | undefined, after: JournalEntry | undefined, who: Principal, ctx: JournalContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (before) return refused(`the journal of ${ctx.resident} is append-only: entry ${before.id} never changes and is never removed`)
  if (!after) return ALLOWED
  const holder = ctx.residentHolder(ctx.resident)
  if (holder !== who.peer) return refused(`${who.peer} does not play ${ctx.resident} (the relay leased it to ${holder ?? "nobody"}), so it cannot write its journal`)
  return authorizeRun(after.run, who, ctx, `journal entry ${after.id}`)
}
