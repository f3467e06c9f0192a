/**
 * The task state machine: one table, used by every peer (worker, CLI, PWA, relay).
 *
 *   queued ──system──► claimed ──worker──► running ──worker──► approved
 *     ▲  │                │                  │   └──worker──► pending_review ──operator──► approved | requeued | failed
 *     │  └─system─► blocked                   ├──worker──► requeued (critic rejected / execution error, retried)
 *     │                                       ├──worker──► failed   (safety block, out of attempts)
 *     └──────system (lease expired)───────────┘
 *   requeued behaves like queued. cancelled by an operator from any open state, or by a
 *   worker when the kill switch aborts its run. approved, failed, cancelled are terminal.
 */
import type { Actor, ActorKind, Task, TaskEvent, TaskStatus } from "../../../schemas/index.ts"
import { inDocument } from "../../workspace/storedValue.ts"
import { storedEvent } from "./storedValues.ts"

type Rule = Partial<Record<TaskStatus, readonly ActorKind[]>>

export const TRANSITIONS: Readonly<Record<TaskStatus, Rule>> = {
  queued: { claimed: ["system"], blocked: ["system"], cancelled: ["operator", "system"] },
  requeued: { claimed: ["system"], blocked: ["system"], cancelled: ["operator", "system"] },
  blocked: { queued: ["system", "operator"], cancelled: ["operator", "system"] },
  claimed: {
    running: ["worker"],
    queued: ["system", "worker"],
    failed: ["worker"],
    cancelled: ["operator", "worker", "system"],
  },
  running: {
    pending_review: ["worker"],
    approved: ["worker"],
    requeued: ["worker"],
    failed: ["worker"],
    queued: ["system"],
    cancelled: ["operator", "worker", "system"],
  },
  pending_review: { approved: ["operator"], requeued: ["operator"], failed: ["operator"], cancelled: ["operator"] },
  approved: {},
  failed: {},
  cancelled: {},
}

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(["approved", "failed", "cancelled"])
/** Statuses whose task an operator may still edit: no worker holds it. */
export const EDITABLE_STATUSES: ReadonlySet<TaskStatus> = new Set(["queued", "requeued", "blocked"])
/** Statuses a worker may ask a lease for. */
export const CLAIMABLE_STATUSES: ReadonlySet<TaskStatus> = new Set(["queued", "requeued"])

export class TransitionError extends Error {
  override readonly name = "TransitionError"
  constructor(
    readonly taskId: string,
    readonly from: TaskStatus,
    readonly to: TaskStatus,
    readonly actor: ActorKind,
  ) {
    const allowed = TRANSITIONS[from][to]
    super(
      allowed
        ? `task ${taskId}: only ${allowed.join(" or ")} may move it from ${from} to ${to}, not ${actor}`
        : `task ${taskId} is ${from}; it cannot become ${to}` +
            (Object.keys(TRANSITIONS[from]).length
              ? ` (from ${from} it can become ${Object.keys(TRANSITIONS[from]).join(", ")})`
              : ` (${from} is final)`),
    )
  }
}

/** The states `actor` may move to from one row of a transition table (the tasks' or the quests'). */
export function movesBy(row: Partial<Record<string, readonly ActorKind[]>>, actor: ActorKind): string[] {
  return Object.entries(row)
    .filter(([, who]) => who?.includes(actor))
    .map(([to]) => to)
}

export function canTransition(from: TaskStatus, to: TaskStatus, actor: ActorKind): boolean {
  return TRANSITIONS[from][to]?.includes(actor) ?? false
}

export function assertTransition(task: Pick<Task, "id" | "status">, to: TaskStatus, actor: ActorKind): void {
  if (!canTransition(task.status, to, actor)) throw new TransitionError(task.id, task.status, to, actor)
}

/**
 * Moves `task` to `to`, recording who and why (and under which lease) in its history. `task` may be a plain
 * object or an Automerge draft inside `handle.change`; it is mutated in place.
 */
export function applyTransition(task: Task, to: TaskStatus, by: Actor, now: number, reason?: string, leaseId?: string): void {
  assertTransition(task, to, by.kind)
  const event: TaskEvent = { at: now, from: task.status, to, by: { kind: by.kind, name: by.name } }
  if (reason !== undefined) event.reason = reason.slice(0, 500)
  if (leaseId !== undefined) event.leaseId = leaseId
  // The schema caps history at 500 events; the oldest make way (the audit log keeps them all).
  if (task.history.length >= 500) task.history.splice(0, task.history.length - 499)
  // In a document change the reason is stored as one value, not as text.
  task.history.push(inDocument(task) ? storedEvent(event) : event)
  task.status = to
  task.updatedAt = now
}
