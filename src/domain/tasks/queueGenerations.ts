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

/** A late change's patches, grouped by the task they touch; what is not about a task is dropped. */
export function lateTaskPatches(patches: readonly Patch[]): Map<string, Patch[]> {
  const byTask = new Map<string, Patch[]>()
  for (const patch of patches) {
    const [field, id] = patch.path
    if (field !== "tasks" || typeof id !== "string") continue
    const list = byTask.get(id) ?? []
    list.push(patch)
    byTask.set(id, list)
  }
  return byTask
}
