/** What a person gives to found a guild, ask to join one, vote on a request and leave: the CLI's flags and the panel's forms read this. */
import { z } from "zod"
import { Id, LIMITS, VoterKind } from "../../../schemas/index.ts"
import { GUILD_SORTS } from "./rules.ts"

/** An empty optional text is no text. */
const optionalText = (max: number, tooLong: string) =>
  z
    .string()
    .trim()
    .max(max, tooLong)
    .optional()
    .transform(t => t || undefined)

export const FoundInput = z
  .object({
    name: z.string().trim().min(3, "a guild's name is 3 to 60 characters").max(60, "a guild's name is 3 to 60 characters"),
    motto: optionalText(200, "a motto is at most 200 characters"),
    founder: z.string().min(1, "choose the resident who founds it").pipe(Id),
  })
  .strict()
export type FoundInput = z.input<typeof FoundInput>

export const JoinInput = z
  .object({
    applicant: z.string().min(1, "choose the resident who asks").pipe(Id),
    note: optionalText(LIMITS.reason, `a note is at most ${LIMITS.reason} characters`),
  })
  .strict()
export type JoinInput = z.input<typeof JoinInput>

export const VoteInput = z
  .object({
    /** A member resident's id, or the operator's own name when voterKind is "operator". */
    voter: z.string().min(1, "say who votes").max(120),
    voterKind: VoterKind,
    choice: z.enum(["accept", "reject"]),
    reason: z.string().trim().min(3, "give a reason of at least 3 characters").max(LIMITS.reason),
  })
  .strict()
export type VoteInput = z.input<typeof VoteInput>

export const LeaveInput = z.object({ member: Id }).strict()
export type LeaveInput = z.input<typeof LeaveInput>

export const GuildSortInput = z.enum(GUILD_SORTS, { error: "sort by earned, bounties or members" })
