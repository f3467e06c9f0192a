/**
 * What an operator writes to the residents, as zod inputs: the CLI's `mail send` and
 * `mail reply` flags and the PWA's new-message and reply forms are built from these.
 */
import { z } from "zod"
import { LIMITS } from "../../../schemas/index.ts"

/** The text of a message or a reply. */
export const MailContent = z.string().trim().min(1, "the message is empty").max(LIMITS.message, `a message is at most ${LIMITS.message} characters`)

export const SendMailInput = z
  .object({
    /** Blank or absent: a broadcast to all residents. */
    resident: z.string().trim().max(120).optional(),
    content: MailContent,
  })
  .strict()
export type SendMailInput = z.input<typeof SendMailInput>
