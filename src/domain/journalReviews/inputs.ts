/** What an operator gives to submit a resident's journal entry for review, and to rate one: the CLI's flags and the panel's forms read this. */
import { z } from "zod"
import { Id, LIMITS, VoteChoice, VoterKind } from "../../../schemas/index.ts"

export const SubmitInput = z.object({ author: Id, entry: Id }).strict()
export type SubmitInput = z.input<typeof SubmitInput>

export const RateInput = z
  .object({
    /** A resident's id, or the rating operator's own name. */
    voter: z.string().trim().min(1, "choose who votes").max(120),
    voterKind: VoterKind,
    choice: VoteChoice,
    reason: z.string().trim().min(3, "say why in a few words").max(LIMITS.reason),
  })
  .strict()
export type RateInput = z.input<typeof RateInput>
