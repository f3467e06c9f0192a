/**
 * Who may change the one-time task catalogue: operators add a task as themselves, edit its
 * title, prompt, bonus and eligibility, and retire it; nobody deletes one (its claims and
 * payments name it) or changes who added it. Workers and pending peers write none.
 */
import type { OneTimeTask } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

const FIXED = new Set(["id", "createdBy", "createdAt"])

export function authorizeOneTimeChange(before: OneTimeTask | undefined, after: OneTimeTask | undefined, who: Principal, ctx: Pick<AuthorityContext, "key">): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators keep the one-time task catalogue`)
  if (!after) return refused(`one-time task ${ctx.key} cannot be deleted: retire it`)
  if (after.id !== ctx.key) return refused(`one-time task ${after.id} is stored under the key ${ctx.key}: its key must be its id`)
  if (!before) return isSelf(after.createdBy, who) && !after.retired ? ALLOWED : refused(`one-time task ${after.id}: a new one is added by its writer (${who.peer}), not retired`)
  const fixed = changedFields(before, after).find(f => FIXED.has(f))
  return fixed ? refused(`one-time task ${after.id}: ${fixed} does not change`) : ALLOWED
}
