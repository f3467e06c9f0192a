/** What an operator gives to add a one-time task, and to claim one for a resident: the CLI's flags and the panel's forms read this. */
import { z } from "zod"
import { Id } from "../../../schemas/index.ts"
import { DEFAULT_ONE_TIME_BONUS } from "./rules.ts"

export const OneTimeInput = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{2,40}$/, "an id is 3-41 lowercase letters, digits or -, starting with a letter"),
    title: z.string().trim().min(3, "give it a title").max(200),
    prompt: z.string().trim().min(3, "say what the resident should do").max(4_000),
    bonusTokens: z.coerce.number().int().min(1).max(1_000).default(DEFAULT_ONE_TIME_BONUS),
    eligible: z.array(Id).max(200).default([]),
  })
  .strict()
export type OneTimeInput = z.input<typeof OneTimeInput>

export const ClaimInput = z.object({ resident: Id }).strict()
