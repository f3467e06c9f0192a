/**
 * LLM spend and the spend cap: one rule, used by the relay (which halts at the cap), the
 * workers (which give a lease back at the cap) and the dashboards (which show it).
 *
 * Spend is derived from what the API billed, never stored as a counter two peers could both
 * change: each task's recorded calls (every attempt, retries and stale runs included, with
 * the API's token counts), plus the spend of archived tasks that the relay carries in the
 * queue. A task written before calls were recorded counts its result's cost.
 */
import type { Task } from "../../../schemas/index.ts"

export function taskSpend(task: Pick<Task, "calls" | "result">): number {
  if (task.calls?.length) return task.calls.reduce((sum, c) => sum + c.costUsd, 0)
  return task.result?.costUsd ?? 0
}

export function totalSpend(tasks: Iterable<Pick<Task, "calls" | "result">>): number {
  let sum = 0
  for (const t of tasks) sum += taskSpend(t)
  return sum
}

export interface SpendCap {
  spentUsd: number
  capUsd: number
  /** Spent at or above the cap: no more LLM work. */
  reached: boolean
}

/** Spend of the live tasks plus the archived spend, against the cap. */
export function spendAgainstCap(liveTasks: Iterable<Pick<Task, "calls" | "result">>, archivedSpendUsd: number, capUsd: number): SpendCap {
  const spentUsd = totalSpend(liveTasks) + archivedSpendUsd
  return { spentUsd, capUsd, reached: spentUsd >= capUsd }
}
