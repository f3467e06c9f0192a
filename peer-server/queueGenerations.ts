/**
 * The relay starts a new queue generation when the live queue's history outweighs its live
 * tasks (src/domain/tasks/queueGenerations.ts), and carries forward what peers still write
 * into a closed generation. Copy first, switch second: the new document holds every live task
 * before the root names it, and the closed one records the heads it was copied at, so each
 * late change is carried once, in order, even across a restart.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle, DocumentId, Repo } from "@automerge/automerge-repo"
import { parseAutomergeUrl } from "@automerge/automerge-repo"
import { MAX_FORMER_QUEUES, SCHEMA_VERSION, type QueueDoc, type RootDoc, type Task } from "../schemas/index.ts"
import { DEFAULT_ROTATION, lateTaskFields, mergeLateTask, rotationDue, storedTask, type RotationPolicy } from "../src/domain/tasks/index.ts"
import { plainValue } from "../src/workspace/storedValue.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import type { RelayExtension } from "./extension.ts"

/** Starts a new generation when one is due; returns the new queue's URL, or undefined. */
export function rotateQueue(repo: Repo, ws: Workspace, policy: RotationPolicy = DEFAULT_ROTATION): AutomergeUrl | undefined {
  const old = ws.queueHandle
  // The workspace moves to a new generation once it is loaded: until then `old` would be the
  // generation closed last, and rotating it again would leave the live one unclosed (nothing
  // written there carried) and copy stale tasks. The next check rotates.
  if (old.url !== ws.root.docs.queue) return undefined
  const before = old.doc()
  const raw = Object.entries(before.tasks as Record<string, unknown>)
  if (!rotationDue(A.stats(before).numOps, raw.length, policy)) return undefined
  const next = repo.create<QueueDoc>({
    schemaVersion: SCHEMA_VERSION,
    kind: "queue",
    generation: (before.generation ?? 0) + 1,
    tasks: {},
    ...(before.archivedSpendUsd !== undefined ? { archivedSpendUsd: before.archivedSpendUsd } : {}),
  })
  // Every task as stored, not as this reader shows it (an unverified decision stays as written).
  next.change(d => {
    for (const [id, value] of raw) (d.tasks as Record<string, unknown>)[id] = copiedTask(value)
  })
  const copiedAt = A.getHeads(before)
  old.change(d => {
    d.movedTo = next.url
    d.forwarded = [...copiedAt]
  })
  ws.rootHandle.change((d: RootDoc) => {
    d.docs.formerQueues = [old.url, ...(d.docs.formerQueues ?? []).filter(u => u !== old.url)].slice(0, MAX_FORMER_QUEUES)
    d.docs.queue = next.url
  })
  return next.url
}

/** A stored task as plain data, its never-edited strings immutable again; a malformed one as it is. */
function copiedTask(value: unknown): unknown {
  const plain = plainValue(value)
  try {
    return storedTask(plain as Task)
  } catch {
    return plain
  }
}

/** A task as read raw from a document, as plain data (undefined when there is none). */
function plainTask(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" ? plainValue(value as Record<string, unknown>) : undefined
}

/**
 * Writes one carried field into a live task. A list (history, executions, calls) is edited in
 * place, entry by entry, never replaced: a new list would lose what a peer appends to the old
 * one concurrently (a worker's history event written as the carry happens), leaving its move
 * without the event that says who made it.
 */
function writeField(task: Record<string, unknown>, field: string, value: unknown): void {
  const current = task[field]
  if (!Array.isArray(value) || !Array.isArray(current)) {
    task[field] = value
    return
  }
  value.forEach((entry, i) => {
    if (i >= current.length) current.push(entry)
    else if (JSON.stringify(current[i]) !== JSON.stringify(entry)) current[i] = entry
  })
  if (current.length > value.length) current.splice(value.length)
}

/** The live queue's handle when this relay holds it ready. */
function liveQueue(repo: Repo, ws: Workspace): DocHandle<QueueDoc> | undefined {
  const handle = repo.handles[parseAutomergeUrl(ws.root.docs.queue as AutomergeUrl).documentId] as DocHandle<QueueDoc> | undefined
  return handle?.isReady() ? handle : undefined
}

/**
 * Carries what was written into a closed generation since it was last carried into the live
 * queue. Returns the tasks it changed and the ones it could not (no longer live).
 */
export function carryForward(closed: DocHandle<QueueDoc>, live: DocHandle<QueueDoc>): { carried: string[]; dropped: string[] } {
  const doc = closed.doc()
  // Only a generation this relay closed records where carrying starts.
  if (!doc.forwarded) return { carried: [], dropped: [] }
  const from = doc.forwarded as A.Heads
  const to = A.getHeads(doc)
  if (from.length === to.length && from.every((h, i) => h === to[i])) return { carried: [], dropped: [] }
  const byTask = lateTaskFields(A.diff(doc, from, to))
  const carried: string[] = []
  const dropped: string[] = []
  // Nothing about tasks (the relay's own bookkeeping here, this function's included): nothing to record.
  if (!byTask.size) return { carried, dropped }
  const base = A.view(doc, from).tasks as Record<string, unknown>
  const late = doc.tasks as Record<string, unknown>
  live.change(d => {
    const tasks = d.tasks as Record<string, Record<string, unknown>>
    for (const [id, fields] of byTask) {
      const merge = mergeLateTask(plainTask(base[id]), plainTask(late[id]), plainTask(tasks[id]), fields)
      if (merge.kind === "dropped") dropped.push(id)
      else if (merge.kind === "new") tasks[id] = copiedTask(merge.task) as Record<string, unknown>
      else {
        const stored = copiedTask({ ...plainTask(tasks[id]), ...merge.set }) as Record<string, unknown>
        for (const field of Object.keys(merge.set)) writeField(tasks[id]!, field, stored[field])
        for (const field of merge.remove) delete tasks[id]![field]
      }
      if (merge.kind !== "dropped") carried.push(id)
    }
  })
  closed.change(d => {
    d.forwarded = [...to]
  })
  return { carried, dropped }
}

/** Queue generations as a relay extension: checks after each `intervalMs` whether one is due. */
export function queueGenerations(opts: { intervalMs?: number; policy?: RotationPolicy } = {}): RelayExtension {
  let timer: NodeJS.Timeout | undefined
  let unwatch = () => {}
  const watched = new Set<DocumentId>()
  return {
    name: "queue-generations",
    onStart(ctx) {
      const { repo, workspace } = ctx
      const formerIds = () => new Set((workspace.root.docs.formerQueues ?? []).map(u => parseAutomergeUrl(u as AutomergeUrl).documentId))
      const carry = (closed: DocHandle<QueueDoc>) => {
        const live = liveQueue(repo, workspace)
        if (!live || live.documentId === closed.documentId) return
        try {
          const { carried, dropped } = carryForward(closed, live)
          if (carried.length) ctx.log(`carried ${carried.length} late task change(s) from queue ${closed.url} into the live queue`)
          if (dropped.length) ctx.log(`late change(s) to ${dropped.join(", ")} in queue ${closed.url} not carried: the task is no longer live`)
        } catch (error) {
          ctx.log(`carrying late changes from queue ${closed.url} failed (will retry on its next change): ${(error as Error).message}`)
        }
      }
      const watch = (handle: DocHandle<QueueDoc>) => {
        if (watched.has(handle.documentId) || !formerIds().has(handle.documentId)) return
        watched.add(handle.documentId)
        handle.on("change", () => carry(handle))
        void handle.whenReady().then(() => carry(handle), () => {})
      }
      // A closed generation this relay holds, and one a peer syncs later (loaded on demand).
      const watchFormer = () => {
        for (const id of formerIds()) {
          const handle = repo.handles[id] as DocHandle<QueueDoc> | undefined
          if (handle) watch(handle)
        }
      }
      const onDocument = ({ handle }: { handle: DocHandle<unknown> }) => watch(handle as DocHandle<QueueDoc>)
      repo.on("document", onDocument)
      workspace.rootHandle.on("change", watchFormer)
      unwatch = () => {
        repo.off("document", onDocument)
        workspace.rootHandle.off("change", watchFormer)
      }
      watchFormer()
      timer = setInterval(() => {
        try {
          const old = workspace.queueHandle
          const numOps = A.stats(old.doc()).numOps
          const url = rotateQueue(repo, workspace, opts.policy)
          if (url) ctx.log(`started queue generation ${url} (the previous one, ${old.url}, had ${numOps} operations of history)`)
        } catch (error) {
          ctx.log(`starting a new queue generation failed (will retry): ${(error as Error).message}`)
        }
      }, opts.intervalMs ?? 60_000)
      timer.unref()
    },
    onStop: () => {
      clearInterval(timer)
      unwatch()
    },
  }
}
