/**
 * Who may change a proposal or a loop. Operators propose as themselves, add their own
 * approval, apply a proposal once enough distinct operators approved it (two for high risk),
 * reject one still waiting and roll back an applied one, each naming themselves; nobody
 * changes what was proposed. Operators start loops, let one go on from a checkpoint or stop
 * it; the relay alone begins iterations, counts their cost and makes proposals from their
 * answers (its writes do not pass through these rules). Workers write neither.
 */
import type { ImprovementLoop, Proposal } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, same, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { approvalsSuffice } from "./rules.ts"

const FIXED = new Set(["id", "target", "before", "after", "reason", "risk", "rollbackPlan", "proposedBy", "proposedAt", "loop", "taskId"])

/** A proposal as it is first written: what was proposed, waiting, with no approvals. */
function waitingProposal(p: Proposal): Proposal {
  const proposed = Object.fromEntries(Object.entries(p).filter(([k]) => FIXED.has(k))) as Pick<Proposal, "id" | "target" | "before" | "after" | "reason" | "risk" | "rollbackPlan" | "proposedBy" | "proposedAt">
  return { ...proposed, state: "proposed", approvals: [] }
}

function operatorOnly(who: Principal, what: string): AuthorityVerdict | undefined {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators ${what}`)
  return undefined
}

export function authorizeProposalChange(before: Proposal | undefined, after: Proposal | undefined, who: Principal, ctx: Pick<AuthorityContext, "key">): AuthorityVerdict {
  const denied = operatorOnly(who, "propose, approve, apply and roll back changes (a resident's proposals come from the relay)")
  if (denied) return denied
  if (!after) return refused(`proposal ${ctx.key} cannot be deleted: reject it or roll it back`)
  if (after.id !== ctx.key) return refused(`proposal ${after.id} is stored under the key ${ctx.key}: a proposal's key must be its id`)
  if (!before) {
    if (after.proposedBy.kind !== "operator" || !isSelf(after.proposedBy.name, who)) return refused(`proposal ${after.id} says ${after.proposedBy.name} proposed it, but ${who.peer} wrote it`)
    if (after.loop || after.taskId) return refused(`a new proposal from an operator has no loop or task of its own: the relay makes a loop's proposals (proposal ${after.id})`)
    // Proposed and approved (or decided) before the relay saw it, offline or in one burst:
    // judged as the waiting proposal it began as, then that change.
    const waiting = waitingProposal(after)
    return same(waiting, after) ? ALLOWED : authorizeProposalChange(waiting, after, who, ctx)
  }
  const changed = changedFields(before, after)
  const fixed = changed.find(f => FIXED.has(f))
  if (fixed) return refused(`proposal ${after.id}: ${fixed} is what was proposed; propose again instead of changing it`)
  if (changed.includes("approvals")) {
    if (before.state !== "proposed") return refused(`proposal ${after.id} is ${before.state}: approvals are given while it waits`)
    const added = after.approvals.slice(before.approvals.length)
    if (!same(after.approvals.slice(0, before.approvals.length), before.approvals)) return refused(`proposal ${after.id}: approvals are only ever added`)
    if (added.some(a => !isSelf(a.by, who))) return refused(`proposal ${after.id}: ${who.peer} approves as itself only`)
    if (new Set(after.approvals.map(a => a.by)).size !== after.approvals.length) return refused(`proposal ${after.id}: one operator approves once`)
  }
  if (before.state === after.state) {
    const stray = changed.filter(f => f !== "approvals")
    return stray.length ? refused(`proposal ${after.id}: ${stray.join(", ")} change only with its state`) : ALLOWED
  }
  const move = `${before.state}→${after.state}`
  if (move === "proposed→rolled_back") {
    // Applied and rolled back before the relay saw either: judged as the two steps.
    const { rolledBackBy: _by, rolledBackAt: _at, ...rest } = after
    const applied: Proposal = { ...rest, state: "applied" }
    const first = authorizeProposalChange(before, applied, who, ctx)
    return first.ok ? authorizeProposalChange(applied, after, who, ctx) : first
  }
  if (move === "proposed→applied") {
    if (!approvalsSuffice(after)) return refused(`proposal ${after.id} is ${after.risk} risk: it applies with ${after.risk === "high" ? "two operators'" : "an operator's"} approval`)
    if (!isSelf(after.appliedBy, who) || after.appliedAt === undefined || !after.checkpoint) return refused(`proposal ${after.id}: applying names its applier (${who.peer}), the time and the checkpoint`)
    return ALLOWED
  }
  if (move === "proposed→rejected") return isSelf(after.rejectedBy, who) && after.rejectedAt !== undefined ? ALLOWED : refused(`proposal ${after.id}: a rejection names its rejecter (${who.peer}) and the time`)
  if (move === "applied→rolled_back") return isSelf(after.rolledBackBy, who) && after.rolledBackAt !== undefined ? ALLOWED : refused(`proposal ${after.id}: a rollback names who rolled it back (${who.peer}) and the time`)
  return refused(`proposal ${after.id} cannot go from ${before.state} to ${after.state}`)
}

const RELAY_FIELDS = new Set(["iterations", "spentUsd"])
const LOOP_FIXED = new Set(["id", "target", "goal", "resident", "risk", "maxIterations", "budgetUsd", "createdBy", "createdAt"])

export function authorizeLoopChange(before: ImprovementLoop | undefined, after: ImprovementLoop | undefined, who: Principal, ctx: Pick<AuthorityContext, "key">): AuthorityVerdict {
  const denied = operatorOnly(who, "start, resume and stop improvement loops")
  if (denied) return denied
  if (!after) return refused(`loop ${ctx.key} cannot be deleted: stop it`)
  if (after.id !== ctx.key) return refused(`loop ${after.id} is stored under the key ${ctx.key}: a loop's key must be its id`)
  if (!before) {
    if (!isSelf(after.createdBy, who)) return refused(`loop ${after.id} says ${after.createdBy} started it, but ${who.peer} wrote it`)
    if (after.state !== "running" || after.iterations || after.spentUsd || after.resumedBy) return refused(`a new loop is running, with no iterations or spending yet (loop ${after.id})`)
    return ALLOWED
  }
  const changed = changedFields(before, after)
  const bad = changed.find(f => LOOP_FIXED.has(f) || RELAY_FIELDS.has(f))
  if (bad) return refused(`loop ${after.id}: operators do not change ${bad} (${RELAY_FIELDS.has(bad) ? "the relay counts it" : "start a new loop instead"})`)
  if (before.state === "at_checkpoint" && after.state === "running") return isSelf(after.resumedBy, who) && after.resumedAt !== undefined ? ALLOWED : refused(`loop ${after.id}: going on names who let it (${who.peer}) and when`)
  if ((before.state === "running" || before.state === "at_checkpoint") && after.state === "stopped") return after.stopReason ? ALLOWED : refused(`loop ${after.id}: a stop says why`)
  return refused(`loop ${after.id}: operators let it go on from a checkpoint or stop it, not ${before.state} → ${after.state}`)
}
