/**
 * The dashboard's activity feed: what happened lately, newest first, in words, with people
 * and things named (display names, resident names, titles), not ids. Derived from the
 * documents every operator already has (task histories, the quest index, bounties, mail), so
 * it needs no log of its own and works offline. Lease grants (the relay's bookkeeping) are
 * left out; side effects of a stale run never count (taskMerge.ts), so they are left out too.
 */
import type { Bounty, Identity, MailMessage, RootDoc, RunRef, Task, TaskEvent, TaskStatus } from "../../schemas/index.ts"
import { displayNameOf } from "../domain/peers/names.ts"

export type ActivityKind = "task" | "decision" | "quest" | "bounty" | "mail" | "control"

export interface ActivityItem {
  /** Unique within one feed (a Vue key). */
  key: string
  at: number
  kind: ActivityKind
  /** Who did it, named; undefined for things that happened to a task (it failed, it was blocked). */
  who?: string
  /** What happened, after `who`: "approved", "posted the bounty". */
  did: string
  /** What it happened to: a title or a name. */
  what: string
  /** Where to look (a path of the panel). */
  to: string
  /** A reason or an excerpt. */
  note?: string
}

export interface ActivityInput {
  tasks: Iterable<Task>
  root: RootDoc
  residents?: ReadonlyMap<string, Identity>
  quests?: Iterable<{ id: string; title: string; createdAt: number }>
  bounties?: Iterable<Bounty>
  mail?: Iterable<MailMessage>
  /** Why a run's side effects do not count (undefined when they do). */
  staleRun?: (run: RunRef | undefined) => string | undefined
}

/** What an operator's move to each status reads as, after the operator's name. */
const DID: Record<TaskStatus, string> = {
  queued: "unblocked",
  requeued: "requeued",
  claimed: "claimed",
  running: "started",
  pending_review: "sent for review",
  approved: "approved",
  failed: "failed",
  cancelled: "cancelled",
  blocked: "blocked",
}
/** A worker's or the relay's move reads as something that happened to the task (after its title); a worker starting it is the exception. */
const HAPPENED: Record<Exclude<TaskStatus, "running" | "claimed">, string> = {
  queued: "is back in the queue",
  requeued: "will run again",
  pending_review: "is waiting for review",
  approved: "was approved by the critic",
  failed: "failed",
  cancelled: "was cancelled",
  blocked: "is blocked",
}
/** Moves whose reason says why (an error, a block, a rejection). */
const EXPLAINED: ReadonlySet<TaskStatus> = new Set(["queued", "requeued", "failed", "cancelled", "blocked"])

const EXCERPT = 90
const excerpt = (text: string) => {
  const one = text.replace(/\s+/g, " ").trim()
  return one.length > EXCERPT ? `${one.slice(0, EXCERPT - 1)}…` : one
}

/** How the feed names people: a resident by name, a peer as every view names it (src/domain/peers/names.ts). */
export function namer(root: RootDoc, residents?: ReadonlyMap<string, Identity>): (id: string) => string {
  return id => residents?.get(id)?.name ?? displayNameOf(root, id)
}

function taskEvent(task: Task, e: TaskEvent, index: number, name: (id: string) => string): ActivityItem | undefined {
  if (e.to === "claimed") return undefined
  const operator = e.by.kind === "operator"
  const item: ActivityItem = {
    key: `task:${task.id}:${index}`,
    at: e.at,
    kind: operator && e.from === "pending_review" ? "decision" : "task",
    did: operator || e.to === "running" ? DID[e.to] : HAPPENED[e.to],
    what: task.title,
    to: `/tasks/${task.id}`,
  }
  if (operator || e.to === "running") item.who = name(e.by.name)
  if (e.reason && EXPLAINED.has(e.to)) item.note = excerpt(e.reason)
  return item
}

/** The newest `limit` things that happened, newest first. */
export function activityFeed(input: ActivityInput, limit = 30): ActivityItem[] {
  const name = namer(input.root, input.residents)
  const counts = (run: RunRef | undefined) => !input.staleRun?.(run)
  const items: ActivityItem[] = []
  // Every task has an item at its latest moment, so the `limit`-th latest of those moments is a
  // floor: nothing older can make the feed. Only what is newer is put into words (a queue
  // holds thousands of tasks; the feed shows a dozen things).
  const tasks = [...input.tasks]
  const latest = tasks.map(t => t.history.reduce((at, e) => (e.to === "claimed" ? at : Math.max(at, e.at)), t.createdAt))
  const floor = limit > 0 && latest.length > limit ? [...latest].sort((a, b) => b - a)[limit - 1]! : -Infinity
  tasks.forEach((task, j) => {
    if (latest[j]! < floor) return
    if (task.createdAt >= floor)
      items.push({ key: `task:${task.id}:added`, at: task.createdAt, kind: "task", who: name(task.createdBy), did: "added", what: task.title, to: `/tasks/${task.id}` })
    task.history.forEach((e, i) => {
      const item = e.at >= floor ? taskEvent(task, e, i, name) : undefined
      if (item) items.push(item)
    })
  })
  // The kill switch keeps only its last change (its history is in the audit logs).
  const ks = input.root.controls.killSwitch
  if (ks.reason)
    items.push({ key: "control:kill-switch", at: ks.setAt, kind: "control", who: name(ks.setBy), did: ks.on ? "halted all work" : "resumed work", what: "kill switch", to: "/runtime", ...(ks.on ? { note: excerpt(ks.reason) } : {}) })
  for (const q of input.quests ?? []) items.push({ key: `quest:${q.id}`, at: q.createdAt, kind: "quest", did: "New quest", what: q.title, to: `/quests/${q.id}` })
  for (const b of input.bounties ?? []) {
    items.push({ key: `bounty:${b.id}`, at: b.createdAt, kind: "bounty", who: name(b.createdBy), did: "posted the bounty", what: b.title, to: "/bounties" })
    for (const s of Object.values(b.submissions))
      if (counts(s.run))
        items.push({ key: `bounty:${b.id}:${s.id}`, at: s.at, kind: "bounty", who: s.members.map(name).join(" & "), did: "answered the bounty", what: b.title, to: "/bounties" })
    if (b.completedAt && b.completedBy)
      items.push({ key: `bounty:${b.id}:done`, at: b.completedAt, kind: "bounty", who: name(b.completedBy), did: "completed the bounty", what: b.title, to: "/bounties" })
  }
  for (const m of input.mail ?? []) {
    if (m.type === "task_pending_approval" || !counts(m.run)) continue
    const to = m.direction === "to_human" ? "the humans" : m.resident ? name(m.resident) : "every resident"
    items.push({ key: `mail:${m.id}`, at: m.at, kind: "mail", who: name(m.by), did: m.type === "reply" ? "replied to" : "wrote to", what: to, to: "/quests", note: excerpt(m.content) })
  }
  return items.sort((a, b) => b.at - a.at || (a.key < b.key ? -1 : 1)).slice(0, limit)
}
