/**
 * In-process counters for the queue benchmark's child processes (relay and workers).
 * Installed by wrapping library prototypes from the outside — no Vivarium source is
 * changed:
 *  - DocHandle.change  (local changes: Automerge change + every `change` listener)
 *  - DocHandle.update  (remote changes: receiveSyncMessage + reply + every listener)
 *  - DocHandle.emit("change")  (listener time alone: ValidatedRecord revalidation,
 *    scheduler / scan triggers, the root-document cache …)
 *  - Task.safeParse    (zod validation of one task, the bulk of revalidation)
 *  - Scheduler.runOnce (relay only; passed in by the caller)
 * each split by document kind (queue, root, audit). Plus event-loop utilisation.
 */
import { DocHandle } from "@automerge/automerge-repo"
import { performance } from "node:perf_hooks"
import { Task } from "../schemas/index.ts"

export interface Counter {
  n: number
  ms: number
}

export type ProbeSnapshot = Record<string, Counter> & { elu?: Counter }

const counters = new Map<string, Counter>()
const kinds = new Map<string, string>()

function bump(name: string, ms: number): void {
  let c = counters.get(name)
  if (!c) counters.set(name, (c = { n: 0, ms: 0 }))
  c.n++
  c.ms += ms
}

function kindOf(handle: DocHandle<unknown>): string {
  let kind = kinds.get(handle.documentId)
  if (kind === undefined) {
    try {
      kind = String((handle.doc() as { kind?: unknown } | undefined)?.kind ?? "?")
    } catch {
      kind = "?"
    }
    if (kind !== "?") kinds.set(handle.documentId, kind)
  }
  return kind
}

let installed = false
let eluStart = performance.eventLoopUtilization()

/** Wraps the prototypes once per process; `extra` adds more timed methods (name → [object, method]). */
export function installProbe(extra: Record<string, [object, string]> = {}): void {
  if (installed) return
  installed = true
  const proto = DocHandle.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const method of ["change", "update"] as const) {
    const original = proto[method]!
    proto[method] = function (this: DocHandle<unknown>, ...args: unknown[]) {
      const t0 = performance.now()
      try {
        return original.apply(this, args)
      } finally {
        bump(`${method}:${kindOf(this)}`, performance.now() - t0)
      }
    }
  }
  const emit = proto.emit!
  proto.emit = function (this: DocHandle<unknown>, event: unknown, ...args: unknown[]) {
    if (event !== "change") return emit.call(this, event, ...args)
    const t0 = performance.now()
    try {
      return emit.call(this, event, ...args)
    } finally {
      bump(`listeners:${kindOf(this)}`, performance.now() - t0)
    }
  }
  const task = Task as unknown as { safeParse: (...args: unknown[]) => unknown }
  const safeParse = task.safeParse.bind(Task)
  task.safeParse = (...args: unknown[]) => {
    const t0 = performance.now()
    try {
      return safeParse(...args)
    } finally {
      bump("Task.safeParse", performance.now() - t0)
    }
  }
  for (const [name, [target, method]] of Object.entries(extra)) {
    const obj = target as Record<string, (...args: unknown[]) => unknown>
    const original = obj[method]!
    obj[method] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now()
      try {
        return original.apply(this, args)
      } finally {
        bump(name, performance.now() - t0)
      }
    }
  }
}

/** Starts a new measuring window (counters and event-loop utilisation). */
export function resetProbe(): void {
  counters.clear()
  eluStart = performance.eventLoopUtilization()
}

export function probeSnapshot(): ProbeSnapshot {
  const out: ProbeSnapshot = {}
  for (const [k, v] of counters) out[k] = { ...v }
  const elu = performance.eventLoopUtilization(eluStart)
  // n = utilisation in per mille, ms = active ms
  out.elu = { n: Math.round(elu.utilization * 1000), ms: elu.active }
  return out
}
