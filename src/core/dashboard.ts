/**
 * What the queue-plane views show about the workspace, as pure functions of the live
 * queue, the root document and a clock: counts, throughput, spend, workers and health
 * (with the reasons behind it), plus the time and audit-chain wording those views share.
 */
import { TASK_STATUSES, type AuditEntry, type BlockReasonKind, type RootDoc, type Task, type TaskStatus } from "../../schemas/index.ts"
import type { ChainReport } from "../domain/audit/audit.ts"
import { formatUsd } from "../domain/tasks/pricing.ts"
import { isOnline, NO_KEY_REASON } from "../domain/tasks/scheduling.ts"
import { taskSeries } from "../domain/tasks/series.ts"
import { spendAgainstCap } from "../domain/tasks/spend.ts"
import { CLAIMABLE_STATUSES, TERMINAL_STATUSES } from "../domain/tasks/taskMachine.ts"

export const HOUR_MS = 60 * 60 * 1000
export const DAY_MS = 24 * HOUR_MS
/** Spend at or above this share of the cap is worth watching. */
export const SPEND_WATCH_FRACTION = 0.8

export interface DashboardInput {
  tasks: readonly Task[]
  root: RootDoc
  now: number
  /** Invalid entries the app has found in the documents it reads. */
  issueCount: number
  /** Spend of archived tasks (the queue's archivedSpendUsd): it counts against the cap too. */
  archivedSpendUsd?: number
}

export function countByStatus(tasks: Iterable<Task>): Record<TaskStatus, number> {
  const counts = Object.fromEntries(TASK_STATUSES.map(s => [s, 0])) as Record<TaskStatus, number>
  for (const t of tasks) counts[t.status]++
  return counts
}

export interface Throughput {
  /** Tasks that reached approved within the window (from their history). */
  approved: number
  failed: number
  /** Average approvals per hour over the window. */
  perHour: number
  /** Approvals per hour, oldest hour first; the last bucket ends at `now`. */
  hourly: number[]
}

/** Throughput and failures over the last `windowMs` (whole hours), read from each task's history events. */
export function throughput(tasks: Iterable<Task>, now: number, windowMs = DAY_MS): Throughput {
  const hours = Math.max(1, Math.round(windowMs / HOUR_MS))
  const series = taskSeries(tasks, { now, buckets: hours, bucketMs: HOUR_MS })
  const sum = (list: number[]) => list.reduce((n, x) => n + x, 0)
  const approved = sum(series.approved)
  return { approved, failed: sum(series.failed), perHour: approved / hours, hourly: series.approved }
}

export interface SpendState {
  spentUsd: number
  capUsd: number
  /** spent / cap; Infinity when a zero cap has been spent past. */
  fraction: number
  level: HealthLevel
}

/** Spend against the cap, by the relay's own rule (spendAgainstCap: spent ≥ cap stops). */
export function spendState(tasks: Iterable<Task>, root: RootDoc, archivedSpendUsd = 0): SpendState {
  const { spentUsd, capUsd } = spendAgainstCap(tasks, archivedSpendUsd, root.controls.spendCapUsd)
  const fraction = capUsd > 0 ? spentUsd / capUsd : spentUsd > 0 ? Infinity : 1
  const level = spentUsd >= capUsd ? "critical" : fraction >= SPEND_WATCH_FRACTION ? "watch" : "ok"
  return { spentUsd, capUsd, fraction, level }
}

export interface WorkerCounts {
  /** Approved workers heard from within the online window. */
  online: number
  approved: number
  pending: number
  revoked: number
}

export function workerCounts(root: RootDoc, now: number): WorkerCounts {
  const counts: WorkerCounts = { online: 0, approved: 0, pending: 0, revoked: 0 }
  for (const p of Object.values(root.peers)) {
    if (p.role !== "worker") continue
    counts[p.state]++
    if (p.state === "approved" && isOnline(p, now)) counts.online++
  }
  return counts
}

/** How many leases each worker holds now, by holder name. */
export function leasesByHolder(tasks: Iterable<Task>): Map<string, number> {
  const held = new Map<string, number>()
  for (const t of tasks) if (t.lease) held.set(t.lease.holder, (held.get(t.lease.holder) ?? 0) + 1)
  return held
}

export type HealthLevel = "ok" | "watch" | "critical"
export interface HealthReason {
  level: Exclude<HealthLevel, "ok">
  text: string
}
export interface Health {
  level: HealthLevel
  /** Critical reasons first. */
  reasons: HealthReason[]
}

/** One line per kind of block (a kill-switch block is already the critical reason above). */
const BLOCK_SUMMARY: Record<BlockReasonKind, string> = {
  dependency: "a dependency failed or was cancelled",
  no_key: NO_KEY_REASON,
  kill_switch: "kill switch on",
}
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/**
 * Critical: nothing will get done (kill switch, spend cap, no worker for waiting tasks).
 * Watch: an operator should look soon (spend near the cap, reviews or workers waiting,
 * failures, blocked tasks, duplicate runs, invalid data).
 */
export function health(input: DashboardInput): Health {
  const { tasks, root, now, issueCount } = input
  const counts = countByStatus(tasks)
  const spend = spendState(tasks, root, input.archivedSpendUsd)
  const workers = workerCounts(root, now)
  const { failed } = throughput(tasks, now)
  const waiting = [...CLAIMABLE_STATUSES].reduce((n, s) => n + counts[s], 0)
  const ks = root.controls.killSwitch
  const reasons: HealthReason[] = []
  const critical = (text: string) => reasons.push({ level: "critical", text })
  const watch = (text: string) => reasons.push({ level: "watch", text })

  if (ks.on) critical(`kill switch on (by ${ks.setBy}): ${ks.reason}`)
  if (spend.level === "critical") critical(`spend ${formatUsd(spend.spentUsd)} has reached the cap ${formatUsd(spend.capUsd)}`)
  if (waiting && !workers.online) critical(`${plural(waiting, "task")} waiting and no approved worker online`)
  else if (!workers.online) watch("no approved worker is online: new tasks would wait")

  if (spend.level === "watch") watch(`spend ${formatUsd(spend.spentUsd)} is ${Math.floor(spend.fraction * 100)}% of the cap ${formatUsd(spend.capUsd)}`)
  if (counts.pending_review) watch(`${plural(counts.pending_review, "result")} waiting for review`)
  if (failed) watch(`${plural(failed, "task")} failed in the last 24 h`)
  if (workers.pending) watch(`${plural(workers.pending, "worker")} waiting for approval`)
  const blocked = tasks.filter(t => t.status === "blocked" && t.blocked && t.blocked.kind !== "kill_switch")
  if (blocked.length) watch(`${plural(blocked.length, "task")} blocked: ${[...new Set(blocked.map(t => BLOCK_SUMMARY[t.blocked!.kind]))].join("; ")}`)
  const duplicates = tasks.filter(t => t.duplicateRun).length
  if (duplicates) watch(`${plural(duplicates, "task")} ran twice (a partition let two workers run it)`)
  if (issueCount) watch(`${plural(issueCount, "invalid entry", "invalid entries")} in the documents (ignored)`)

  const level = reasons.some(r => r.level === "critical") ? "critical" : reasons.length ? "watch" : "ok"
  return { level, reasons }
}

/** Everything the dashboard shows as numbers, as of `now` (also what the PWA paints from before its documents open). */
export interface DashboardFigures {
  counts: Record<TaskStatus, number>
  flow: Throughput
  spend: SpendState
  workers: WorkerCounts
  health: Health
}

export function dashboardFigures(input: DashboardInput): DashboardFigures {
  const { tasks, root, now } = input
  return {
    counts: countByStatus(tasks),
    flow: throughput(tasks, now),
    spend: spendState(tasks, root, input.archivedSpendUsd),
    workers: workerCounts(root, now),
    health: health(input),
  }
}

// ── task lists ──────────────────────────────────────────────────────────────

/** Open = somewhere between added and a decision, other than waiting for review. */
export const OPEN_STATUSES: ReadonlySet<TaskStatus> = new Set(["queued", "requeued", "blocked", "claimed", "running"])

/** Finished tasks, newest first. */
export function recentFinished(tasks: Iterable<Task>, limit = 50): Task[] {
  return [...tasks]
    .filter(t => TERMINAL_STATUSES.has(t.status))
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, limit)
}

/** Case-insensitive match of a task's id or title; an empty query matches everything. */
export function matchesTask(task: Task, query: string): boolean {
  const q = query.trim().toLowerCase()
  return !q || task.id.toLowerCase().includes(q) || task.title.toLowerCase().includes(q)
}

// ── time ────────────────────────────────────────────────────────────────────

/** "12 s", "5 min", "3 h", "2 d". */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000)
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86_400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86_400)} d`
}

/**
 * "12 s ago" for something that happened. A time slightly ahead of `now` (another peer's
 * clock, or the once-a-second tick lagging) reads "0 s ago", not "in 1 s".
 */
export function formatAgo(at: number, now: number): string {
  return `${formatDuration(Math.max(0, now - at))} ago`
}

/** "in 40 s" for a deadline still ahead, "12 s ago" once passed. */
export function formatRelative(at: number, now: number): string {
  return at > now ? `in ${formatDuration(at - now)}` : formatAgo(at, now)
}

/** A timestamp in the viewer's local time zone, to the second. */
let localTime: Intl.DateTimeFormat | undefined
export function formatLocalTime(at: number): string {
  // One formatter, made on first use: a list of times would otherwise build one per row.
  localTime ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" })
  return localTime.format(at)
}

// ── audit ───────────────────────────────────────────────────────────────────

export type EntryChainState = { state: "pending" | "valid" | "broken"; text: string }

/**
 * Where one entry stands in its peer's chain verification: entries before the first bad
 * seq verified; from it on nothing can be trusted.
 */
export function entryChainState(entry: Pick<AuditEntry, "seq">, report: ChainReport | undefined): EntryChainState {
  if (!report) return { state: "pending", text: "verifying…" }
  if (report.ok) return { state: "valid", text: "chain verified" }
  if (entry.seq < report.seq) return { state: "valid", text: `verified; the chain breaks later, at seq ${report.seq}: ${report.reason}` }
  return { state: "broken", text: `chain broken at seq ${report.seq}: ${report.reason}` }
}
