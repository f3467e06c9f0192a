/**
 * What residents think with: the facets a plan's steps take, the hats they wear, and the
 * plan an LLM proposes for a compound request (validated before anything is queued).
 */
import { z } from "zod"

/** What a plan step is about; each facet has a hat (src/domain/hats). */
export const Facet = z.enum(["strategy", "build", "review", "document"])
export type Facet = z.infer<typeof Facet>
export const FACETS = Facet.options

/** Most steps a plan may hold. */
export const MAX_PLAN_STEPS = 12

/** One step of a proposed plan: `dependsOn` names earlier steps by their index. */
export const PlanStepDraft = z.strictObject({
  title: z.string().trim().min(3).max(200),
  prompt: z.string().trim().min(8).max(4_000),
  facet: Facet,
  dependsOn: z.array(z.number().int().nonnegative()).max(MAX_PLAN_STEPS).default([]),
  /** Share of the parent's budget, 0 < share ≤ 1; absent shares split what the others leave. */
  budgetShare: z.number().positive().max(1).optional(),
})
export type PlanStepDraft = z.infer<typeof PlanStepDraft>

/** The JSON an LLM is asked to return when it plans a request. */
export const PlanReply = z.strictObject({
  goal: z.string().trim().min(3).max(500),
  steps: z.array(PlanStepDraft).min(2).max(MAX_PLAN_STEPS),
})
export type PlanReply = z.infer<typeof PlanReply>

/** A prompt overlay a step wears; a hat never changes who the resident is. */
export const Hat = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/),
  name: z.string().trim().min(2).max(60),
  description: z.string().trim().min(3).max(300),
  prompt: z.string().trim().min(3).max(2_000),
  /** The facet this hat is worn for by default, if any. */
  facet: Facet.optional(),
})
export type Hat = z.infer<typeof Hat>
