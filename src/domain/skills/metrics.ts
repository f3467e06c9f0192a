/** A skill's usage figures, counted from decided runs: an approved result is a success, a failed one a use without. Pure. */
import type { SkillMetrics, Task } from "../../../schemas/index.ts"

/** Counted task ids a skill remembers (the newest), so a task is counted once. */
export const COUNTED_KEPT = 200

/** The metrics with `task` counted (unchanged when it was counted already or is not decided). */
export function countRun(metrics: SkillMetrics, task: Task): SkillMetrics {
  if (metrics.counted.includes(task.id) || (task.status !== "approved" && task.status !== "failed")) return metrics
  const r = task.result
  const cost = (task.calls ?? []).reduce((sum, c) => sum + c.costUsd, 0) || (r?.costUsd ?? 0)
  return {
    uses: metrics.uses + 1,
    successes: metrics.successes + (task.status === "approved" ? 1 : 0),
    costUsd: metrics.costUsd + cost,
    latencyMs: metrics.latencyMs + (r ? Math.max(0, r.finishedAt - r.startedAt) : 0),
    lastUsedAt: Math.max(metrics.lastUsedAt ?? 0, task.updatedAt),
    counted: [...metrics.counted, task.id].slice(-COUNTED_KEPT),
  }
}

export interface SkillFigures {
  uses: number
  successRate: number | undefined
  averageCostUsd: number | undefined
  averageLatencyMs: number | undefined
  lastUsedAt: number | undefined
}

export function figuresOf(m: SkillMetrics): SkillFigures {
  return {
    uses: m.uses,
    successRate: m.uses ? m.successes / m.uses : undefined,
    averageCostUsd: m.uses ? m.costUsd / m.uses : undefined,
    averageLatencyMs: m.uses ? Math.round(m.latencyMs / m.uses) : undefined,
    lastUsedAt: m.lastUsedAt,
  }
}
