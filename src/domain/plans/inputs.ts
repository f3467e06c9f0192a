/** What a person gives to have a request planned and to edit a plan: the CLI's flags and the panel's forms read these. */
import { z } from "zod"
import { Id, LIMITS, MAX_PLAN_STEPS, PlanFacet, PlanStepKey } from "../../../schemas/index.ts"
import { Budget, TaskFields } from "../tasks/inputs.ts"

export const PlanRequestInput = z.object({
  request: z.string({ error: "the request to plan is required" }).trim().min(8, "the request to plan needs at least 8 characters").max(LIMITS.prompt, `a request holds at most ${LIMITS.prompt} characters`),
  /** Plan even when the gut-check finds the request simple. */
  force: z.boolean().default(false),
})
export type PlanRequestInput = z.input<typeof PlanRequestInput>

/** A request to plan as a task: the parent's budget is split among the steps. */
export const PlanTaskInput = PlanRequestInput.extend({
  /** Who cuts the request: the deterministic splitter at once, or a worker's model (the splitter's steps stand meanwhile and if its reply is unusable). */
  draft: z.enum(["splitter", "model"]).default("splitter"),
  maxBudgetUsd: Budget.optional(),
  model: TaskFields.model.optional(),
  priority: TaskFields.priority.optional(),
  targetIdentity: Id.optional(),
}).strict()
export type PlanTaskInput = z.input<typeof PlanTaskInput>

/** One step as an operator edits it: a step without a key is new. */
export const PlanStepInput = z
  .object({
    key: PlanStepKey.optional(),
    title: TaskFields.title,
    prompt: TaskFields.prompt,
    facet: PlanFacet,
    dependsOn: z.array(PlanStepKey).max(MAX_PLAN_STEPS).default([]),
    budgetUsd: Budget.optional(),
  })
  .strict()
export type PlanStepInput = z.input<typeof PlanStepInput>

/** A plan's steps as the operator leaves them: changed, reordered, dropped or added. */
export const PlanStepsEdit = z.array(PlanStepInput).min(1, "a plan needs at least one step").max(MAX_PLAN_STEPS, `a plan holds at most ${MAX_PLAN_STEPS} steps`)
export type PlanStepsEdit = z.input<typeof PlanStepsEdit>
