/**
 * What the planner makes of a request before anything is queued: the gut-check, the
 * intent, and the plan the deterministic splitter offers, each step with the hat its facet
 * picks and its share of the budget. Needs no model and no connection.
 */
import type { Facet, Hat } from "../../../schemas/index.ts"
import { DEFAULT_HATS, hatForFacet } from "../hats/index.ts"
import { gutCheck, type GutCheck } from "./gutCheck.ts"
import { PlanRequestInput } from "./inputs.ts"
import { extractIntent, type Intent } from "./intent.ts"
import { splitRequest } from "./splitter.ts"

export interface PreviewStep {
  index: number
  title: string
  facet: Facet
  hat: string | undefined
  dependsOn: number[]
}

export interface PlanPreview {
  gutCheck: GutCheck
  intent: Intent
  /** The steps, or undefined when the request stays one task (with the reason). */
  steps: PreviewStep[] | undefined
  reason?: string
}

export function previewPlan(input: PlanRequestInput, hats: readonly Hat[] = DEFAULT_HATS): PlanPreview {
  const { request, force } = PlanRequestInput.parse(input)
  const check = gutCheck(request)
  const intent = extractIntent(request)
  if (!check.shouldPlan && !force) return { gutCheck: check, intent, steps: undefined, reason: `it reads as one piece of work (${check.complexity} of the 2 signals needed)` }
  const plan = splitRequest(request)
  if (!plan) return { gutCheck: check, intent, steps: undefined, reason: "it names fewer than two pieces of work the splitter can tell apart" }
  return {
    gutCheck: check,
    intent,
    steps: plan.steps.map((s, index) => ({ index, title: s.title, facet: s.facet, hat: hatForFacet(s.facet, hats)?.name, dependsOn: s.dependsOn })),
  }
}
