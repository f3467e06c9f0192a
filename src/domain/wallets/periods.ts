/**
 * The ledger's periods: one segment document per UTC month, plus "legacy", the wallets
 * document written before the ledger had periods (always the first). The period length is
 * decided here only.
 */
import type { LedgerPeriod } from "../../../schemas/index.ts"

export const LEGACY_PERIOD = "legacy"

/** The period an entry written at `at` belongs to: its UTC month, "2026-11". */
export function periodOf(at: number): LedgerPeriod {
  return new Date(at).toISOString().slice(0, 7)
}

/** Oldest first: legacy, then months in order. */
export function comparePeriods(a: string, b: string): number {
  if (a === b) return 0
  if (a === LEGACY_PERIOD) return -1
  if (b === LEGACY_PERIOD) return 1
  return a < b ? -1 : 1
}
