/**
 * What an operator does with plans, signed into the operator's audit log: plan a request as
 * a task, edit its steps (change, reorder, drop, add), approve it (its subtasks are queued
 * in the same change) or reject it (the task is cancelled). The CLI and the panel call these;
 * each validates first and throws OperatorActionError with nothing written on refusal.
 */
import type { PlanStep, Task, TaskPlan } from "../../../schemas/index.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { applyTransition, buildTask, EDITABLE_STATUSES, newTaskId, storedTask, taskTextRefusal } from "../tasks/index.ts"
import { storedPlan } from "../tasks/storedValues.ts"
import { PlanStepsEdit, PlanTaskInput } from "./inputs.ts"
import { nextStepKey, planFromProposal, planStepsProblem, subtasksOf } from "./planTasks.ts"
import { readRequest } from "./preview.ts"
import type { ProposedPlan } from "./planReply.ts"
import { facetOf } from "./splitter.ts"
import { stepsBudgetProblem } from "./stepEdits.ts"

/** The task and its plan, while the plan may still change (proposed, and no worker holds the task). */
function openPlan(ctx: OperatorContext, id: string, orDrafting = false): { task: Task; plan: TaskPlan } {
  const task = ctx.workspace.tasks.get(id)
  if (!task) throw new OperatorActionError("task_not_found", { id })
  if (!task.plan) throw new OperatorActionError("plan_not_found", { id })
  if (task.plan.state === "drafting" && !orDrafting) throw new OperatorActionError("plan_drafting", { id })
  if (task.plan.state !== "proposed" && task.plan.state !== "drafting") throw new OperatorActionError("plan_decided", { id, state: task.plan.state })
  if (!EDITABLE_STATUSES.has(task.status)) throw new OperatorActionError("task_not_editable", { id, status: task.status })
  return { task, plan: task.plan }
}

/** Refuses a step the worker would refuse to run, before anything is written. */
function checkSteps(steps: readonly Pick<PlanStep, "title" | "prompt">[]): void {
  for (const step of steps) {
    const refusal = taskTextRefusal({ mode: "llm", title: step.title, prompt: step.prompt })
    if (refusal) throw OperatorActionError.from(refusal)
  }
  const problem = planStepsProblem(steps as PlanStep[])
  if (problem) throw new OperatorActionError("plan_step_invalid", { problem })
}

/**
 * Plans a request as a new task holding the plan (proposed: nothing runs until an operator
 * approves it). `modelReply` is a model's plan, used when it is usable; otherwise the
 * deterministic splitter's plan is kept, with a note saying why.
 */
export async function planTask(ctx: OperatorContext, input: PlanTaskInput, modelReply?: string): Promise<Task> {
  const { request, force, draft, ...fields } = parseInput(PlanTaskInput, input)
  const reading = readRequest(request, force, modelReply)
  const compound = force || reading.gutCheck.shouldPlan
  // A model may find pieces the splitter cannot tell apart: until it drafts, the plan is the request as one step.
  const proposed = reading.proposed ?? (draft === "model" && compound ? wholeRequest(request, reading.intent.goal) : undefined)
  if (!proposed) throw new OperatorActionError("plan_not_compound", { reason: reading.reason ?? "it reads as one piece of work" })
  const refusal = taskTextRefusal({ mode: "llm", title: proposed.plan.goal, prompt: request })
  if (refusal) throw OperatorActionError.from(refusal)
  const now = ctx.now ?? Date.now()
  const title = proposed.plan.goal.slice(0, 200)
  const task = buildTask({ title, prompt: request, ...fields }, ctx.workspace.root.controls, ctx.actor, now, newTaskId(now))
  task.plan = { ...planFromProposal(proposed, task.maxBudgetUsd), ...(draft === "model" ? { state: "drafting" as const } : {}) }
  checkSteps(task.plan.steps)
  ctx.workspace.queueHandle.change(d => {
    d.tasks[task.id] = storedTask(task)
  })
  await ctx.audit.append("plan", task.id, { action: task.plan.state, source: task.plan.source, steps: task.plan.steps.length, ...(task.plan.note ? { note: task.plan.note } : {}) })
  return task
}

/** The request as a one-step plan. */
function wholeRequest(request: string, goal: string): ProposedPlan {
  const title = (goal || request).slice(0, 200)
  return { source: "splitter", plan: { goal: title.length >= 3 ? title : request.slice(0, 200), steps: [{ title, prompt: request, facet: facetOf(request), dependsOn: [] }] } }
}

/** Replaces a proposed plan's steps with the operator's: changed, reordered, dropped or added. */
export async function editPlan(ctx: OperatorContext, id: string, edit: PlanStepsEdit): Promise<TaskPlan> {
  const inputs = parseInput(PlanStepsEdit, edit)
  const { task, plan } = openPlan(ctx, id)
  const known = new Set(plan.steps.map(s => s.key))
  const savedBudget = (key: string | undefined) => plan.steps.find(s => s.key === key)?.budgetUsd
  // A step without a budget shares what the steps with one leave of the task's.
  const priced = inputs.map(s => s.budgetUsd ?? savedBudget(s.key))
  const unpriced = priced.filter(b => b === undefined).length
  const share = unpriced ? Math.max(0, task.maxBudgetUsd - priced.reduce<number>((sum, b) => sum + (b ?? 0), 0)) / unpriced : 0
  const steps: PlanStep[] = []
  let used = plan.steps
  for (const step of inputs) {
    const key = step.key && known.has(step.key) && !steps.some(s => s.key === step.key) ? step.key : nextStepKey(used)
    const budgetUsd = step.budgetUsd ?? savedBudget(step.key) ?? Math.floor(share * 1e6) / 1e6
    const made: PlanStep = { key, title: step.title, prompt: step.prompt, facet: step.facet, dependsOn: [...new Set(step.dependsOn)], budgetUsd }
    steps.push(made)
    used = [...used, made]
  }
  checkSteps(steps)
  const overBudget = stepsBudgetProblem(steps, task.maxBudgetUsd)
  if (overBudget) throw new OperatorActionError("plan_step_invalid", { problem: overBudget })
  const now = ctx.now ?? Date.now()
  ctx.workspace.updateTask(id, d => {
    d.plan!.steps = storedPlan({ ...plan, steps }).steps
    d.updatedAt = now
  })
  await ctx.audit.append("plan", id, { action: "edited", steps: steps.map(s => s.key) })
  return { ...plan, steps }
}

/**
 * Approves a proposed plan: one subtask per step is queued in the same change, and the task
 * waits for them (its result is assembled from theirs and reviewed once). Returns the subtasks.
 */
export async function approvePlan(ctx: OperatorContext, id: string): Promise<Task[]> {
  const { task, plan } = openPlan(ctx, id)
  checkSteps(plan.steps)
  const now = ctx.now ?? Date.now()
  const subtasks = subtasksOf(task, plan, ctx.workspace.root.controls, ctx.actor.name, now)
  ctx.workspace.updateTask(
    id,
    d => {
      Object.assign(d.plan!, { state: "approved", decidedBy: ctx.actor.name, decidedAt: now })
      d.dependsOn = subtasks.map(s => s.id)
      d.updatedAt = now
    },
    subtasks,
  )
  await ctx.audit.append("plan", id, { action: "approved", subtasks: subtasks.map(s => s.id) })
  return subtasks
}

/** Rejects a proposed plan: nothing of it runs, and its task is cancelled. */
export async function rejectPlan(ctx: OperatorContext, id: string, reason?: string): Promise<void> {
  openPlan(ctx, id, true)
  const now = ctx.now ?? Date.now()
  const why = reason?.trim().slice(0, 500) || "operator rejected the plan"
  ctx.workspace.updateTask(id, d => {
    Object.assign(d.plan!, { state: "rejected", decidedBy: ctx.actor.name, decidedAt: now })
    applyTransition(d, "cancelled", ctx.actor, now, why)
  })
  await ctx.audit.append("plan", id, { action: "rejected", reason: why })
}
