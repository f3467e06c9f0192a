/**
 * The dashboard's insights over a time range, from tasks alone (live and archived), beside
 * the queue's series over time (src/domain/tasks/series.ts): why tasks failed, what the model
 * calls cost per model and per resident, how often work was routed to a skill, and how long
 * reviews waited. Pure: the panel feeds it the tasks it holds.
 */
import type { Task, TaskStatus } from "../../schemas/index.ts"

export interface InsightRange {
  from: number
  to: number
}

export interface Insights {
  /** Most frequent first. */
  failureReasons: { reason: string; count: number }[]
  spendByModel: { key: string; costUsd: number; calls: number }[]
  spendByResident: { key: string; costUsd: number; calls: number }[]
  skills: { routed: number; reused: number; byKind: Record<string, number> }
  /** From the task reaching review to an operator's decision. */
  reviewLatency: { decided: number; p50Ms?: number; p90Ms?: number }
}

const FINISHED: ReadonlySet<TaskStatus> = new Set(["approved", "failed", "cancelled"])
/** The name spend without a resident goes under. */
export const NO_RESIDENT = "no resident"

/** When the task reached each status, first time (history order). */
function firstAt(task: Task, status: TaskStatus): number | undefined {
  return task.history.find(h => h.to === status)?.at
}

/** When the task finished for good (its last move into a finished status), if it did. */
function finishedAt(task: Task): number | undefined {
  if (!FINISHED.has(task.status)) return undefined
  return [...task.history].reverse().find(h => FINISHED.has(h.to))?.at ?? task.updatedAt
}

const within = (at: number | undefined, range: InsightRange): at is number => at !== undefined && at >= range.from && at < range.to

function quantile(sorted: number[], q: number): number | undefined {
  if (!sorted.length) return undefined
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function grouped(entries: Map<string, { costUsd: number; calls: number }>) {
  return [...entries].map(([key, v]) => ({ key, ...v })).sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key))
}

export function insights(tasks: Iterable<Task>, range: InsightRange): Insights {
  const reasons = new Map<string, number>()
  const byModel = new Map<string, { costUsd: number; calls: number }>()
  const byResident = new Map<string, { costUsd: number; calls: number }>()
  const byKind: Record<string, number> = {}
  let routed = 0
  let reused = 0
  const waits: number[] = []

  for (const task of tasks) {
    if (task.status === "failed" && within(finishedAt(task), range)) {
      const reason = (task.lastError ?? [...task.history].reverse().find(h => h.to === "failed")?.reason ?? "no reason recorded").split("\n")[0]!.slice(0, 120)
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
    }
    for (const call of task.calls ?? []) {
      if (!within(call.at, range)) continue
      for (const [map, key] of [[byModel, call.model], [byResident, task.targetIdentity ?? NO_RESIDENT]] as const) {
        const entry = map.get(key) ?? { costUsd: 0, calls: 0 }
        entry.costUsd += call.costUsd
        entry.calls++
        map.set(key, entry)
      }
    }
    const started = firstAt(task, "running")
    if (task.route && within(started, range)) {
      routed++
      byKind[task.route.kind] = (byKind[task.route.kind] ?? 0) + 1
      if (task.route.kind !== "none" && task.route.skill) reused++
    }
    const review = firstAt(task, "pending_review")
    const decided = review === undefined ? undefined : task.history.find(h => h.at >= review && h.from === "pending_review" && (h.to === "approved" || h.to === "failed" || h.to === "requeued"))
    if (review !== undefined && decided && within(decided.at, range)) waits.push(decided.at - review)
  }
  waits.sort((a, b) => a - b)
  return {
    failureReasons: [...reasons].map(([reason, n]) => ({ reason, count: n })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    spendByModel: grouped(byModel),
    spendByResident: grouped(byResident),
    skills: { routed, reused, byKind },
    reviewLatency: { decided: waits.length, ...(waits.length ? { p50Ms: quantile(waits, 0.5)!, p90Ms: quantile(waits, 0.9)! } : {}) },
  }
}

/** The months ("YYYY-MM", UTC) a range touches: the archives that hold its finished tasks. */
export function monthsOf(range: InsightRange): string[] {
  const out: string[] = []
  const d = new Date(Date.UTC(new Date(range.from).getUTCFullYear(), new Date(range.from).getUTCMonth(), 1))
  while (d.getTime() < range.to) {
    out.push(d.toISOString().slice(0, 7))
    d.setUTCMonth(d.getUTCMonth() + 1)
  }
  return out
}
