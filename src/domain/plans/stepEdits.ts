/**
 * A proposed plan's steps as an operator edits them before saving (the panel's plan page):
 * moved up or down, dropped (and forgotten by the steps that waited for it), added, and
 * turned into the edit `editPlan` takes. Pure: nothing here writes; the checks that decide
 * whether the steps can run are `planStepsProblem` and `stepsBudgetProblem`.
 *
 * A new step gets a provisional key at once (so others can wait for it and the checks can
 * name it); `stepsEditOf` gives it, and every step that waits for it, the key `editPlan`
 * will give it.
 */
import type { PlanFacet, PlanStep } from "../../../schemas/index.ts"
import type { PlanStepInput } from "./inputs.ts"
import { nextStepKey } from "./planTasks.ts"

/** A step being edited: `isNew` until it is saved (its key is provisional then). */
export interface StepDraft extends PlanStep {
  isNew: boolean
}

/** Budgets are compared in millionths of a dollar, as they are split. */
const MICRO_USD = 1_000_000
const micro = (usd: number) => Math.round(usd * MICRO_USD)

/** The saved steps, ready to edit. */
export function draftOf(steps: readonly PlanStep[]): StepDraft[] {
  return steps.map(s => ({ ...s, dependsOn: [...s.dependsOn], isNew: false }))
}

/** Whether the draft differs from the saved steps (order, fields, or steps added or dropped). */
export function isEdited(saved: readonly PlanStep[], draft: readonly StepDraft[]): boolean {
  if (saved.length !== draft.length) return true
  return draft.some((d, i) => {
    const s = saved[i]!
    return d.isNew || d.key !== s.key || d.title !== s.title || d.prompt !== s.prompt || d.facet !== s.facet || micro(d.budgetUsd) !== micro(s.budgetUsd) || d.dependsOn.join(",") !== s.dependsOn.join(",")
  })
}

/** The steps with the one at `index` moved `by` places (-1 up, 1 down); out of range changes nothing. */
export function moveStep<T extends PlanStep>(steps: readonly T[], index: number, by: -1 | 1): T[] {
  const to = index + by
  if (index < 0 || index >= steps.length || to < 0 || to >= steps.length) return [...steps]
  const next = [...steps]
  ;[next[index], next[to]] = [next[to]!, next[index]!]
  return next
}

/** The steps without the one at `index`; the steps that waited for it no longer do. */
export function dropStep<T extends PlanStep>(steps: readonly T[], index: number): T[] {
  const gone = steps[index]
  if (!gone) return [...steps]
  return steps.filter((_, i) => i !== index).map(s => (s.dependsOn.includes(gone.key) ? { ...s, dependsOn: s.dependsOn.filter(k => k !== gone.key) } : s))
}

/** What the steps' budgets leave of the task's maximum (never below zero). */
export function budgetLeft(steps: readonly Pick<PlanStep, "budgetUsd">[], maxBudgetUsd: number): number {
  return Math.max(0, micro(maxBudgetUsd) - steps.reduce((sum, s) => sum + micro(s.budgetUsd), 0)) / MICRO_USD
}

/**
 * The steps with a new one at the end. It waits for `dependsOn` and takes what the others
 * leave of the budget; when they leave nothing, the budget is split evenly among all steps again.
 * `saved` are the plan's saved steps, whose keys a new step never takes (nor a dropped one's).
 */
export function addStep(
  steps: readonly StepDraft[],
  saved: readonly PlanStep[],
  maxBudgetUsd: number,
  step: { title: string; prompt: string; facet: PlanFacet; dependsOn?: readonly string[] },
): StepDraft[] {
  const key = nextStepKey([...saved, ...steps])
  const left = budgetLeft(steps, maxBudgetUsd)
  const made: StepDraft = { key, title: step.title, prompt: step.prompt, facet: step.facet, dependsOn: [...(step.dependsOn ?? [])], budgetUsd: left, isNew: true }
  const next = [...steps, made]
  if (left > 0) return next
  const each = Math.floor(micro(maxBudgetUsd) / next.length) / MICRO_USD
  return next.map(s => ({ ...s, budgetUsd: each }))
}

/** Why the steps' budgets cannot stand (more than the task's maximum, as editPlan refuses), or undefined. */
export function stepsBudgetProblem(steps: readonly Pick<PlanStep, "budgetUsd">[], maxBudgetUsd: number): string | undefined {
  const total = steps.reduce((sum, s) => sum + s.budgetUsd, 0)
  return total > maxBudgetUsd + 1e-9 ? `the steps' budgets add up to $${total.toFixed(4)}, more than the task's $${maxBudgetUsd}` : undefined
}

/**
 * The draft as `editPlan` takes it: saved steps keep their keys, new ones go without one, and
 * a step that waits for a new one names the key editPlan gives it (one above every key the
 * plan has used, in the order the new steps stand).
 */
export function stepsEditOf(saved: readonly PlanStep[], draft: readonly StepDraft[]): PlanStepInput[] {
  const known = new Set(saved.map(s => s.key))
  const final = new Map<string, string>()
  let used: Pick<PlanStep, "key">[] = [...saved]
  for (const step of draft) {
    const keeps = !step.isNew && known.has(step.key) && !final.has(step.key)
    const key = keeps ? step.key : nextStepKey(used as PlanStep[])
    final.set(step.key, key)
    used = [...used, { key }]
  }
  return draft.map(step => ({
    ...(step.isNew ? {} : { key: step.key }),
    title: step.title.trim(),
    prompt: step.prompt.trim(),
    facet: step.facet,
    dependsOn: step.dependsOn.map(k => final.get(k) ?? k),
    budgetUsd: step.budgetUsd,
  }))
}

/** How deep each step stands in the plan's tree: 0 waits for nothing, else one below the deepest step above it that it waits for. */
export function stepDepths(steps: readonly Pick<PlanStep, "key" | "dependsOn">[]): number[] {
  const depth = new Map<string, number>()
  return steps.map(step => {
    const above = step.dependsOn.map(k => depth.get(k)).filter((d): d is number => d !== undefined)
    const d = above.length ? Math.max(...above) + 1 : 0
    depth.set(step.key, d)
    return d
  })
}
