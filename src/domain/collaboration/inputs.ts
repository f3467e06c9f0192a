/** What a person gives to set a collaboration request: the CLI's flag and the panel's form read this. */
import { z } from "zod"
import { LIMITS } from "../../../schemas/index.ts"

export const CollabRequestInput = z
  .object({
    text: z.string().trim().min(3, "say what you ask for, in a few words").max(LIMITS.message, `a request is at most ${LIMITS.message} characters`),
  })
  .strict()
export type CollabRequestInput = z.input<typeof CollabRequestInput>
