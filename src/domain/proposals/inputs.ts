/** What a person gives to propose a change or start a loop: the CLI's flags and the panel's forms read this. */
import { z } from "zod"
import { ProposalRisk, ProposalTarget } from "../../../schemas/index.ts"

/** A target written as `hat:ID:FIELD` or `skill:ID:FIELD` (the CLI's --target). */
export const TargetRef = z
  .string()
  .transform(ref => {
    const [kind, id, field] = ref.split(":")
    return { kind, id, field }
  })
  .pipe(ProposalTarget)

/** `hat:builder:prompt`, the way TargetRef reads it. */
export const targetRef = (t: ProposalTarget) => `${t.kind}:${t.id}:${t.field}`

export const ProposalInput = z
  .object({
    target: ProposalTarget,
    after: z.string().trim().min(1, "the proposed text is empty").max(4_000),
    reason: z.string().trim().min(3, "say why, in a few words").max(1_000),
    risk: ProposalRisk.default("medium"),
    rollbackPlan: z.string().trim().min(3).max(1_000).default("roll back to the checkpoint taken when it applied"),
  })
  .strict()
export type ProposalInput = z.input<typeof ProposalInput>

export const LoopInput = z
  .object({
    target: ProposalTarget,
    goal: z.string().trim().min(3, "say what the loop should improve").max(1_000),
    resident: z.string().min(1).max(120).optional(),
    risk: ProposalRisk.default("medium"),
    maxIterations: z.coerce.number().int().min(1).max(50).default(3),
    budgetUsd: z.coerce.number().positive().max(100).default(0.1),
  })
  .strict()
export type LoopInput = z.input<typeof LoopInput>

export const RejectInput = z.object({ reason: z.string().trim().max(500).optional() }).strict()
export const StopInput = z.object({ reason: z.string().trim().min(3).max(500).default("stopped by an operator") }).strict()
