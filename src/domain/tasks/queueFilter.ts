/**
 * The queue's filter and its place in the URL (`/queue?status=running&q=moss&resident=…`), so
 * a filtered queue is a link one operator can send another. Reading a query never fails: a
 * value that is not valid (a hand-edited or stale link) is left out, the rest still filters.
 */
import { z } from "zod"
import { Id, TaskStatus, type Task } from "../../../schemas/index.ts"
import { matchesTask } from "../../core/dashboard.ts"

export interface QueueFilter {
  /** Text in the id, title, prompt or command. */
  q?: string
  status?: TaskStatus
  /** Tasks for this resident (its id). */
  resident?: string
  /** Tasks of this quest (its id). */
  quest?: string
  mode?: Task["mode"]
}

/** The query keys, in the order a link shows them. */
export const QUEUE_FILTER_KEYS = ["q", "status", "resident", "quest", "mode"] as const satisfies readonly (keyof QueueFilter)[]

const MAX_QUERY_TEXT = 200
const fields = {
  q: z.string().trim().min(1).max(MAX_QUERY_TEXT),
  status: TaskStatus,
  resident: Id,
  quest: Id,
  mode: z.enum(["llm", "local"]),
} satisfies Record<keyof QueueFilter, z.ZodType>

/** A router query value: a string, null (`?key`), or a list of those (`?key=a&key=b`). */
type QueryValue = string | null | readonly (string | null)[] | undefined

/** The filter a query describes: the first valid value of each key, nothing for the rest. */
export function filterFromQuery(query: Readonly<Record<string, QueryValue>>): QueueFilter {
  const filter: QueueFilter = {}
  for (const key of QUEUE_FILTER_KEYS) {
    const raw = query[key]
    const first = Array.isArray(raw) ? raw[0] : raw
    const parsed = fields[key].safeParse(first ?? undefined)
    if (parsed.success) (filter as Record<string, string>)[key] = parsed.data
  }
  return filter
}

/** The query for a filter, without empty keys (an unfiltered queue is plain `/queue`). */
export function queryFromFilter(filter: QueueFilter): Record<string, string> {
  const query: Record<string, string> = {}
  for (const key of QUEUE_FILTER_KEYS) {
    const value = filter[key]?.trim()
    if (value) query[key] = value
  }
  return query
}

export function isFiltered(filter: QueueFilter): boolean {
  return QUEUE_FILTER_KEYS.some(key => filter[key] !== undefined)
}

export function matchesFilter(task: Task, filter: QueueFilter): boolean {
  if (filter.status && task.status !== filter.status) return false
  if (filter.mode && task.mode !== filter.mode) return false
  if (filter.resident && task.targetIdentity !== filter.resident) return false
  if (filter.quest && !(task.link?.kind === "quest" && task.link.id === filter.quest)) return false
  if (!filter.q) return true
  return matchesTask(task, filter.q) || (task.prompt ?? task.command ?? "").toLowerCase().includes(filter.q.trim().toLowerCase())
}
