/**
 * What the planner makes of a request before anything is queued: the gut-check, the
 * intent, and the plan offered (the model's when usable, else the deterministic splitter's),
 * each step with the hat its facet picks. Needs no model and no connection.
 */
import type { Facet, Hat } from "../../../schemas/index.ts"
import { DEFAULT_HATS, hatForFacet } from "../hats/index.ts"
import { gutCheck, type GutCheck } from "./gutCheck.ts"
import { PlanRequestInput } from "./inputs.ts"
import { extractIntent, type Intent } from "./intent.ts"
import { proposePlan, type ProposedPlan } from "./planReply.ts"

export interface PreviewStep {
  index: number
  title: string
  facet: Facet
  hat: string | undefined
  dependsOn: number[]
}

export interface PlanReading {
  gutCheck: GutCheck
  intent: Intent
  /** The plan offered, or undefined when the request stays one task (with the reason). */
  proposed: ProposedPlan | undefined
  reason?: string
}

/** Reads a request: plans it when the gut-check finds it compound (or `force`), with the model's reply when there is one. */
export function readRequest(request: string, force: boolean, modelReply?: string): PlanReading {
  const check = gutCheck(request)
  const intent = extractIntent(request)
  if (!check.shouldPlan && !force) return { gutCheck: check, intent, proposed: undefined, reason: `it reads as one piece of work (${check.complexity} of the 2 signals needed)` }
  const proposed = proposePlan(request, modelReply)
  if (!proposed) return { gutCheck: check, intent, proposed: undefined, reason: "it names fewer than two pieces of work the splitter can tell apart" }
  return { gutCheck: check, intent, proposed }
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
  const { proposed, ...reading } = readRequest(request, force)
  return {
    ...reading,
    steps: proposed?.plan.steps.map((s, index) => ({ index, title: s.title, facet: s.facet, hat: hatForFacet(s.facet, hats)?.name, dependsOn: s.dependsOn })),
  }
}
