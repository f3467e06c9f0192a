/** What a person gives to open a dispute and to assign its mediator: the CLI's flags and the panel's forms read this. */
import { z } from "zod"
import { Id, LIMITS, Privilege, VoterKind } from "../../../schemas/index.ts"

export const DisputeTargetInput = z.object({ kind: z.enum(["guild_join", "journal_review"]), id: Id }).strict()

/** A target written as `guild_join:REQUEST` or `journal_review:REVIEW` (the CLI's --target). */
export const TargetRef = z
  .string()
  .transform(ref => {
    const at = ref.indexOf(":")
    return { kind: ref.slice(0, at), id: ref.slice(at + 1) }
  })
  .pipe(z.object({ kind: z.enum(["guild_join", "journal_review"], { error: "the target is guild_join:REQUEST or journal_review:REVIEW" }), id: Id }))

export const OpenInput = z
  .object({
    target: DisputeTargetInput,
    /** A resident's id, or the operator's own name when requesterKind is "operator". */
    requester: z.string().min(1, "say who disputes it").max(120),
    requesterKind: VoterKind,
    reason: z.string().trim().min(3, "give a reason of at least 3 characters").max(LIMITS.reason),
    /** What the requester loses if the dispute is upheld. */
    risk: Privilege.default("daily_allowance"),
  })
  .strict()
export type OpenInput = z.input<typeof OpenInput>

export const MediatorInput = z.object({ resident: Id }).strict()
export type MediatorInput = z.input<typeof MediatorInput>
