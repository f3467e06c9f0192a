/**
 * What a person asks for in rooms, as zod inputs: the CLI's `room post` flags, the PWA's
 * message composer and its DM form are built from these, so a limit and its message are
 * written once.
 */
import { z } from "zod"
import { Id, LIMITS } from "../../../schemas/index.ts"

/**
 * The id prefix of a message a person typed, and of the room copy of an operator's action
 * (actions.ts announce); the relay's automatic posts have fixed ids of their own.
 */
export const TYPED_MESSAGE_PREFIX = "msg"
export const ANNOUNCEMENT_PREFIX = "note"

/** How important a message is, 0 to 10; 7 and more stands out in the room. */
export const IMPORTANCE_RANGE = { min: 0, max: 10 } as const
export const DEFAULT_IMPORTANCE = 5
const IMPORTANCE_RULE = `importance is a whole number from ${IMPORTANCE_RANGE.min} to ${IMPORTANCE_RANGE.max}`

export const NewMessageInput = z
  .object({
    content: z.string().trim().min(1, "the message is empty").max(LIMITS.message, `a message is at most ${LIMITS.message} characters`),
    importance: z
      .number({ error: IMPORTANCE_RULE })
      .int(IMPORTANCE_RULE)
      .min(IMPORTANCE_RANGE.min, IMPORTANCE_RULE)
      .max(IMPORTANCE_RANGE.max, IMPORTANCE_RULE)
      .default(DEFAULT_IMPORTANCE),
    replyTo: Id.optional(),
  })
  .strict()
export type NewMessageInput = z.input<typeof NewMessageInput>

/** The two parties of a DM: residents, or a resident and an operator. */
export const DmParties = z
  .tuple([Id, Id], { error: "a DM needs two parties" })
  .refine(([a, b]) => a !== b, "a DM needs two different parties")

/** A room's topic: what the room is for (empty clears it). */
export const RoomTopic = z.string().trim().max(LIMITS.reason)
