/**
 * Who may change a dispute. A participant of a decided round opens one: an operator (for a
 * resident, or as itself when it voted), or the worker holding the requester's lease; its id
 * and room are fixed by the target and round, and it starts with no resolution (an operator
 * may assign its mediator in the same batch). Operators alone assign the mediator, a third party wearing the Hat of
 * Objectivity, once per mediation task: a new one only with the next task (after the last
 * mediation ended with no outcome). No peer writes a resolution (the relay does, from the
 * approved answer) or deletes a dispute. The relay's own writes do not pass through these rules.
 */
import { JoinRequest, JournalReview, type Dispute } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, same, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { MEDIATION_HAT } from "../hats/overlay.ts"
import { disputeId, disputeRoomId, mediationRun, mediationTaskId, mediatorRefusal, openRefusal, targetLabel, type DisputedRecord } from "./rules.ts"

/** The gate's context: the key, the resident leases, and the community document as it stands before the change. */
export type DisputeAuthorityContext = Pick<AuthorityContext, "key" | "residentHolder"> & { doc: Record<string, unknown> }

/** The disputed request or review as the relay holds it (an invalid record counts as absent). */
function targetIn(doc: Record<string, unknown>, target: Dispute["target"]): DisputedRecord | undefined {
  const [field, schema] = target.kind === "guild_join" ? (["requests", JoinRequest] as const) : (["reviews", JournalReview] as const)
  const records = doc[field]
  if (!records || typeof records !== "object") return undefined
  return schema.safeParse((records as Record<string, unknown>)[target.id]).data
}

export function authorizeDisputeChange(before: Dispute | undefined, after: Dispute | undefined, who: Principal, ctx: DisputeAuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`dispute ${ctx.key} cannot be deleted: its record is kept, resolved or not`)
  if (after.id !== ctx.key) return refused(`dispute ${after.id} is stored under the key ${ctx.key}: a dispute's key must be its id`)
  if (before && same(before, after)) return ALLOWED
  if (after.resolution && !same(before?.resolution, after.resolution)) return refused(`dispute ${after.id}: ${who.peer} cannot write its resolution: the relay resolves it from the mediator's approved answer`)
  if (before && changedFields(before, after).every(f => f === "mediator")) return assignment(before, after, who, ctx)
  // A new dispute, or one that two peers opened offline (each wrote a record under its fixed id,
  // and the merge shows one): judged as its writer's own opening while nobody has mediated it;
  // a mediator its writer assigned in the same batch is judged as that assignment.
  if (!before || (!before.mediator && !before.resolution)) {
    const { mediator, ...unmediated } = after
    const opened = opening(unmediated, who, ctx)
    return opened.ok && mediator ? assignment(unmediated, after, who, ctx) : opened
  }
  const other = changedFields(before, after).find(f => f !== "mediator")!
  return refused(`dispute ${after.id}: ${other} is fixed when it is opened${other === "resolution" ? " and resolved by the relay" : ""}`)
}

function opening(d: Dispute, who: Principal, ctx: DisputeAuthorityContext): AuthorityVerdict {
  if (!isSelf(d.openedBy, who)) return refused(`dispute ${d.id} says ${d.openedBy} opened it, but ${who.peer} wrote it`)
  if (d.requesterKind === "operator" ? !isOperator(who) || d.requester !== who.peer : !isOperator(who) && ctx.residentHolder(d.requester) !== who.peer)
    return refused(
      d.requesterKind === "operator"
        ? `dispute ${d.id}: an operator disputes as itself only, and ${who.peer} is not operator ${d.requester}`
        : `dispute ${d.id}: ${who.peer} does not play ${d.requester}, so it cannot dispute for it (an operator or the worker playing it can)`,
    )
  if (d.id !== disputeId(d.target, d.round)) return refused(`dispute ${d.id}: a dispute's id is fixed by its target and round (${disputeId(d.target, d.round)})`)
  if (d.room !== disputeRoomId(d.id)) return refused(`dispute ${d.id}: its room is ${disputeRoomId(d.id)}, the relay's room for it`)
  const record = targetIn(ctx.doc, d.target)
  if (!record) return refused(`dispute ${d.id}: there is no ${targetLabel(d.target)} to dispute`)
  if (record.past.length !== d.round) return refused(`dispute ${d.id}: ${targetLabel(d.target)} is in round ${record.past.length}, not round ${d.round}`)
  const why = openRefusal(record, d)
  return why ? refused(`dispute ${d.id}: ${why}`) : ALLOWED
}

function assignment(before: Dispute, after: Dispute, who: Principal, ctx: DisputeAuthorityContext): AuthorityVerdict {
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators assign a dispute's mediator`)
  const m = after.mediator
  if (!m) return refused(`dispute ${after.id}: its mediator is never taken away`)
  if (before.resolution) return refused(`dispute ${after.id} is resolved: it needs no mediator`)
  if (!isSelf(m.assignedBy, who)) return refused(`dispute ${after.id} says ${m.assignedBy} assigned its mediator, but ${who.peer} wrote it`)
  if (m.hat !== MEDIATION_HAT) return refused(`dispute ${after.id}: a mediator wears the Hat of Objectivity`)
  const run = before.mediator ? (mediationRun(after.id, before.mediator.task) ?? 1) + 1 : 1
  if (m.task !== mediationTaskId(after.id, run))
    return refused(
      before.mediator
        ? `dispute ${after.id} has a mediator (task ${before.mediator.task}): a new one comes only with the next mediation task, ${mediationTaskId(after.id, run)}`
        : `dispute ${after.id}: its first mediation task is ${mediationTaskId(after.id)}`,
    )
  const why = mediatorRefusal(after, targetIn(ctx.doc, after.target), m.resident)
  return why ? refused(`dispute ${after.id}: ${why}`) : ALLOWED
}
