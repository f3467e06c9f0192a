/**
 * Who may change a hat: operators add hats and edit them (a default hat too: the edit is
 * stored under the default's id and replaces it), each write signed as themselves; workers
 * wear hats and write none. A hat is not deleted: edit it instead.
 */
import type { HatRecord } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

export function authorizeHatChange(_before: HatRecord | undefined, after: HatRecord | undefined, who: Principal, ctx: Pick<AuthorityContext, "key">): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators add or edit hats`)
  if (!after) return refused(`hat ${ctx.key} cannot be deleted: edit it instead`)
  if (after.id !== ctx.key) return refused(`hat ${after.id} is stored under the key ${ctx.key}: a hat's key must be its id`)
  if (!isSelf(after.editedBy, who)) return refused(`hat ${after.id} says ${after.editedBy} edited it, but ${who.peer} wrote it`)
  return ALLOWED
}
