/** Percentiles (nearest rank) and number formatting for the reports. */

export interface Summary {
  n: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Nearest-rank percentile of an ascending array; Infinity entries stand for "never seen". */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const finite = sorted.filter(Number.isFinite)
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: finite.reduce((a, b) => a + b, 0) / (finite.length || 1),
  }
}

/** Milliseconds with sensible precision; Infinity prints as "never". */
export function ms(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "n/a" : "never"
  const d = digits ?? (value < 10 ? 2 : value < 100 ? 1 : 0)
  return value.toFixed(d)
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "n/a"
  return `${(a / b).toFixed(2)}x`
}

export function mib(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a"
  return (bytes / (1024 * 1024)).toFixed(1)
}
