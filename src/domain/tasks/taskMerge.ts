/**
 * A task after a merge: the status its state machine allows, whatever the merge kept.
 *
 * Two peers that change one task offline each append their transitions to its history, and
 * the merge keeps both histories but only one value of `status` and `result` (whichever
 * the CRDT picks). Every peer derives the effective task from the history with these rules,
 * so every peer resolves a merge the same way:
 *
 * - Fencing: the relay is the only grantor of leases, and its grant and expiry events name
 *   the lease. A lease the relay expired is fenced: whatever its holder did under it after
 *   the expiry (its status changes, its result, its side effects) is stale and ignored.
 *   The holder's start of the run before the expiry stays (the relay saw it).
 * - Terminal states win, in a fixed order (approved, then failed, then cancelled): a
 *   terminal transition that was legal from its own `from` state happened, and nothing
 *   undoes it — an older offline cancel cannot undo an approved (and paid) task.
 * - Otherwise the history is replayed in its order (the same on every peer), each event
 *   applied if the state machine allows it from the replayed state.
 *
 * Pure: readers (the validated task view) and the relay (scheduler, economy) all call it.
 */
import type { RunRef, Task, TaskEvent, TaskStatus } from "../../../schemas/index.ts"
import { canTransition, TERMINAL_STATUSES } from "./taskMachine.ts"

/** Which terminal state wins when concurrent histories reach more than one. */
const TERMINAL_RANK: Partial<Record<TaskStatus, number>> = { approved: 3, failed: 2, cancelled: 1 }

/** A relay event that ended a lease (an expiry; a grant moves the task to `claimed`). */
const endsLease = (e: TaskEvent): e is TaskEvent & { leaseId: string } => e.by.kind === "system" && e.leaseId !== undefined && e.to !== "claimed"
const grantsLease = (e: TaskEvent): e is TaskEvent & { leaseId: string } => e.by.kind === "system" && e.leaseId !== undefined && e.to === "claimed"

/** Leases the relay expired, each with the state it expired the task from. */
export function fencedLeases(task: Pick<Task, "history">): Map<string, TaskStatus> {
  const out = new Map<string, TaskStatus>()
  for (const e of task.history) if (endsLease(e)) out.set(e.leaseId, e.from)
  return out
}

/**
 * Why work done under `leaseId` does not count, or undefined when it does: the lease must be
 * one the relay granted for this task (when the history names its grants) and not fenced.
 */
export function staleLeaseReason(task: Pick<Task, "id" | "history" | "lease">, leaseId: string): string | undefined {
  if (fencedLeases(task).has(leaseId)) return `lease ${leaseId} of task ${task.id} expired before this arrived (a stale run)`
  const granted = task.history.filter(grantsLease).map(e => e.leaseId)
  if (task.lease) granted.push(task.lease.leaseId)
  if (granted.length && !granted.includes(leaseId)) return `lease ${leaseId} was never granted for task ${task.id}`
  return undefined
}

/** A worker's event under a fenced lease, other than the start the relay saw before expiring it. */
function isStaleEvent(e: TaskEvent, fenced: ReadonlyMap<string, TaskStatus>): boolean {
  if (e.by.kind !== "worker" || e.leaseId === undefined) return false
  const expiredFrom = fenced.get(e.leaseId)
  if (expiredFrom === undefined) return false
  return !(expiredFrom === "running" && e.from === "claimed" && e.to === "running")
}

/** The effective status of a history (undefined for an empty one: the stored status stands). */
export function resolveStatus(task: Pick<Task, "history">): TaskStatus | undefined {
  const fenced = fencedLeases(task)
  const events = task.history.filter(e => !isStaleEvent(e, fenced))
  if (!events.length) return undefined
  let terminal: TaskStatus | undefined
  for (const e of events)
    if (TERMINAL_STATUSES.has(e.to) && canTransition(e.from, e.to, e.by.kind) && (TERMINAL_RANK[e.to] ?? 0) > (terminal ? TERMINAL_RANK[terminal]! : 0)) terminal = e.to
  if (terminal) return terminal
  let state = events[0]!.from
  for (const e of events) if (canTransition(state, e.to, e.by.kind)) state = e.to
  return state
}

export interface ResolvedTask {
  task: Task
  /** What the resolution overrode, for operators (empty when the stored task stands). */
  flags: string[]
}

/** The task as every peer must see it after a merge (see the rules above). */
export function resolveTask(task: Task): ResolvedTask {
  const flags: string[] = []
  let out = task
  const status = resolveStatus(task)
  if (status !== undefined && status !== task.status) {
    flags.push(`status ${task.status} is not what its history allows after a merge: ${status}`)
    out = { ...out, status }
  }
  const stale = task.result ? staleLeaseReason(task, task.result.leaseId) : undefined
  if (stale) {
    flags.push(`result ignored: ${stale}`)
    const { result: _result, review: _review, ...rest } = out
    out = rest
  }
  if (out.lease && fencedLeases(task).has(out.lease.leaseId)) {
    const { lease: _lease, ...rest } = out
    out = rest
  }
  if (out.lease && TERMINAL_STATUSES.has(out.status)) {
    const { lease: _lease, ...rest } = out
    out = rest
  }
  return { task: out, flags }
}

/**
 * Why a side effect made in `run` does not count, or undefined when it does. A side effect
 * without a run (an operator's, or written before runs were named) and one whose task this
 * peer does not hold (archived, or not synced yet) cannot be judged here and count.
 */
export function staleRunReason(run: RunRef | undefined, taskOf: (id: string) => Task | undefined): string | undefined {
  if (!run) return undefined
  const task = taskOf(run.taskId)
  return task ? staleLeaseReason(task, run.leaseId) : undefined
}
