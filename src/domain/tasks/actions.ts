/**
 * What an operator does to tasks, signed into the operator's audit log: add, edit and decide
 * (approve, requeue, fail, cancel). The CLI and the PWA both call these. Each function
 * validates first and throws OperatorActionError (nothing written) on refusal.
 */
import type { Task, TaskStatus } from "../../../schemas/index.ts"
import { DECISIONS, signRecord, taskDecisionText, verifyRecord, type ReviewDecision } from "../../core/signedRecords.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { TaskNotFoundError } from "../../workspace/workspace.ts"
import { applyTransition, EDITABLE_STATUSES, movesBy, TRANSITIONS, TransitionError } from "./taskMachine.ts"
import { DecisionInput, NewTaskInput, TaskEdit } from "./inputs.ts"
import { taskTextRefusal, type TaskText } from "./taskSafety.ts"

export const TASK_DECISIONS = { approve: "approved", requeue: "requeued", fail: "failed", cancel: "cancelled" } as const
export type TaskDecision = keyof typeof TASK_DECISIONS

function refuse(error: unknown): never {
  if (error instanceof TaskNotFoundError) throw new OperatorActionError("task_not_found", { id: error.taskId })
  if (error instanceof TransitionError) {
    const { taskId: id, from, to } = error
    const allowed = TRANSITIONS[from][to]
    if (allowed) throw new OperatorActionError("task_moved_by_others", { id, from, to, allowed })
    throw new OperatorActionError("task_wrong_state", { id, from, to, moves: movesBy(TRANSITIONS[from], "operator") })
  }
  throw error
}

/** Refuses a command or prompt the worker would refuse, before anything is written. */
function checkText(task: TaskText): void {
  const refusal = taskTextRefusal(task)
  if (refusal) throw OperatorActionError.from(refusal)
}

const isReviewDecision = (d: TaskDecision): d is ReviewDecision => (DECISIONS as readonly string[]).includes(d)

/**
 * Approve, requeue, fail or cancel a task; approve takes a tip and feedback for the resident.
 * A decision on a pending review is signed (src/core/signedRecords.ts): readers accept it
 * only with the signature of an operator the chain of authority allows.
 */
export async function decideTask(ctx: OperatorContext, id: string, decision: TaskDecision, input: DecisionInput = {}): Promise<TaskStatus> {
  const parsed = parseInput(DecisionInput, input)
  const { tip, feedback } = parsed
  if (decision !== "approve" && (tip !== undefined || feedback)) throw new OperatorActionError("tip_needs_approve")
  const to = TASK_DECISIONS[decision]
  const now = ctx.now ?? Date.now()
  // Who decided is the history entry's `by`; the reason names no id (views show names).
  const reason = parsed.reason ?? `operator's decision: ${decision}`
  const seen = ctx.workspace.tasks.get(id)
  const signed = seen?.status === "pending_review" && isReviewDecision(decision) ? await signDecision(ctx, seen, decision, tip, feedback, now) : undefined
  let from: TaskStatus | undefined
  try {
    ctx.workspace.updateTask(id, (d, current) => {
      // The decision applies to the task as this reader accepts it: a decision that did not
      // verify (it shows as pending_review) is decided again, over it.
      if (current.status === "pending_review") d.status = "pending_review"
      from = current.status
      applyTransition(d, to, ctx.actor, now, reason)
      // A decision needs a review to live in: a result that reached review without one is reviewed by the operator.
      if (signed && !d.review)
        d.review = { verdict: decision === "approve" ? "approve" : "reject", confidence: 1, issues: [], needsHuman: true, reviewer: ctx.actor.name, at: now }
      if (d.review) {
        d.review.decidedBy = ctx.actor.name
        for (const field of ["tip", "feedback", "decidedAt", "decisionSig"] as const) delete d.review[field]
        if (tip !== undefined) d.review.tip = tip
        if (feedback) d.review.feedback = feedback
        if (signed) {
          d.review.decidedAt = now
          d.review.decisionSig = signed
        }
      }
      if (to === "requeued") d.attempts = 0
    })
  } catch (error) {
    refuse(error)
  }
  await ctx.audit.append(decision === "approve" ? "approval" : "transition", id, {
    from,
    to,
    reason,
    ...(tip !== undefined ? { tip } : {}),
    ...(feedback ? { feedback } : {}),
  })
  if (to === "cancelled") await cancelSubtasks(ctx, id, now)
  return to
}

/** Cancelling a plan's task cancels its subtasks that have not run; those running or done stay as they are. */
async function cancelSubtasks(ctx: OperatorContext, parent: string, now: number): Promise<void> {
  const waiting = [...ctx.workspace.tasks.entries.values()].filter(t => t.parent === parent && EDITABLE_STATUSES.has(t.status))
  for (const sub of waiting) {
    const reason = `its plan's task ${parent} was cancelled`
    ctx.workspace.updateTask(sub.id, d => applyTransition(d, "cancelled", ctx.actor, now, reason))
    await ctx.audit.append("transition", sub.id, { from: sub.status, to: "cancelled", reason })
  }
}

/** Signs a decision and checks it once here, so this peer's own view shows it at once. */
async function signDecision(ctx: OperatorContext, task: Task, decision: ReviewDecision, tip: number | undefined, feedback: string | undefined, now: number): Promise<string> {
  const text = taskDecisionText({ taskId: task.id, decision, leaseId: task.result?.leaseId, tip, feedback, decidedBy: ctx.actor.name, decidedAt: now })
  const sig = await signRecord(ctx.audit.signer, text)
  const key = ctx.workspace.authority.keyFor(ctx.actor.name, ["operator"], now)
  if (key) await verifyRecord(key, text, sig)
  return sig
}

/** Adds a task (signed into the operator's audit log); dependencies must name tasks of the live queue. */
export async function addTask(ctx: OperatorContext, input: NewTaskInput): Promise<Task> {
  const parsed = parseInput(NewTaskInput, input)
  checkText(parsed)
  const unknown = (parsed.dependsOn ?? []).filter(id => !ctx.workspace.tasks.get(id))
  if (unknown.length) throw new OperatorActionError("unknown_dependency", { ids: unknown })
  const task = ctx.workspace.addTask(parsed, ctx.actor, ctx.now ?? Date.now())
  await ctx.audit.append("task_added", task.id, { title: task.title, mode: task.mode, maxBudgetUsd: task.maxBudgetUsd, priority: task.priority })
  return task
}

/** Edits a task no worker holds, signed into the operator's audit log (the fields it changed). */
export async function editTask(ctx: OperatorContext, id: string, edit: TaskEdit): Promise<void> {
  const e = parseInput(TaskEdit, edit)
  const current = ctx.workspace.tasks.get(id)
  if (!current) refuse(new TaskNotFoundError(id))
  if (!EDITABLE_STATUSES.has(current.status)) throw new OperatorActionError("task_not_editable", { id, status: current.status })
  if (e.prompt !== undefined && current.mode !== "llm") throw new OperatorActionError("task_mode_mismatch", { id, runs: "command" })
  if (e.command !== undefined && current.mode !== "local") throw new OperatorActionError("task_mode_mismatch", { id, runs: "prompt" })
  if (e.command !== undefined || e.prompt !== undefined || e.title !== undefined)
    checkText({ mode: current.mode, title: e.title ?? current.title, prompt: e.prompt ?? current.prompt, command: e.command ?? current.command })
  const deps = e.dependsOn ? [...new Set(e.dependsOn)] : undefined
  if (deps?.includes(id)) throw new OperatorActionError("task_depends_on_itself", { id })
  const unknown = (deps ?? []).filter(d => !ctx.workspace.tasks.get(d))
  if (unknown.length) throw new OperatorActionError("unknown_dependency", { ids: unknown })
  const min = e.minBudgetUsd ?? current.minBudgetUsd
  const max = e.maxBudgetUsd ?? current.maxBudgetUsd
  if (min > max) throw new OperatorActionError("budget_min_above_max", { min, max })
  const now = ctx.now ?? Date.now()
  ctx.workspace.updateTask(id, d => {
    for (const key of ["title", "prompt", "command", "model", "minBudgetUsd", "maxBudgetUsd", "priority"] as const)
      if (e[key] !== undefined) (d as Record<string, unknown>)[key] = e[key]
    if (deps) d.dependsOn = deps
    if (e.targetIdentity === null) delete d.targetIdentity
    else if (e.targetIdentity !== undefined) d.targetIdentity = e.targetIdentity
    d.updatedAt = now
  })
  await ctx.audit.append("task_edited", id, { ...e, ...(deps ? { dependsOn: deps } : {}) })
}
