/**
 * Queue generations. Automerge keeps a document's whole history, so the live queue, through
 * which every task ever run has passed, would take longer to load with every task even
 * though finished tasks move to archives. When a queue's history outweighs its live tasks the
 * relay copies the live tasks into a fresh queue document and points the root at it; the
 * closed generation keeps a `movedTo` link, and a change a peer still makes there (offline,
 * or in the moment before it read the new root) is carried forward by the relay.
 */
import type { Patch } from "@automerge/automerge/slim"

/** When the relay considers starting a new generation. */
export interface RotationPolicy {
  /** A queue with fewer operations in its history is always kept (loading it is cheap). */
  minOps: number
  /** Rotate only when the history holds this many times the operations a fresh copy would. */
  historyFactor: number
}

export const DEFAULT_ROTATION: RotationPolicy = { minOps: 100_000, historyFactor: 8 }

/** About what a live task costs in a fresh document (its values written once, no history). */
export const OPS_PER_LIVE_TASK = 60

/** Whether a queue with `numOps` operations of history and `liveTasks` tasks is due a new generation. */
export function rotationDue(numOps: number, liveTasks: number, policy: RotationPolicy = DEFAULT_ROTATION): boolean {
  return numOps >= policy.minOps && numOps >= policy.historyFactor * Math.max(1, liveTasks) * OPS_PER_LIVE_TASK
}

/** Marks a late change that wrote or removed a whole task rather than some of its fields. */
export const WHOLE_TASK = "*"

/**
 * The fields of each task a late change touched (a task's own top-level fields, or WHOLE_TASK);
 * what is not about a task (the relay's own bookkeeping) is left out.
 */
export function lateTaskFields(patches: readonly Patch[]): Map<string, Set<string>> {
  const byTask = new Map<string, Set<string>>()
  for (const patch of patches) {
    const [collection, id, field] = patch.path
    if (collection !== "tasks" || typeof id !== "string") continue
    const fields = byTask.get(id) ?? new Set<string>()
    fields.add(typeof field === "string" ? field : WHOLE_TASK)
    byTask.set(id, fields)
  }
  return byTask
}

type Fields = Readonly<Record<string, unknown>>

/** What carrying one task's late change does to the live queue. */
export type LateTaskMerge =
  | { kind: "new"; task: Fields }
  | { kind: "fields"; set: Record<string, unknown>; remove: string[] }
  | { kind: "dropped" }

/**
 * A three-way merge of one task as plain data: `base` is the task where the last carry (or the
 * copy) left it, `closed` as the late writer left it, `live` as the live queue holds it now.
 * A field only the late writer changed takes its value; one both sides changed keeps the live
 * value when it is a list (with the late writer's new and updated entries merged in) and
 * otherwise takes the late writer's value, who acted on the task in that moment. A task the
 * live queue no longer holds (archived) is dropped; one first written late is carried whole.
 */
export function mergeLateTask(base: Fields | undefined, closed: Fields | undefined, live: Fields | undefined, touched: ReadonlySet<string>): LateTaskMerge {
  if (!closed) return { kind: "dropped" }
  if (!live) return base ? { kind: "dropped" } : { kind: "new", task: closed }
  const fields = touched.has(WHOLE_TASK) ? new Set([...Object.keys(closed), ...Object.keys(base ?? {})]) : touched
  const set: Record<string, unknown> = {}
  const remove: string[] = []
  for (const field of fields) {
    const [b, c, l] = [base?.[field], closed[field], live[field]]
    if (same(c, b)) continue
    const value = same(l, b) ? c : Array.isArray(c) && Array.isArray(l) ? mergeList(Array.isArray(b) ? b : [], c, l) : c
    if (value === undefined) remove.push(field)
    else set[field] = value
  }
  return { kind: "fields", set, remove }
}

/** Entries the late writer appended or updated, merged into a list the live side changed too. */
function mergeList(base: readonly unknown[], closed: readonly unknown[], live: readonly unknown[]): unknown[] {
  const out = [...live]
  closed.forEach((entry, i) => {
    if (i < base.length) {
      if (same(entry, base[i])) return
      const at = out.findIndex(e => same(e, base[i]))
      if (at >= 0) out[at] = entry
      else if (!out.some(e => same(e, entry))) out.push(entry)
    } else if (!out.some(e => same(e, entry))) out.push(entry)
  })
  return out
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
