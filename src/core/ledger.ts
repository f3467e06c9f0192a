/**
 * Wallet balances, derived from the append-only ledger (never stored): per resident and
 * bucket, the sum of grants minus the sum of spends. Entries are keyed by idempotency key
 * in the wallets document, so a grant written twice is one entry and counts once.
 */
import type { LedgerEntry } from "../../schemas/index.ts"

export type Bucket = LedgerEntry["bucket"]
export type Balance = Record<Bucket, number>

export const emptyBalance = (): Balance => ({ free_time: 0, journal: 0 })

/** Every resident's balance per bucket; residents without entries are absent. */
export function balances(entries: Iterable<LedgerEntry>): Map<string, Balance> {
  const out = new Map<string, Balance>()
  for (const entry of entries) {
    let balance = out.get(entry.identity)
    if (!balance) out.set(entry.identity, (balance = emptyBalance()))
    balance[entry.bucket] += entry.kind === "grant" ? entry.amount : -entry.amount
  }
  return out
}
