/** What a person gives to have a request planned: the CLI's flags and the panel's form read this. */
import { z } from "zod"
import { LIMITS } from "../../../schemas/index.ts"

export const PlanRequestInput = z.object({
  request: z.string({ error: "the request to plan is required" }).trim().min(8, "the request to plan needs at least 8 characters").max(LIMITS.prompt, `a request holds at most ${LIMITS.prompt} characters`),
  /** Plan even when the gut-check finds the request simple. */
  force: z.boolean().default(false),
})
export type PlanRequestInput = z.input<typeof PlanRequestInput>
