/** The merge resolver: merged histories resolve by the state machine, the same way everywhere. */
import { describe, expect, it } from "vitest"
import type { Actor, Task, TaskEvent, TaskStatus } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { resolveStatus, resolveTask, staleLeaseReason } from "../../src/domain/tasks/taskMerge.ts"

const SYSTEM: Actor = { kind: "system", name: "relay" }
const W1: Actor = { kind: "worker", name: "w1" }
const W2: Actor = { kind: "worker", name: "w2" }
const ALICE: Actor = { kind: "operator", name: "alice" }
const BOB: Actor = { kind: "operator", name: "bob" }

const ev = (at: number, from: TaskStatus, to: TaskStatus, by: Actor, leaseId?: string): TaskEvent => ({ at, from, to, by, ...(leaseId ? { leaseId } : {}) })
const result = (leaseId: string, worker: string) => ({ output: `by ${worker}`, model: "m", costUsd: 0.01, leaseId, worker, startedAt: 1, finishedAt: 2 })
function task(history: TaskEvent[], over: Partial<Task> = {}): Task {
  return { ...buildTask({ prompt: "p" }, defaultControls("x", 0), ALICE, 0, "task-1"), history, ...over }
}

const granted1 = [ev(1, "queued", "claimed", SYSTEM, "L1"), ev(2, "claimed", "running", W1, "L1")]
/** The relay expired L1 and w2 ran the task under L2 to review. */
const rescue = [ev(10, "running", "queued", SYSTEM, "L1"), ev(11, "queued", "claimed", SYSTEM, "L2"), ev(12, "claimed", "running", W2, "L2"), ev(13, "running", "pending_review", W2, "L2")]
/** w1, cut off, finished under L1 (and approved its own auto-approved result). */
const stale = [ev(20, "running", "approved", W1, "L1")]

describe("resolveTask", () => {
  it("a legitimate history resolves to the stored status, and a result under the current lease stands", () => {
    const t = task([...granted1, ev(5, "running", "pending_review", W1, "L1")], { status: "pending_review", result: result("L1", "w1") })
    expect(resolveTask(t)).toEqual({ task: t, flags: [] })
  })

  it("a stale run's transitions and result never win, in whichever order the merge put them", () => {
    for (const history of [[...granted1, ...rescue, ...stale], [...granted1, ...stale, ...rescue]]) {
      const merged = task(history, { status: "approved", result: result("L1", "w1") })
      const { task: out, flags } = resolveTask(merged)
      expect(out.status).toBe("pending_review")
      expect(out.result).toBeUndefined()
      expect(flags.join(" ")).toMatch(/result ignored: lease L1 .* expired/)
    }
    const rescuerWon = task([...granted1, ...rescue, ...stale], { status: "pending_review", result: result("L2", "w2") })
    expect(resolveTask(rescuerWon).task.result?.worker).toBe("w2")
  })

  it("an older offline cancel cannot undo an approved task; terminal states win in a fixed order", () => {
    const review = [...granted1, ev(5, "running", "pending_review", W1, "L1")]
    expect(resolveStatus(task([...review, ev(6, "pending_review", "cancelled", BOB), ev(7, "pending_review", "approved", ALICE)]))).toBe("approved")
    expect(resolveStatus(task([...review, ev(7, "pending_review", "approved", ALICE), ev(6, "pending_review", "cancelled", BOB)]))).toBe("approved")
    expect(resolveStatus(task([...review, ev(6, "pending_review", "cancelled", BOB), ev(7, "pending_review", "failed", ALICE)]))).toBe("failed")
    // A cancel of a queued task offline while it ran elsewhere: the cancel stands (nothing approved it).
    expect(resolveStatus(task([ev(1, "queued", "cancelled", BOB), ...granted1]))).toBe("cancelled")
  })

  it("a transition the state machine does not allow from the replayed state is skipped", () => {
    // Bob requeued the review offline while Alice's requeue and a new grant happened.
    const review = [...granted1, ev(5, "running", "pending_review", W1, "L1")]
    expect(resolveStatus(task([...review, ev(6, "pending_review", "requeued", ALICE), ev(7, "requeued", "claimed", SYSTEM, "L2"), ev(6, "pending_review", "requeued", BOB)]))).toBe("claimed")
  })

  it("work under a lease never granted for the task is stale", () => {
    const t = task(granted1, { status: "running" })
    expect(staleLeaseReason(t, "L1")).toBeUndefined()
    expect(staleLeaseReason(t, "L9")).toMatch(/never granted/)
  })
})
