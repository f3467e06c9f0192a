/** The bounties concept's public face: what the views, the CLI, the relay and the worker use. */
export { askResidentForBounty, completeBounty, deleteBounty, postBounty, readFencedBounties, submitToBounty } from "./actions.ts"
export { CompletionInput, MAX_MEMBERS, NewBountyInput, SLOTS_RANGE, SubmissionInput } from "./inputs.ts"
export { arrivalOrder, bountyPayoutVoids, bountyTaskInput, BountyRuleError, type Payout, payoutKey, payoutPlan, rankSubmissions } from "./bounty.ts"
