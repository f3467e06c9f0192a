/** Plans: a compound request read (gut-check, intent), cut into steps an operator checks, and run as subtasks once approved. */
export { CONNECTORS, gutCheck, PLAN_THRESHOLD, type GutCheck, type GutSignal } from "./gutCheck.ts"
export { extractIntent, sentencesOf, type Intent } from "./intent.ts"
export { budgetShares, planProblem, proposePlan, readPlanReply, type PlanSource, type ProposedPlan } from "./planReply.ts"
export { DEFAULT_MAX_STEPS, facetOf, featuresOf, splitRequest, stageDependencies } from "./splitter.ts"
export { PlanRequestInput, PlanStepInput, PlanStepsEdit, PlanTaskInput } from "./inputs.ts"
export { previewPlan, readRequest, type PlanPreview, type PlanReading, type PreviewStep } from "./preview.ts"
export { assemblePlanResult, awaitsPlanApproval, nextStepKey, planFromProposal, planStepsProblem, subtaskIdOf, subtasksOf } from "./planTasks.ts"
export { approvePlan, editPlan, planTask, rejectPlan } from "./actions.ts"
