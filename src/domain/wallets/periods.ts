/**
 * The ledger's periods: one segment document per UTC month, plus "legacy", the wallets
 * document written before the ledger had periods (always the first). Within a segment,
 * entries are kept in day maps by UTC day of the month. The period length and the day are
 * decided here only.
 */
import type { LedgerDay, LedgerPeriod } from "../../../schemas/index.ts"

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

/** The day map of its segment an entry written at `at` is kept in: its UTC day of the month, "05". */
export function dayOf(at: number): LedgerDay {
  return new Date(at).toISOString().slice(8, 10)
}

/** Every day map a segment holds ("01" … "31"), made with it so that no peer ever creates one. */
export const LEDGER_DAYS: readonly LedgerDay[] = Array.from({ length: 31 }, (_, i) => String(i + 1).padStart(2, "0"))
