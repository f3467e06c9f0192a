/**
 * Who may change the collaboration requests: operators set one as themselves (with its own
 * suggestion task) and mark one done, once, as themselves; what a request asked, who set it and
 * when never change, and nobody deletes one. Workers and pending peers write none.
 */
import type { CollabRequest } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { suggestionTaskId } from "./rules.ts"

export function authorizeCollabRequestChange(before: CollabRequest | undefined, after: CollabRequest | undefined, who: Principal, ctx: Pick<AuthorityContext, "key">): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators set collaboration requests`)
  if (!after) return refused(`collaboration request ${ctx.key} cannot be deleted: mark it done`)
  if (after.id !== ctx.key) return refused(`collaboration request ${after.id} is stored under the key ${ctx.key}: its key must be its id`)
  if (!before) {
    if (!isSelf(after.by, who)) return refused(`collaboration request ${after.id} says ${after.by} set it, but ${who.peer} wrote it`)
    if (after.closed) return refused(`collaboration request ${after.id}: a new request is not done yet`)
    if (after.taskId !== suggestionTaskId(after.id)) return refused(`collaboration request ${after.id} queues the task ${suggestionTaskId(after.id)}, not ${after.taskId}`)
    return ALLOWED
  }
  const changed = changedFields(before, after)
  const fixed = changed.find(f => f !== "closed")
  if (fixed) return refused(`collaboration request ${after.id}: ${fixed} does not change`)
  if (!changed.includes("closed")) return ALLOWED
  if (before.closed) return refused(`collaboration request ${after.id} was marked done by ${before.closed.by} already`)
  if (!isSelf(after.closed!.by, who)) return refused(`collaboration request ${after.id} says ${after.closed!.by} marked it done, but ${who.peer} wrote it`)
  return ALLOWED
}
