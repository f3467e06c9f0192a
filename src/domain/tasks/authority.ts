/**
 * Who may change a task of the live queue (or an archive): the state machine of
 * src/domain/tasks/taskMachine.ts, the lease the relay granted, and the fields each role owns.
 *
 * - The relay alone grants, expires and fences leases, blocks tasks, flags duplicate runs,
 *   archives and makes system transitions (its writes do not pass through these rules).
 * - Operators add tasks (queued, nothing run yet), edit the ones no worker holds, and
 *   decide: only they move a task out of pending_review, and only they write the decision,
 *   tip and feedback of a review.
 * - A worker changes only a task whose current lease it holds: it starts, renews, finishes
 *   and hands back its run, writes its result and critic review under that lease, and
 *   makes worker transitions. It never writes priority, budgets, prompt, command, tips,
 *   bonuses, review decisions or anyone else's lease.
 */
import type { Task, TaskEvent } from "../../../schemas/index.ts"
import { AUTO_APPROVE_MIN_CONFIDENCE } from "./critic.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { canTransition, EDITABLE_STATUSES, TransitionError } from "./taskMachine.ts"
import { planStepsProblem } from "../plans/planTasks.ts"
import { actorKindOf, ALLOWED, canonicalJson, changedFields, firstRefusal, isSelf, refused, refusePending, same, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

export interface TaskContext extends AuthorityContext {
  /** The workspace routes every result through human review (root.controls.reviewEverything). */
  reviewEverything: boolean
}

/** Fields an operator may edit while no worker holds the task (actions.ts editTask). */
export const OPERATOR_EDITABLE_FIELDS = ["title", "prompt", "command", "model", "minBudgetUsd", "maxBudgetUsd", "priority", "dependsOn", "targetIdentity"] as const

/** Fields a worker writes while it holds the lease (worker/worker.ts). */
const WORKER_FIELDS = new Set(["status", "history", "updatedAt", "lease", "executions", "result", "review", "attempts", "errors", "lastError", "notBefore", "calls", "route"])
/** What an operator writes on a review when deciding it (actions.ts decideTask). */
const REVIEW_DECISION_FIELDS = ["decidedBy", "tip", "feedback", "decidedAt", "decisionSig"]
const OPERATOR_DECISION_FIELDS = new Set(["status", "history", "updatedAt", "review", "attempts"])

const HISTORY_CAP = 500

export function authorizeTaskChange(before: Task | undefined, after: Task | undefined, who: Principal, ctx: TaskContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (after && after.id !== ctx.key) return refused(`task ${after.id} is stored under the key ${ctx.key}: a task's key must be its id`)
  if (!after) return refused(`task ${ctx.key} cannot be deleted by a peer: the relay archives finished tasks`)
  if (!before) return authorizeNewTask(after, who, ctx)
  return firstRefusal(checkStatusAndHistory(before, after, who, ctx), isOperator(who) ? operatorChange(before, after, who, ctx) : workerChange(before, after, who, ctx))
}

function authorizeNewTask(task: Task, who: Principal, ctx: TaskContext): AuthorityVerdict {
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators add tasks (task ${task.id})`)
  if (!isSelf(task.createdBy, who)) return refused(`task ${task.id} says it was created by ${task.createdBy}, but ${who.peer} wrote it`)
  const ran = (["lease", "result", "review", "blocked", "duplicateRun", "notBefore", "lastError", "route"] as const).filter(f => task[f] !== undefined)
  if (ran.length) return refused(`a new task has no ${ran.join(", ")} yet (task ${task.id}): only the relay and the worker holding its lease write those`)
  if (task.executions.length || task.calls?.length || task.attempts || task.errors) return refused(`a new task has no executions, calls, attempts or errors yet (task ${task.id})`)
  if (task.plan) {
    // A plan starts proposed; its creator may already have decided it in the same batch.
    const { decidedBy: _by, decidedAt: _at, ...undecided } = task.plan
    if (task.plan.state === "drafting") return task.plan.decidedBy === undefined ? ALLOWED : refused(`a new task's plan to draft has no decision (task ${task.id})`)
    const verdict = planChange({ ...task, status: "queued", plan: { ...undecided, state: "proposed" } }, task, who, true)
    if (!verdict.ok) return refused(`a new task's plan starts proposed and is decided only by its creator (${verdict.reason})`)
  }
  // A task starts queued; the operator may already have moved it in the same batch (a quest paused at once).
  const start = { ...task, status: "queued" as const, history: [] }
  const verdict = checkStatusAndHistory(start, task, who, ctx)
  return verdict.ok ? ALLOWED : refused(`a new task starts queued and moves only as its creator may (${verdict.reason})`)
}

/** Elements of `after` that `before` lacks, and those of `before` that are gone (as multisets). */
function multisetDelta<T>(before: readonly T[], after: readonly T[]): { added: T[]; removed: T[] } {
  const remaining = new Map<string, number>()
  for (const e of before) remaining.set(canonicalJson(e), (remaining.get(canonicalJson(e)) ?? 0) + 1)
  const added: T[] = []
  for (const e of after) {
    const k = canonicalJson(e)
    const n = remaining.get(k) ?? 0
    if (n > 0) remaining.set(k, n - 1)
    else added.push(e)
  }
  const removedKeys = new Map([...remaining].filter(([, n]) => n > 0))
  const removed = before.filter(e => {
    const k = canonicalJson(e)
    const n = removedKeys.get(k) ?? 0
    if (n > 0) removedKeys.set(k, n - 1)
    return n > 0
  })
  return { added, removed }
}

function transitionRefusal(task: Task, from: Task["status"], to: Task["status"], actor: "operator" | "worker"): AuthorityVerdict {
  return refused(new TransitionError(task.id, from, to, actor).message)
}

/** Every status move, and every history event it adds, must be one the state machine gives this principal. */
function checkStatusAndHistory(before: Task, after: Task, who: Principal, ctx: TaskContext): AuthorityVerdict {
  const actor = actorKindOf(who) as "operator" | "worker"
  const { added, removed } = multisetDelta<TaskEvent>(before.history, after.history)
  for (const e of added) {
    if (e.by.kind !== actor || !isSelf(e.by.name, who)) return refused(`task ${after.id}: a history event by ${e.by.kind} ${e.by.name} was written by ${actor} ${who.peer}`)
    // A worker names the lease it moves the task under; operators act under none.
    if (e.leaseId !== undefined && (actor !== "worker" || e.leaseId !== before.lease?.leaseId))
      return refused(`task ${after.id}: a history event names lease ${e.leaseId}, which ${who.peer} does not hold`)
    if (!canTransition(e.from, e.to, actor)) return transitionRefusal(after, e.from, e.to, actor)
  }
  if (before.status !== after.status) {
    // Several moves may arrive in one batch (claimed → running → pending_review): the added
    // events must lead from the status the relay holds to the new one. A single move made
    // concurrently with the relay's own may start elsewhere: then it must be allowed from here.
    let at: Task["status"] = before.status
    for (const e of added) if (e.from === at) at = e.to
    // A move made offline from a status the task held earlier (an older cancel merging after an
    // approval): its event is one this principal may make, and the state machines resolve the
    // merge for every reader (src/domain/tasks/taskMerge.ts).
    const offline = added.some(e => e.to === after.status && (e.from === "queued" || before.history.some(h => h.to === e.from)))
    if (at !== after.status && !offline && !canTransition(before.status, after.status, actor)) return transitionRefusal(after, before.status, after.status, actor)
    if (!added.some(e => e.to === after.status)) return refused(`task ${after.id} moved to ${after.status} without a history event saying who moved it`)
  }
  // applyTransition drops the oldest events at the cap; nothing else removes history.
  if (removed.length && (after.history.length < HISTORY_CAP - 1 || !removed.every((e, i) => same(e, before.history[i]))))
    return refused(`task ${after.id}: history is append-only (only the oldest events make way at ${HISTORY_CAP})`)
  return ALLOWED
}

function operatorChange(before: Task, after: Task, who: Principal, ctx: TaskContext): AuthorityVerdict {
  const changed = changedFields(before, after)
  const decided = before.status !== after.status
  const editable = EDITABLE_STATUSES.has(before.status)
  for (const field of changed) {
    if (OPERATOR_DECISION_FIELDS.has(field)) continue
    if (field === "plan") {
      const verdict = planChange(before, after, who, editable)
      if (!verdict.ok) return verdict
      continue
    }
    if ((OPERATOR_EDITABLE_FIELDS as readonly string[]).includes(field)) {
      if (!editable) return refused(`task ${after.id} is ${before.status}; only queued, requeued or blocked tasks can be edited (field ${field})`)
      continue
    }
    return refused(`task ${after.id}: operators do not write ${field} (the relay and the worker holding the lease do)`)
  }
  if (changed.includes("review")) {
    if (!after.review) return refused(`task ${after.id}: an operator decides a review the worker wrote; it never removes one`)
    // A result that reached review without one is reviewed by the deciding operator.
    const ownReview = !before.review && decided && before.status === "pending_review" && after.review.reviewer === who.peer && after.review.needsHuman
    if (!before.review && !ownReview) return refused(`task ${after.id}: an operator adds a review only when deciding a pending review that has none, as itself`)
    const fields = before.review ? changedFields(before.review, after.review) : REVIEW_DECISION_FIELDS.filter(f => f in after.review!)
    const foreign = fields.filter(f => !REVIEW_DECISION_FIELDS.includes(f))
    if (foreign.length) return refused(`task ${after.id}: the critic's ${foreign.join(", ")} belong to the worker's review`)
    if (!decided) return refused(`task ${after.id}: a review's decision, tip and feedback are written with the decision itself`)
    if (fields.includes("decidedBy") && !isSelf(after.review.decidedBy, who)) return refused(`task ${after.id}: ${who.peer} cannot record ${after.review.decidedBy} as the deciding operator`)
    if ((fields.includes("tip") || fields.includes("feedback")) && after.status !== "approved") return refused(`task ${after.id}: a tip and feedback go with approve only`)
  }
  if (changed.includes("attempts") && !(decided && after.status === "requeued" && after.attempts === 0))
    return refused(`task ${after.id}: an operator resets attempts only when requeueing`)
  return ALLOWED
}

/** A plan changes only while proposed and its task editable: its steps, or its decision by this operator. */
function planChange(before: Task, after: Task, who: Principal, editable: boolean): AuthorityVerdict {
  if (!before.plan || !after.plan) return refused(`task ${after.id}: a plan is made with its task and never removed`)
  if (before.plan.state !== "proposed" && !(before.plan.state === "drafting" && after.plan.state === "rejected"))
    return refused(`task ${after.id}: its plan is ${before.plan.state}; ${before.plan.state === "drafting" ? "a worker with a model drafts it first (an operator may reject it meanwhile)" : "it no longer changes"}`)
  if (!editable) return refused(`task ${after.id} is ${before.status}; its plan can no longer change`)
  for (const field of ["goal", "source", "note"] as const)
    if (!same(before.plan[field], after.plan[field])) return refused(`task ${after.id}: a plan's ${field} is fixed when it is proposed`)
  const problem = planStepsProblem(after.plan.steps)
  if (problem) return refused(`task ${after.id}: ${problem}`)
  if (after.plan.state === "proposed") return after.plan.decidedBy === undefined ? ALLOWED : refused(`task ${after.id}: a proposed plan has no decision`)
  if (!isSelf(after.plan.decidedBy, who)) return refused(`task ${after.id}: ${who.peer} cannot record ${after.plan.decidedBy ?? "nobody"} as the plan's decider`)
  if (after.plan.state === "rejected" && after.status !== "cancelled") return refused(`task ${after.id}: a rejected plan cancels its task`)
  return ALLOWED
}

/** The one plan change a worker makes: the model's draft of a plan that asks for one, left proposed for an operator. */
function draftedPlan(before: Task, after: Task): AuthorityVerdict {
  if (before.plan?.state !== "drafting" || !after.plan) return refused(`task ${after.id}: a worker writes a plan only to draft one that asks for it`)
  if (after.plan.state !== "proposed" || after.plan.decidedBy !== undefined) return refused(`task ${after.id}: a drafted plan is left proposed, for an operator to decide`)
  const problem = planStepsProblem(after.plan.steps)
  return problem ? refused(`task ${after.id}: ${problem}`) : ALLOWED
}

function workerChange(before: Task, after: Task, who: Principal, ctx: TaskContext): AuthorityVerdict {
  const changed = changedFields(before, after)
  const lease = before.lease
  if (lease?.holder !== who.peer) {
    if (isLostRunRecord(before, after, who)) return checkCalls(before, after, who)
    return refused(`task ${after.id}: ${who.peer} does not hold its lease${lease ? ` (${lease.holder} does)` : " (nobody does)"}; a worker changes only tasks the relay leased to it`)
  }
  for (const field of changed) {
    if (field === "plan") {
      const verdict = draftedPlan(before, after)
      if (!verdict.ok) return verdict
      continue
    }
    if (!WORKER_FIELDS.has(field)) return refused(`task ${after.id}: a worker does not write ${field}`)
  }
  const running = after.status === "claimed" || after.status === "running"
  if (changed.includes("lease")) {
    if (!after.lease) {
      if (running) return refused(`task ${after.id}: a worker releases its lease only when it ends the run`)
    } else {
      const moved = changedFields(lease, after.lease).filter(f => f !== "renewals" && f !== "expiresAt")
      if (moved.length) return refused(`task ${after.id}: only the relay grants leases; the holder only renews (it changed ${moved.join(", ")})`)
      if (after.lease.renewals < lease.renewals) return refused(`task ${after.id}: lease renewals only count up`)
    }
  }
  if (changed.includes("executions")) {
    const verdict = checkExecutions(before, after, who, lease.leaseId)
    if (!verdict.ok) return verdict
  }
  if (changed.includes("calls")) {
    const verdict = checkCalls(before, after, who)
    if (!verdict.ok) return verdict
  }
  if (changed.includes("result") && after.result) {
    if (after.result.leaseId !== lease.leaseId) return refused(`task ${after.id}: a result is accepted only under the current lease ${lease.leaseId}, not ${after.result.leaseId}`)
    if (after.result.worker !== who.peer) return refused(`task ${after.id}: ${who.peer} cannot write a result as ${after.result.worker}`)
  }
  if (changed.includes("result") && !after.result) return refused(`task ${after.id}: a worker does not remove a result`)
  if (after.review && changed.includes("review")) {
    if (after.review.reviewer !== who.peer) return refused(`task ${after.id}: ${who.peer} cannot write a review as ${after.review.reviewer}`)
    if (REVIEW_DECISION_FIELDS.some(f => after.review![f as keyof typeof after.review] !== undefined))
      return refused(`task ${after.id}: only an operator decides a review, tips or gives feedback`)
  }
  if (before.status !== after.status && after.status === "approved") {
    const r = after.review
    if (ctx.reviewEverything) return refused(`task ${after.id}: the workspace reviews everything, so a worker hands results in for review (pending_review), never approved`)
    if (after.mode !== "llm") return refused(`task ${after.id}: local commands are always reviewed by a human`)
    if (after.facet === "mediation") return refused(`task ${after.id}: a mediator's answer settles a dispute, so an operator approves it (pending_review), never its worker`)
    if (!r || r.verdict !== "approve" || r.needsHuman || r.confidence < AUTO_APPROVE_MIN_CONFIDENCE)
      return refused(`task ${after.id}: a worker approves only what its critic approved with confidence ${AUTO_APPROVE_MIN_CONFIDENCE} or more; this goes to pending_review`)
  }
  return ALLOWED
}

/** A worker starts its own execution under the current lease, and finishes only its own. */
function checkExecutions(before: Task, after: Task, who: Principal, leaseId: string): AuthorityVerdict {
  const byLease = new Map(before.executions.map(e => [e.leaseId, e]))
  const seen = new Set<string>()
  for (const e of after.executions) {
    seen.add(e.leaseId)
    const old = byLease.get(e.leaseId)
    if (old && same(old, e)) continue
    if (e.leaseId !== leaseId || e.worker !== who.peer) return refused(`task ${after.id}: a worker records only its own run under its current lease ${leaseId}`)
    if (e.expiredAt !== undefined && !same(e.expiredAt, old?.expiredAt)) return refused(`task ${after.id}: only the relay records that a run's lease expired`)
    if (old && (old.startedAt !== e.startedAt || old.worker !== e.worker)) return refused(`task ${after.id}: a run's start is written once`)
  }
  if ([...byLease.keys()].some(id => !seen.has(id))) return refused(`task ${after.id}: executions are never removed`)
  return ALLOWED
}

/**
 * LLM calls are appended, never changed or removed, each by the worker that made it under a
 * run of its own (the API billed it, so it is recorded even after that lease moved on).
 */
function checkCalls(before: Task, after: Task, who: Principal): AuthorityVerdict {
  const { added, removed } = multisetDelta(before.calls ?? [], after.calls ?? [])
  if (removed.length) return refused(`task ${after.id}: recorded LLM calls are never changed or removed`)
  const ownRuns = new Set([...before.executions, ...after.executions].filter(e => e.worker === who.peer).map(e => e.leaseId))
  if (before.lease?.holder === who.peer) ownRuns.add(before.lease.leaseId)
  for (const c of added)
    if (c.worker !== who.peer || !ownRuns.has(c.leaseId)) return refused(`task ${after.id}: ${who.peer} records only its own calls, made under a run of its own (not ${c.worker}'s under ${c.leaseId})`)
  return ALLOWED
}

/**
 * The writes a worker makes without the lease: after its lease moved on, it marks its own
 * run finished (finishedAt, outcome), so the relay can report the duplicate run, and it
 * records the LLM calls that run made.
 */
function isLostRunRecord(before: Task, after: Task, who: Principal): boolean {
  const changed = changedFields(before, after)
  if (!changed.every(f => f === "executions" || f === "calls")) return false
  if (before.executions.length !== after.executions.length) return false
  return after.executions.every((e, i) => {
    const old = before.executions[i]!
    if (same(old, e)) return true
    const fields = changedFields(old, e)
    return e.worker === who.peer && old.finishedAt === undefined && fields.every(f => f === "finishedAt" || f === "outcome")
  })
}
