/**
 * Who may change discussions: operators open DMs (a new room index entry, which never
 * changes afterwards but for its topic, which operators set) and post messages as themselves; messages are append-only. The relay
 * posts its automatic updates and feedback DMs as itself, outside these rules, and alone
 * lists a room's segments (segments.ts); a segment is a room document like the first one.
 */
import type { Message, RoomEntry } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

export function authorizeRoomEntryChange(before: RoomEntry | undefined, after: RoomEntry | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (after && after.id !== ctx.key) return refused(`room ${after.id} is stored under the key ${ctx.key}: a room's key must be its id`)
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators open rooms and DMs`)
  if (before && after) {
    const other = changedFields(before, after).filter(f => f !== "topic")
    if (other.length) return refused(`room ${ctx.key}: ${other.join(", ")} never change once the room is listed (an operator may set its topic)`)
    return ALLOWED
  }
  if (before) return refused(`room ${ctx.key} is listed: a room's entry is never removed`)
  if (after?.segments?.length) return refused(`room ${ctx.key} lists segments: only the relay adds a room's segments`)
  return ALLOWED
}

export interface RoomContext extends AuthorityContext {
  roomId: string
}

export function authorizeRoomMessageChange(before: Message | undefined, after: Message | undefined, who: Principal, ctx: RoomContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (before) return refused(`room ${ctx.roomId} is append-only: message ${before.id} never changes and is never removed`)
  if (!after) return ALLOWED
  if (!isOperator(who)) return refused(`${who.peer} is a worker: workers do not post to rooms (residents write to the mailbox)`)
  if (!isSelf(after.author, who)) return refused(`message ${after.id} in ${ctx.roomId} says it is by ${after.author}, but ${who.peer} wrote it`)
  return ALLOWED
}
