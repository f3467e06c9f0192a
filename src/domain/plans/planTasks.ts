/**
 * A plan as it lives on its parent task: made from a proposed plan, edited by an operator
 * (steps changed, reordered, dropped), turned into subtasks on approval, and the parent's
 * result assembled from theirs. Pure: the actions (actions.ts) and the worker apply these.
 *
 * A subtask's id is its parent's id and its step's key (`task-….s2`): the same on every
 * peer, so a plan approved twice (two operators offline) still queues each step once.
 */
import { LIMITS, type PlanStep, type RuntimeControls, type Task, type TaskPlan } from "../../../schemas/index.ts"
import { budgetShares, type ProposedPlan } from "./planReply.ts"

/** Budgets are split in millionths of a dollar, so no step's share rounds to nothing. */
const MICRO_USD = 1_000_000

export const subtaskIdOf = (parentId: string, key: string): string => `${parentId}.${key}`

/** The plan to keep on a new parent task, its steps keyed s1, s2, … with their budgets. */
export function planFromProposal(proposed: ProposedPlan, maxBudgetUsd: number): TaskPlan {
  const { plan } = proposed
  const budgets = budgetShares(plan, Math.round(maxBudgetUsd * MICRO_USD))
  const key = (i: number) => `s${i + 1}`
  return {
    state: "proposed",
    goal: plan.goal.slice(0, 500),
    source: proposed.source,
    ...(proposed.note ? { note: proposed.note.slice(0, 500) } : {}),
    steps: plan.steps.map((s, i) => ({
      key: key(i),
      title: s.title,
      prompt: s.prompt,
      facet: s.facet,
      dependsOn: [...new Set(s.dependsOn)].map(key),
      budgetUsd: budgets[i]! / MICRO_USD,
    })),
  }
}

/** Why `steps` cannot run as they stand (a step waits for one not above it, keys repeat …), or undefined. */
export function planStepsProblem(steps: readonly PlanStep[]): string | undefined {
  if (!steps.length) return "a plan needs at least one step"
  const seen = new Set<string>()
  for (const [i, step] of steps.entries()) {
    if (seen.has(step.key)) return `step key ${step.key} is used twice`
    const later = step.dependsOn.find(d => !seen.has(d))
    if (later !== undefined) return `step ${i + 1} (“${step.title}”) waits for ${later}, which is not a step above it`
    seen.add(step.key)
  }
  return undefined
}

/** The key a new step gets: one above every key the plan has used. */
export function nextStepKey(steps: readonly PlanStep[]): string {
  return `s${steps.reduce((n, s) => Math.max(n, Number(s.key.slice(1))), 0) + 1}`
}

/** Whether a task holds a plan an operator has to decide (or has rejected): nothing runs then. A plan to draft runs, on a worker with a model. */
export function awaitsPlanApproval(task: Pick<Task, "plan">): boolean {
  return task.plan?.state === "proposed" || task.plan?.state === "rejected"
}

/**
 * The subtasks an approved plan queues, one per step, each waiting for the steps it names.
 * A step's prompt is told its place in the plan as approved (edits may have moved it).
 */
export function subtasksOf(parent: Task, plan: TaskPlan, controls: Pick<RuntimeControls, "defaultMinBudgetUsd">, by: string, now: number): Task[] {
  return plan.steps.map((step, i) => {
    const task: Task = {
      id: subtaskIdOf(parent.id, step.key),
      title: step.title,
      mode: "llm",
      prompt: `Step ${i + 1} of ${plan.steps.length} of the plan "${plan.goal.slice(0, 120)}".\n${step.prompt}`.slice(0, LIMITS.prompt),
      model: parent.model,
      minBudgetUsd: Math.min(controls.defaultMinBudgetUsd, step.budgetUsd),
      maxBudgetUsd: step.budgetUsd,
      priority: parent.priority,
      dependsOn: step.dependsOn.map(key => subtaskIdOf(parent.id, key)),
      parent: parent.id,
      facet: step.facet,
      status: "queued",
      attempts: 0,
      errors: 0,
      executions: [],
      createdBy: by,
      createdAt: now,
      updatedAt: now,
      history: [],
    }
    for (const field of ["targetIdentity", "link", "room"] as const) if (parent[field] !== undefined) (task as Record<string, unknown>)[field] = parent[field]
    return task
  })
}

/** The parent's result: each step's title and its subtask's output, in the plan's order. */
export function assemblePlanResult(plan: TaskPlan, subtaskOf: (key: string) => Task | undefined): string {
  const parts = plan.steps.map((step, i) => {
    const output = subtaskOf(step.key)?.result?.output?.trim()
    return `## ${i + 1}. ${step.title}\n\n${output || "(no result)"}`
  })
  return [`# ${plan.goal}`, ...parts].join("\n\n")
}
