/**
 * The queue over time, for the dashboard's charts: per time bucket, how many tasks were
 * approved and failed, what the LLM calls cost, and how many tasks were open (queue depth)
 * at the bucket's end. Derived from the tasks alone (their history, recorded calls and
 * creation times), so every peer draws the same charts from the same queue, offline too.
 */
import type { Task } from "../../../schemas/index.ts"
import { TERMINAL_STATUSES } from "./taskMachine.ts"

export interface SeriesWindow {
  /** The last bucket ends here. */
  now: number
  buckets: number
  bucketMs: number
}

export interface TaskSeries {
  /** Where each bucket ends, oldest first. */
  ends: number[]
  approved: number[]
  failed: number[]
  /** LLM spend billed within each bucket (each call at its time; a task without recorded calls, at its result). */
  spendUsd: number[]
  /** Tasks added and not yet approved, failed or cancelled at each bucket's end. */
  depth: number[]
}

/** The bucket of time `at`, or -1 outside the window (the last bucket includes `now`). */
function bucketOf(at: number, w: SeriesWindow): number {
  const age = w.now - at
  if (age < 0 || age >= w.buckets * w.bucketMs) return -1
  return w.buckets - 1 - Math.floor(age / w.bucketMs)
}

export function taskSeries(tasks: Iterable<Task>, w: SeriesWindow): TaskSeries {
  const zeros = () => new Array<number>(w.buckets).fill(0)
  const ends = Array.from({ length: w.buckets }, (_, i) => w.now - (w.buckets - 1 - i) * w.bucketMs)
  const series: TaskSeries = { ends, approved: zeros(), failed: zeros(), spendUsd: zeros(), depth: zeros() }
  const spend = (at: number, usd: number) => {
    const i = bucketOf(at, w)
    if (i >= 0) series.spendUsd[i]! += usd
  }
  for (const t of tasks) {
    let closedAt: number | undefined
    for (const e of t.history) {
      if (TERMINAL_STATUSES.has(e.to)) closedAt = Math.min(closedAt ?? Infinity, e.at)
      const i = bucketOf(e.at, w)
      if (i < 0) continue
      if (e.to === "approved") series.approved[i]!++
      else if (e.to === "failed") series.failed[i]!++
    }
    if (t.calls?.length) for (const c of t.calls) spend(c.at, c.costUsd)
    else if (t.result?.costUsd) spend(t.result.finishedAt, t.result.costUsd)
    // A task written as terminal without a history event counts as closed when last updated.
    if (closedAt === undefined && TERMINAL_STATUSES.has(t.status)) closedAt = t.updatedAt
    for (let i = 0; i < w.buckets; i++) if (t.createdAt <= ends[i]! && (closedAt === undefined || closedAt > ends[i]!)) series.depth[i]!++
  }
  return series
}
