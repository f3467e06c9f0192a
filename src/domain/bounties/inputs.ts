/**
 * What an operator asks for with bounties, as zod inputs: the CLI's `bounty post|submit|complete`
 * flags and the PWA's bounty forms are built from these, so a limit and its message are
 * written once.
 */
import { z } from "zod"
import { Id, LIMITS } from "../../../schemas/index.ts"
import { Tokens } from "../wallets/inputs.ts"

/** How many submissions earn the full multiplier. */
export const SLOTS_RANGE = { min: 1, max: 100 } as const
const SLOTS_RULE = `slots are a whole number from ${SLOTS_RANGE.min} to ${SLOTS_RANGE.max}`
/** The most residents one submission names. */
export const MAX_MEMBERS = 10

export const NewBountyInput = z
  .object({
    title: z.string().trim().min(1, "a bounty needs a title").max(LIMITS.title, `a title is at most ${LIMITS.title} characters`),
    description: z.string().trim().max(LIMITS.objective, `the description is longer than ${LIMITS.objective} characters`).default(""),
    reward: Tokens,
    slots: z.number({ error: SLOTS_RULE }).int(SLOTS_RULE).min(SLOTS_RANGE.min, SLOTS_RULE).max(SLOTS_RANGE.max, SLOTS_RULE).default(1),
  })
  .strict()
export type NewBountyInput = z.input<typeof NewBountyInput>

export const SubmissionInput = z
  .object({
    /** The resident who submits; always one of the members. */
    identity: Id,
    members: z.array(Id).max(MAX_MEMBERS, `a submission has at most ${MAX_MEMBERS} members`).optional(),
    content: z.string().trim().min(1, "the submission is empty").max(LIMITS.message, `a submission is at most ${LIMITS.message} characters`),
  })
  .strict()
export type SubmissionInput = z.input<typeof SubmissionInput>

export const CompletionInput = z
  .object({
    /** Submission ids. */
    winner: Id,
    runnerUp: Id.optional(),
    /** Defaults to the bounty's reward. */
    winnerReward: Tokens.optional(),
    runnerUpReward: Tokens.default(0),
  })
  .strict()
export type CompletionInput = z.input<typeof CompletionInput>
