/**
 * The relay acting as `system`: the single writer of lease grants (it assigns ready tasks to
 * online workers with free slots) and expiries, blocked
 * states, duplicate-run flags and the spend-cap kill switch. A single writer is what makes
 * "every task runs exactly once while everyone is connected" hold on a CRDT queue.
 */
import createDebug from "debug"
import { getConflicts } from "@automerge/automerge"
import type { Actor, AuditKind, Task, TaskResult, TaskReview } from "../schemas/index.ts"
import { applyTransition, staleLeaseReason, assignLeases, hasDuplicateRun, isApprovedWorker, isOnline, reconcileBlock, workerSlots, spendAgainstCap, formatUsd } from "../src/domain/tasks/index.ts"
import { join } from "node:path"
import type { RelayExtension } from "./extension.ts"
import { fileLeaseStore, resumeObservations, type LeaseStore } from "./leaseClock.ts"
import type { Liveness } from "./liveness.ts"
import { DEFAULT_LEASE_MS, ONLINE_WINDOW_MS } from "../src/core/defaults.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { plainValue } from "../src/workspace/storedValue.ts"

const debug = createDebug("app:relay:scheduler")

export const SYSTEM: Actor = { kind: "system", name: "relay" }

interface Edit {
  id: string
  apply: (draft: Task) => void
  audit?: [AuditKind, Record<string, unknown>]
}

/**
 * Among the concurrent results a merge kept for `stored`, the one made under a standing lease
 * (the latest if several), with the review its worker wrote alongside.
 */
function standingResult(stored: Task, resolved: Task): { result: TaskResult; review?: TaskReview } | undefined {
  const results = Object.values(getConflicts(stored, "result") ?? {}) as TaskResult[]
  const result = results
    .filter(r => r && typeof r === "object" && typeof r.leaseId === "string" && !staleLeaseReason(resolved, r.leaseId))
    .sort((a, b) => b.finishedAt - a.finishedAt)[0]
  if (!result) return undefined
  const reviews = Object.values(getConflicts(stored, "review") ?? {}) as TaskReview[]
  const review = reviews.find(r => r && typeof r === "object" && r.reviewer === result.worker)
  return { result: plainValue(result), ...(review ? { review: plainValue(review) } : {}) }
}

export interface SchedulerOptions {
  leaseMs?: number
  /** How often leases, backoffs and peers are re-checked without a document change. */
  tickMs?: number
  /** A worker whose heartbeat is older than this does not count as online. */
  onlineWindowMs?: number
  audit?: (kind: AuditKind, subject: string, data: Record<string, unknown>) => void
  log?: (line: string) => void
  newLeaseId?: () => string
  /** resident → the worker holding its lease (peer-server/economy.ts keeps that map). */
  residentHolders?: () => ReadonlyMap<string, string>
  /**
   * The relay's sightings (peer-server/liveness.ts): holders renew by beats, and a holder that
   * lapsed is heard from again there. Without it, only `renewals` in the queue renew a lease.
   */
  liveness?: Liveness
  /** Keeps lease observations across restarts (peer-server/leaseClock.ts); without it they live in memory. */
  leaseStore?: LeaseStore
  /** After a restart, the least time a lease observed before it has left (default: half a lease). */
  restartGraceMs?: number
  now?: () => number
}

export class Scheduler {
  readonly #ws: Workspace
  readonly #leaseMs: number
  readonly #onlineWindowMs: number
  readonly #opts: SchedulerOptions
  /**
   * leaseId → the renewal count last seen in the queue and when the lease was last renewed
   * (relay clock: a beat naming it, or a move of that count): expiry needs no shared clock.
   */
  readonly #observed: Map<string, { renewals: number; at: number }>
  /** Holders whose lease expired, and when: no new lease until they are heard from again. */
  readonly #lapsed: Map<string, number>
  #savedAt = 0
  #dirty = false
  #timer?: NodeJS.Timeout
  #pending = false
  /** A beat renewed a lease the scheduler watches: the queue is not touched. */
  readonly #renewed = (leaseId: string, at: number) => {
    const seen = this.#observed.get(leaseId)
    // Not marked dirty: the once-a-second save keeps renewals close enough for a restart.
    if (seen) seen.at = Math.max(seen.at, at)
  }
  readonly #trigger = () => {
    if (this.#pending) return
    this.#pending = true
    setImmediate(() => {
      this.#pending = false
      this.runOnce(Date.now())
    })
  }

  constructor(ws: Workspace, opts: SchedulerOptions = {}) {
    this.#ws = ws
    this.#opts = opts
    this.#leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS
    this.#onlineWindowMs = opts.onlineWindowMs ?? ONLINE_WINDOW_MS
    const saved = opts.leaseStore?.load()
    const resumed = saved ? resumeObservations(saved, (opts.now ?? Date.now)(), this.#leaseMs, opts.restartGraceMs ?? this.#leaseMs / 2) : undefined
    this.#observed = resumed?.observed ?? new Map()
    this.#lapsed = resumed?.lapsed ?? new Map()
  }

  start(tickMs = this.#opts.tickMs ?? 500): void {
    this.#ws.tasks.on("change", this.#trigger)
    this.#ws.rootHandle.on("change", this.#trigger)
    this.#opts.liveness?.on("renewed", this.#renewed)
    this.#timer = setInterval(this.#trigger, tickMs)
    this.#timer.unref()
    this.#trigger()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#ws.tasks.off("change", this.#trigger)
    this.#ws.rootHandle.off("change", this.#trigger)
    this.#opts.liveness?.off("renewed", this.#renewed)
  }

  /** One pass over the live queue; all task writes go into one change. */
  runOnce(now: number): void {
    const root = this.#ws.root
    const byId = this.#ws.tasks.entries
    // A worker that said goodbye gets nothing new even before the root's mark says it is offline:
    // the mark is written a moment later, and its requeued runs may arrive first.
    const skipped = { has: (name: string) => this.#lapsed.has(name) || this.#opts.liveness?.sighting(name)?.leaving === true }
    const llmKeyAvailable = Object.values(root.peers).some(
      p => isApprovedWorker(p) && p.hasLlmKey && isOnline(p, now, this.#onlineWindowMs) && !skipped.has(p.name),
    )
    const ctx = { killSwitch: root.controls.killSwitch, llmKeyAvailable }
    const assignments = ctx.killSwitch.on ? new Map<string, string>() : assignLeases(byId, workerSlots(root, byId, now, this.#onlineWindowMs, skipped, this.#opts.residentHolders?.()), now)
    const edits: Edit[] = this.#mergeRepairs()

    const live = new Set<string>()
    for (const task of byId.values()) {
      const lease = task.lease
      if (lease && (task.status === "claimed" || task.status === "running")) {
        live.add(lease.leaseId)
        const seen = this.#observed.get(lease.leaseId)
        // A count that moved is a renewal by a worker from before beats.
        if (!seen || seen.renewals !== lease.renewals) {
          this.#observed.set(lease.leaseId, { renewals: lease.renewals, at: now })
          this.#dirty = true
        } else if (now - seen.at > this.#leaseMs) {
          this.#observed.delete(lease.leaseId)
          this.#lapsed.set(lease.holder, now)
          this.#dirty = true
          const reason = `lease of ${lease.holder} expired (no renewal for ${this.#leaseMs} ms)`
          edits.push({
            id: task.id,
            apply: d => {
              applyTransition(d, "queued", SYSTEM, now, reason, lease.leaseId)
              delete d.lease
              for (const e of d.executions) if (e.leaseId === lease.leaseId) e.expiredAt = now
            },
            audit: ["lease", { action: "expired", holder: lease.holder, leaseId: lease.leaseId }],
          })
          continue
        }
      }
      if (task.duplicateRun !== true && hasDuplicateRun(task)) {
        const workers = task.executions.filter(e => e.finishedAt !== undefined && e.outcome !== "cancelled").map(e => e.worker)
        edits.push({
          id: task.id,
          apply: d => {
            d.duplicateRun = true
          },
          audit: ["duplicate_run", { workers }],
        })
      }
      const block = reconcileBlock(task, byId, ctx)
      if (block) {
        edits.push({
          id: task.id,
          apply: d => {
            applyTransition(d, block.to, SYSTEM, now, block.reason)
            if (block.to === "blocked") d.blocked = { kind: block.kind, reason: block.reason }
            else delete d.blocked
          },
          audit: ["transition", { to: block.to, reason: block.reason }],
        })
        continue
      }
      const holder = assignments.get(task.id)
      if (holder) {
        const leaseId = this.#opts.newLeaseId?.() ?? `${task.id}.${now.toString(36)}.${Math.random().toString(36).slice(2, 6)}`
        edits.push({
          id: task.id,
          apply: d => {
            applyTransition(d, "claimed", SYSTEM, now, `lease granted to ${holder}`, leaseId)
            d.lease = { leaseId, holder, grantedAt: now, expiresAt: now + this.#leaseMs, renewals: 0 }
          },
          audit: ["lease", { action: "granted", holder, leaseId }],
        })
      }
    }

    if (edits.length) {
      // Only edits that found their task are audited: a grant that wrote nothing is no grant.
      const applied: typeof edits = []
      this.#ws.queueHandle.change(d => {
        for (const edit of edits) {
          const draft = d.tasks[edit.id]
          if (draft?.id !== edit.id) continue
          edit.apply(draft)
          applied.push(edit)
        }
      })
      for (const edit of applied) if (edit.audit) this.#opts.audit?.(edit.audit[0], edit.id, edit.audit[1])
      debug("applied %d edits", applied.length)
    }
    this.#enforceSpendCap(now)
    this.#forget(live, now)
  }

  /**
   * Drops observations of leases that ended (so memory does not grow with every lease ever
   * granted) and of holders heard from since they lapsed; saves what is left when it changed,
   * and at least once a second so that a restart can tell how long the relay was down.
   */
  #forget(live: ReadonlySet<string>, now: number): void {
    for (const leaseId of this.#observed.keys())
      if (!live.has(leaseId)) {
        this.#observed.delete(leaseId)
        this.#dirty = true
      }
    const peers = this.#ws.root.peers
    for (const [holder, at] of this.#lapsed)
      if (!peers[holder] || (this.#opts.liveness?.heardAt(holder) ?? peers[holder].lastSeen ?? -Infinity) > at) {
        this.#lapsed.delete(holder)
        this.#dirty = true
      }
    const store = this.#opts.leaseStore
    if (!store || (!this.#dirty && now - this.#savedAt < 1_000)) return
    store.save(now, { observed: this.#observed, lapsed: this.#lapsed })
    this.#savedAt = now
    this.#dirty = false
  }

  /**
   * Writes back what a merge left inconsistent with the state machine: the resolved status
   * (src/domain/tasks/taskMerge.ts: every reader already shows it) and, when the kept result came
   * from a fenced lease, the standing one among the concurrent values (or none yet).
   * Later edits of the same pass then start from a consistent draft.
   */
  #mergeRepairs(): Edit[] {
    const edits: Edit[] = []
    if (!this.#ws.tasks.resolvedKeys.size) return edits
    const raw = this.#ws.queueHandle.doc().tasks
    for (const id of this.#ws.tasks.resolvedKeys) {
      const task = this.#ws.tasks.get(id)
      const stored = raw[id]
      if (!task || !stored) continue
      const staleResult = stored.result !== undefined && task.result === undefined ? stored.result.leaseId : undefined
      if (stored.status === task.status && staleResult === undefined) continue
      const standing = staleResult === undefined ? undefined : standingResult(stored, task)
      edits.push({
        id: task.id,
        apply: d => {
          d.status = task.status
          if (staleResult === undefined) return
          if (standing) {
            d.result = standing.result
            if (standing.review) d.review = standing.review
            else delete d.review
          } else {
            delete d.result
            delete d.review
          }
        },
        audit: ["transition", { merge: "resolved", from: stored.status, to: task.status, ...(staleResult ? { staleResultLease: staleResult } : {}) }],
      })
    }
    return edits
  }

  #enforceSpendCap(now: number): void {
    const { spendCapUsd, killSwitch } = this.#ws.root.controls
    if (killSwitch.on) return
    const { spentUsd: spent, reached } = this.#ws.spendAgainstCap()
    if (!reached) return
    const reason = `spend cap reached (${formatUsd(spent)} >= ${formatUsd(spendCapUsd)})`
    this.#ws.rootHandle.change(d => {
      d.controls.killSwitch = { on: true, reason, setBy: SYSTEM.name, setAt: now }
    })
    this.#opts.log?.(`kill switch set: ${reason}`)
    this.#opts.audit?.("kill_switch", "workspace", { on: true, reason })
  }
}

/**
 * The scheduler as a relay extension: lease observations kept in DATA/leases.json across
 * restarts, every grant and expiry in the relay's audit log.
 */
export function leaseScheduler(opts: Pick<SchedulerOptions, "leaseMs" | "tickMs" | "onlineWindowMs" | "residentHolders" | "liveness"> = {}): RelayExtension {
  let scheduler: Scheduler | undefined
  return {
    name: "lease-scheduler",
    onStart(ctx) {
      scheduler = new Scheduler(ctx.workspace, { ...opts, leaseStore: fileLeaseStore(join(ctx.dataDir, "leases.json"), ctx.log), audit: ctx.auditLater, log: ctx.log })
      scheduler.start()
    },
    onStop: () => scheduler?.stop(),
  }
}
