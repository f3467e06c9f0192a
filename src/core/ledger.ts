/**
 * Wallet balances, derived from the append-only ledger (never stored): per resident and
 * bucket, the sum of grants minus the sum of spends. Entries are keyed by idempotency key
 * in the wallets document, so a grant written twice is one entry and counts once.
 */
import type { LedgerEntry } from "../../schemas/index.ts"

export type Bucket = Exclude<LedgerEntry["bucket"], "split">
export type Balance = Record<Bucket, number>

export const emptyBalance = (): Balance => ({ free_time: 0, journal: 0 })

/** Every resident's balance per bucket; residents without entries are absent. */
export function balances(entries: Iterable<LedgerEntry>): Map<string, Balance> {
  const out = new Map<string, Balance>()
  for (const entry of entries) {
    let balance = out.get(entry.identity)
    if (!balance) out.set(entry.identity, (balance = emptyBalance()))
    const sign = entry.kind === "grant" ? 1 : -1
    if (entry.bucket !== "split") balance[entry.bucket] += sign * entry.amount
    else {
      const free = Math.floor(entry.amount * 0.7)
      balance.free_time += sign * free
      balance.journal += sign * (entry.amount - free)
    }
  }
  return out
}
