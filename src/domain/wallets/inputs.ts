/**
 * What a person or a peer asks of the wallets, as zod inputs: the CLI's flags and the PWA's
 * forms are built from these, so a limit and its message are written once.
 */
import { z } from "zod"

/** A number of tokens an operator sets: a reward, a tip, a grant. */
export const Tokens = z.number().int().nonnegative().max(100_000)
