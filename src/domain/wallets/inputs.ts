/**
 * What a person or a peer asks of the wallets, as zod inputs: the CLI's flags and the PWA's
 * forms are built from these, so a limit and its message are written once.
 */
import { z } from "zod"
import { LedgerEntry, LIMITS } from "../../../schemas/index.ts"

/** A number of tokens an operator sets: a reward, a tip, a grant. */
export const TOKENS_RANGE = { min: 0, max: 100_000 } as const
const TOKENS_RULE = `tokens are a whole number from ${TOKENS_RANGE.min} to ${TOKENS_RANGE.max}`
export const Tokens = z.number({ error: TOKENS_RULE }).int(TOKENS_RULE).min(TOKENS_RANGE.min, TOKENS_RULE).max(TOKENS_RANGE.max, TOKENS_RULE)

/** An operator's manual grant to a resident: a whole number of tokens the ledger can hold. */
export const GRANT_RANGE = { min: 1, max: LedgerEntry.shape.amount.maxValue ?? Number.MAX_SAFE_INTEGER } as const
const GRANT_RULE = `a grant is a whole number of tokens from ${GRANT_RANGE.min} to ${GRANT_RANGE.max}`
export const ManualGrantInput = z
  .object({
    amount: z.number({ error: GRANT_RULE }).int(GRANT_RULE).min(GRANT_RANGE.min, GRANT_RULE).max(GRANT_RANGE.max, GRANT_RULE),
    reason: z
      .string()
      .trim()
      .max(LIMITS.reason, `the reason is longer than ${LIMITS.reason} characters`)
      .transform(r => r || "manual tip"),
  })
  .strict()
export type ManualGrantInput = z.input<typeof ManualGrantInput>
