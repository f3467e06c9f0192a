/**
 * Scheduling rules over the replicated queue: what is ready, who may take it, who wins a
 * lease, and which tasks must be blocked or unblocked. Pure; the relay and the workers
 * apply them to their own replicas.
 */
import type { BlockReasonKind, PeerRecord, RootDoc, Task } from "../../../schemas/index.ts"
import { ONLINE_MARK_STALE_MS, ONLINE_WINDOW_MS } from "../../core/defaults.ts"
import { CLAIMABLE_STATUSES } from "./taskMachine.ts"
import { awaitsPlanApproval } from "../plans/planTasks.ts"

export type TaskIndex = ReadonlyMap<string, Task>

export type DependencyState =
  | { state: "ready" }
  | { state: "waiting"; on: string[] }
  | { state: "broken"; dep: string; reason: string }

/** A task waits until every dependency is approved; a failed or cancelled one breaks it. */
export function dependencyState(task: Task, byId: TaskIndex): DependencyState {
  const waiting: string[] = []
  for (const id of task.dependsOn) {
    const dep = byId.get(id)
    if (dep?.status === "approved") continue
    if (dep && (dep.status === "failed" || dep.status === "cancelled"))
      return { state: "broken", dep: id, reason: `dependency ${id} ${dep.status}` }
    waiting.push(id)
  }
  return waiting.length ? { state: "waiting", on: waiting } : { state: "ready" }
}

export interface WorkerProfile {
  name: string
  hasLlmKey: boolean
  /** Residents this worker plays; a task targeted at another identity is not for it. */
  identities: readonly string[]
}

export function isReady(task: Task, byId: TaskIndex, now: number): boolean {
  return (
    CLAIMABLE_STATUSES.has(task.status) &&
    !task.lease &&
    !awaitsPlanApproval(task) &&
    (task.notBefore ?? 0) <= now &&
    dependencyState(task, byId).state === "ready"
  )
}

export function workerCanTake(task: Task, worker: WorkerProfile): boolean {
  // An approved plan's task assembles its subtasks' results: it needs no model (drafting a plan does).
  if (task.mode === "llm" && task.plan?.state !== "approved" && !worker.hasLlmKey) return false
  return !task.targetIdentity || worker.identities.includes(task.targetIdentity)
}

/** Higher priority first, then FIFO by creation, then id for a total order (locale-independent). */
export function compareForDispatch(a: Task, b: Task): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function isApprovedWorker(peer: PeerRecord | undefined): peer is PeerRecord {
  return peer?.role === "worker" && peer.state === "approved"
}

/**
 * One rule for "online", used by the relay, `status`, `worker list` and the panel alike. The
 * relay marks a peer `online` when it connects and takes the mark off when it goes; the mark
 * counts while its `lastSeen` is fresh (the relay refreshes it every few minutes). A record
 * no relay marked (written before marks existed) is online by a recent `lastSeen`.
 */
export function isOnline(peer: PeerRecord, now: number, windowMs = ONLINE_WINDOW_MS): boolean {
  if (peer.lastSeen === undefined) return false
  if (peer.online !== undefined) return peer.online && now - peer.lastSeen < ONLINE_MARK_STALE_MS
  return now - peer.lastSeen < windowMs
}

/**
 * When a lease runs out at the latest as far as a reader can tell: the relay renews it on the
 * holder's beats without writing, so it ends a lease time after the holder was last seen
 * (its `lastSeen` is written when it goes offline), or at the grant's end.
 */
export function leaseEndsBy(lease: NonNullable<Task["lease"]>, holder: PeerRecord | undefined): number {
  const length = lease.expiresAt - lease.grantedAt
  return Math.max(lease.expiresAt, (holder?.lastSeen ?? 0) + length)
}

export interface WorkerSlots extends WorkerProfile {
  free: number
}

/**
 * Approved, online workers and their free slots: the concurrency each one advertises minus
 * the leases the relay has already granted it (the relay counts from the queue itself, so a
 * worker is never given more than it asked for). Busy workers are included (free ≤ 0).
 */
export function onlineWorkers(
  root: Pick<RootDoc, "peers">,
  byId: TaskIndex,
  now: number,
  onlineWindowMs: number = ONLINE_WINDOW_MS,
  /**
   * Workers the relay gives nothing new: ones that let a lease expire (until it hears from them
   * again) and ones that said goodbye (before the mark in the root says they are offline).
   */
  skipped: Pick<ReadonlySet<string>, "has"> = new Set(),
  /** resident → the worker holding its lease: a worker plays only the residents it holds. */
  residentHolders?: ReadonlyMap<string, string>,
): WorkerSlots[] {
  const held = new Map<string, number>()
  for (const t of byId.values())
    if (t.lease && (t.status === "claimed" || t.status === "running")) held.set(t.lease.holder, (held.get(t.lease.holder) ?? 0) + 1)
  return Object.values(root.peers)
    .filter(p => isApprovedWorker(p) && isOnline(p, now, onlineWindowMs) && !skipped.has(p.name))
    .map(p => ({
      name: p.name,
      hasLlmKey: p.hasLlmKey ?? false,
      identities: (p.identities ?? []).filter(id => !residentHolders || residentHolders.get(id) === p.name),
      free: (p.concurrency ?? 1) - (held.get(p.name) ?? 0),
    }))
}

/** The online workers with a free slot: the ones the relay may give a lease to now. */
export function workerSlots(...args: Parameters<typeof onlineWorkers>): WorkerSlots[] {
  return onlineWorkers(...args).filter(w => w.free > 0)
}

/**
 * Which worker gets a lease on which ready task, in dispatch order (priority, then FIFO):
 * each task goes to the eligible worker with the most free slots (ties by name), the same
 * answer on every replica.
 */
export function assignLeases(byId: TaskIndex, workers: WorkerSlots[], now: number): Map<string, string> {
  const assigned = new Map<string, string>()
  const slots = workers.map(w => ({ ...w }))
  if (!slots.length) return assigned
  const ready = [...byId.values()].filter(t => isReady(t, byId, now)).sort(compareForDispatch)
  for (const task of ready) {
    const pick = slots
      .filter(w => w.free > 0 && workerCanTake(task, w))
      .sort((a, b) => b.free - a.free || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0]
    if (!pick) continue
    pick.free--
    assigned.set(task.id, pick.name)
  }
  return assigned
}

export const NO_KEY_REASON = "no GROQ_API_KEY on any worker"

export interface BlockContext {
  killSwitch: { on: boolean; reason: string }
  /** Whether an approved, online worker holds an LLM key. */
  llmKeyAvailable: boolean
}

export type BlockDecision = { to: "blocked"; kind: BlockReasonKind; reason: string } | { to: "queued"; reason: string } | undefined

/** What the relay should do about a task's blocked state now; undefined leaves it alone. */
export function reconcileBlock(task: Task, byId: TaskIndex, ctx: BlockContext): BlockDecision {
  if (CLAIMABLE_STATUSES.has(task.status) && !task.lease) {
    const deps = dependencyState(task, byId)
    if (deps.state === "broken") return { to: "blocked", kind: "dependency", reason: deps.reason }
    if (ctx.killSwitch.on) return { to: "blocked", kind: "kill_switch", reason: `kill switch: ${ctx.killSwitch.reason}` }
    if (task.mode === "llm" && !ctx.llmKeyAvailable) return { to: "blocked", kind: "no_key", reason: NO_KEY_REASON }
    return undefined
  }
  if (task.status === "blocked" && task.blocked) {
    if (task.blocked.kind === "kill_switch" && !ctx.killSwitch.on) return { to: "queued", reason: "kill switch released" }
    if (task.blocked.kind === "no_key" && ctx.llmKeyAvailable && !ctx.killSwitch.on) return { to: "queued", reason: "a worker with an LLM key is online" }
  }
  return undefined
}

/**
 * The task ran twice: two runs did their work, and one of them kept going after the relay
 * had expired its lease (a partition). Runs one after another (retries) are not duplicates.
 */
export function hasDuplicateRun(task: Task): boolean {
  const ran = task.executions.filter(e => e.finishedAt !== undefined && e.outcome !== "cancelled")
  return ran.length >= 2 && ran.some(e => e.expiredAt !== undefined)
}
