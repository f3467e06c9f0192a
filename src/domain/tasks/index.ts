/** The tasks concept's public face: what the views, the CLI, the relay and the worker use. */
export { planArchive } from "./archive.ts"
export { critique, routeReview } from "./critic.ts"
export { chooseModel, completionTokensWithin, costUsd, estimatePromptTokens, formatUsd, MIN_USEFUL_COMPLETION_TOKENS } from "./pricing.ts"
export { assignLeases, compareForDispatch, hasDuplicateRun, isApprovedWorker, isOnline, reconcileBlock, workerSlots } from "./scheduling.ts"
export { spendAgainstCap, totalSpend } from "./spend.ts"
export { buildTask, newTaskId, NewTaskInput } from "./taskFactory.ts"
export { applyTransition, EDITABLE_STATUSES, TERMINAL_STATUSES } from "./taskMachine.ts"
export { staleLeaseReason, staleRunReason } from "./taskMerge.ts"
