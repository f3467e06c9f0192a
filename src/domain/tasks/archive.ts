/** Which finished tasks leave the live queue, and into which monthly archive. */
import type { Task } from "../../../schemas/index.ts"
import { TERMINAL_STATUSES } from "./taskMachine.ts"

/** "2026-11": the UTC month a task finished in. */
export function archivePeriod(at: number): string {
  return new Date(at).toISOString().slice(0, 7)
}

/**
 * Tasks that finished more than `afterMs` ago, grouped by archive period. A task that
 * others still depend on stays live until those dependants finish too.
 */
export function planArchive(tasks: Iterable<Task>, now: number, afterMs: number): Map<string, Task[]> {
  const all = [...tasks]
  const neededBy = new Set(all.filter(t => !TERMINAL_STATUSES.has(t.status)).flatMap(t => t.dependsOn))
  const plan = new Map<string, Task[]>()
  for (const task of all) {
    if (!TERMINAL_STATUSES.has(task.status) || now - task.updatedAt < afterMs || neededBy.has(task.id)) continue
    const period = archivePeriod(task.updatedAt)
    plan.set(period, [...(plan.get(period) ?? []), task])
  }
  return plan
}
