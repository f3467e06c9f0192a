/**
 * The state of the work behind a quest: its tasks (the live queue's tasks linked to it) by
 * state, and why the waiting ones wait, in one line ("0 of 1 task done, 1 waiting: no worker
 * with an LLM key"). Pure; the panel's quest row and detail and the CLI print it.
 */
import type { QuestDoc, Task } from "../../../schemas/index.ts"
import type { WaitReasons } from "../tasks/waitReason.ts"

/** One reason some of the quest's tasks wait, with those tasks. */
export interface QuestWait {
  short: string
  text: string
  /** Nothing moves until someone acts (see WaitReason). */
  stuck: boolean
  taskIds: string[]
}

export interface QuestWork {
  total: number
  done: number
  running: number
  review: number
  failed: number
  cancelled: number
  waiting: QuestWait[]
  /** The quest names a task the live queue does not hold (archived, or not synced yet). */
  missingTaskId?: string
  summary: string
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

export function questWork(quest: Pick<QuestDoc, "id" | "taskId">, tasks: Iterable<Task>, why: WaitReasons): QuestWork {
  const mine = [...tasks].filter(t => (t.link?.kind === "quest" && t.link.id === quest.id) || t.id === quest.taskId)
  const work: QuestWork = { total: mine.length, done: 0, running: 0, review: 0, failed: 0, cancelled: 0, waiting: [], summary: "" }
  const waits = new Map<string, QuestWait>()
  for (const task of mine) {
    if (task.status === "approved") work.done++
    else if (task.status === "failed") work.failed++
    else if (task.status === "cancelled") work.cancelled++
    else if (task.status === "pending_review") work.review++
    else {
      const reason = why(task)
      if (!reason || reason.kind === "starting") work.running++
      else {
        const wait = waits.get(reason.short) ?? { short: reason.short, text: reason.text, stuck: reason.stuck, taskIds: [] }
        wait.taskIds.push(task.id)
        waits.set(reason.short, wait)
      }
    }
  }
  work.waiting = [...waits.values()]
  if (quest.taskId && !mine.some(t => t.id === quest.taskId)) work.missingTaskId = quest.taskId
  work.summary = summarise(work)
  return work
}

function summarise(w: QuestWork): string {
  const missing = w.missingTaskId ? `its task ${w.missingTaskId} is not in the live queue (finished over a day ago, or not synced yet)` : ""
  if (!w.total) return missing || "no task yet"
  const waiting = w.waiting.reduce((n, x) => n + x.taskIds.length, 0)
  const parts = [
    `${w.done} of ${plural(w.total, "task")} done`,
    w.running ? `${w.running} running` : "",
    w.review ? `${w.review} awaiting review` : "",
    waiting ? `${waiting} waiting: ${w.waiting.map(x => (w.waiting.length > 1 ? `${x.short} (${x.taskIds.length})` : x.short)).join("; ")}` : "",
    w.failed ? `${w.failed} failed` : "",
    w.cancelled ? `${w.cancelled} cancelled` : "",
    missing,
  ]
  return parts.filter(Boolean).join(", ")
}
