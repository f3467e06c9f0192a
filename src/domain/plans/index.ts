/** Plans: a compound request read (gut-check, intent) and cut into steps an operator checks before any runs. */
export { CONNECTORS, gutCheck, PLAN_THRESHOLD, type GutCheck, type GutSignal } from "./gutCheck.ts"
export { extractIntent, sentencesOf, type Intent } from "./intent.ts"
export { budgetShares, planProblem, proposePlan, readPlanReply, type PlanSource, type ProposedPlan } from "./planReply.ts"
export { DEFAULT_MAX_STEPS, facetOf, featuresOf, splitRequest, stageDependencies } from "./splitter.ts"
export { PlanRequestInput } from "./inputs.ts"
export { previewPlan, type PlanPreview, type PreviewStep } from "./preview.ts"
