/**
 * Who may write to the mailbox: an operator writes from the human (by itself); the worker
 * playing a resident writes that resident's messages to the human (by the resident); the
 * relay writes task-approval notices. Messages are append-only.
 */
import type { MailMessage } from "../../../schemas/index.ts"
import { RESIDENT_MAIL_TYPES } from "./mailbox.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, authorizeRun, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

export function authorizeMailChange(before: MailMessage | undefined, after: MailMessage | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (after && after.id !== ctx.key) return refused(`mail ${after.id} is stored under the key ${ctx.key}: a message's key must be its id`)
  if (before) return refused(`mail ${ctx.key} is already written: the mailbox is append-only`)
  if (!after) return ALLOWED
  const run = authorizeRun(after.run, who, ctx, `mail ${after.id}`)
  if (!run.ok) return run
  if (isOperator(who)) {
    if (after.direction !== "from_human") return refused(`mail ${after.id}: an operator writes as the human (from_human), not as a resident`)
    if (!isSelf(after.by, who)) return refused(`mail ${after.id} says it is by ${after.by}, but ${who.peer} wrote it`)
    return ALLOWED
  }
  if (after.direction !== "to_human" || !(RESIDENT_MAIL_TYPES as readonly string[]).includes(after.type))
    return refused(`mail ${after.id}: a worker writes only its resident's messages to the human (${RESIDENT_MAIL_TYPES.join(", ")})`)
  if (!after.resident || after.by !== after.resident) return refused(`mail ${after.id}: a resident's message is by that resident`)
  const holder = ctx.residentHolder(after.resident)
  if (holder !== who.peer) return refused(`mail ${after.id}: ${who.peer} does not play ${after.resident} (the relay leased it to ${holder ?? "nobody"})`)
  return ALLOWED
}
