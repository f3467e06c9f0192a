/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export interface BackoffOptions {
  baseMs: number
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, capMs: 60_000 }

export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exp / 2 + (random() * exp) / 2)
}
