/** Runtime-contract defaults (docs/RUNTIME_CONTRACT.md lists where they differ from the Python original). */
import type { RuntimeControls } from "../../schemas/index.ts"

export const DEFAULT_MIN_BUDGET_USD = 0.05
export const DEFAULT_MAX_BUDGET_USD = 0.1
export const DEFAULT_SPEND_CAP_USD = 1.0
/** A critic rejection requeues a task; the third one fails it. */
export const MAX_REVIEW_ATTEMPTS = 3
export const DEFAULT_LEASE_MS = 60_000
/** A peer whose last heartbeat is older than this counts as offline (workers beat every 5 s). */
export const ONLINE_WINDOW_MS = 15_000
/**
 * While a peer stays online the relay writes its `lastSeen` this rarely (and at once when it
 * comes or goes): liveness itself travels in ephemeral beats, not in the root document.
 */
export const LAST_SEEN_REFRESH_MS = 5 * 60_000
/** A peer marked online whose `lastSeen` is older than this counts as offline (the relay that marked it is gone). */
export const ONLINE_MARK_STALE_MS = 3 * LAST_SEEN_REFRESH_MS
/** Tasks finished longer ago than this move from the live queue to a monthly archive. */
export const DEFAULT_ARCHIVE_AFTER_MS = 24 * 60 * 60 * 1000

export function defaultControls(setBy: string, now: number): RuntimeControls {
  return {
    killSwitch: { on: false, reason: "", setBy, setAt: now },
    spendCapUsd: DEFAULT_SPEND_CAP_USD,
    defaultMinBudgetUsd: DEFAULT_MIN_BUDGET_USD,
    defaultMaxBudgetUsd: DEFAULT_MAX_BUDGET_USD,
    defaultModel: "auto",
    reviewEverything: false,
  }
}
