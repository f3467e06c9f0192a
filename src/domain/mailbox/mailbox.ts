/**
 * The mailbox as a phone shows it (reference §6.3): one thread per resident, newest first,
 * with unread counts. Pure: it reads validated messages and writes nothing.
 */
import type { MailMessage, RunRef, Task } from "../../../schemas/index.ts"
import { ledgerKeys } from "../wallets/economy.ts"

/** Thread key of operator messages to all residents. */
export const BROADCAST_THREAD = "__broadcast__"
/** Thread key of inbound notices that name no resident (a pending task nobody was targeted at). */
export const SYSTEM_THREAD = "__system__"

/** Mail id of the "task pending approval" notice of a task: one per task. */
export const pendingNoticeId = (taskId: string): string => `pending-${taskId}`

/** USD band of the task a reply or a direct message enqueues for its resident. */
export const MAIL_TASK_BUDGET = { minBudgetUsd: 0.03, maxBudgetUsd: 0.2 } as const

/** Message types a resident may send (the others are written by humans or the relay). */
export const RESIDENT_MAIL_TYPES = ["question", "greeting", "idea", "concern", "message"] as const

export interface MailThread {
  /** A resident id, BROADCAST_THREAD or SYSTEM_THREAD. */
  key: string
  /** Newest first. */
  messages: MailMessage[]
  /** Inbound messages still without an answer (see isUnread). */
  unread: number
  latestAt: number
}

export function threadKey(m: Pick<MailMessage, "direction" | "resident">): string {
  return m.resident ?? (m.direction === "from_human" ? BROADCAST_THREAD : SYSTEM_THREAD)
}

/** Ids of the inbound messages some operator has answered. */
export function answeredIds(messages: Iterable<MailMessage>): Set<string> {
  const out = new Set<string>()
  for (const m of messages) if (m.direction === "from_human" && m.replyTo !== undefined) out.add(m.replyTo)
  return out
}

/**
 * What the operators wrote to `resident` (or to every resident) that it has not answered:
 * no message of its own replies to it. Newest first.
 */
export function unansweredBy(messages: Iterable<MailMessage>, resident: string): MailMessage[] {
  const all = [...messages]
  const replied = new Set(all.filter(m => m.direction === "to_human" && m.resident === resident && m.replyTo !== undefined).map(m => m.replyTo!))
  return all.filter(m => m.direction === "from_human" && (m.resident === resident || m.resident === undefined) && !replied.has(m.id)).sort(newestFirst)
}

/**
 * Inbound and not answered. A pending-approval notice is also read once its task was
 * decided, when the caller says so (`decided`): there is nothing left to act on.
 */
export function isUnread(m: MailMessage, answered: ReadonlySet<string>, decided?: (taskId: string) => boolean): boolean {
  if (m.direction !== "to_human" || answered.has(m.id)) return false
  return !(m.type === "task_pending_approval" && m.taskId !== undefined && decided?.(m.taskId))
}

const newestFirst = (a: MailMessage, b: MailMessage) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** Pending-approval notices deduped per task (the oldest stays), everything else as is. */
export function dedupeNotices(messages: Iterable<MailMessage>): MailMessage[] {
  const seen = new Set<string>()
  const out: MailMessage[] = []
  for (const m of [...messages].sort((a, b) => -newestFirst(a, b))) {
    if (m.type === "task_pending_approval" && m.taskId !== undefined) {
      if (seen.has(m.taskId)) continue
      seen.add(m.taskId)
    }
    out.push(m)
  }
  return out
}

/** Threads of the mailbox, the most recently active first. */
export function mailThreads(messages: Iterable<MailMessage>, decided?: (taskId: string) => boolean): MailThread[] {
  const all = dedupeNotices(messages)
  const answered = answeredIds(all)
  const threads = new Map<string, MailThread>()
  for (const m of all) {
    const key = threadKey(m)
    let thread = threads.get(key)
    if (!thread) threads.set(key, (thread = { key, messages: [], unread: 0, latestAt: 0 }))
    thread.messages.push(m)
    if (isUnread(m, answered, decided)) thread.unread++
    thread.latestAt = Math.max(thread.latestAt, m.at)
  }
  for (const t of threads.values()) t.messages.sort(newestFirst)
  return [...threads.values()].sort((a, b) => b.latestAt - a.latestAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/** Unread messages across the mailbox (the badge). */
export const unreadCount = (threads: readonly MailThread[]): number => threads.reduce((n, t) => n + t.unread, 0)

/** A task-approval notice counts as read once its task has left review (approved, requeued, failed …). */
export function noticeDecided(tasks: ReadonlyMap<string, Pick<Task, "status">>): (taskId: string) => boolean {
  return taskId => {
    const task = tasks.get(taskId)
    return !!task && task.status !== "pending_review"
  }
}

/**
 * Messages that are not delivered (not shown, not counted unread), with the reason: one made
 * in a stale run (its worker's lease had expired), and paid mail whose spend the ledger voids
 * (the resident could not pay for it once merged). `voided` maps ledger keys to their notes.
 */
export function undeliveredMail(messages: Iterable<MailMessage>, staleRun: (run: RunRef | undefined) => string | undefined, voided: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of messages) {
    const reason = staleRun(m.run) ?? (m.direction === "to_human" ? voided.get(ledgerKeys.mailSend(m.id)) : undefined)
    if (reason) out.set(m.id, reason)
  }
  return out
}
