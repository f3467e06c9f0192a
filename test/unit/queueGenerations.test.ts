import { describe, expect, it } from "vitest"
import type { Patch } from "@automerge/automerge"
import { DEFAULT_ROTATION, lateTaskFields, mergeLateTask, rotationDue, WHOLE_TASK } from "../../src/domain/tasks/index.ts"

describe("queue generations: when and what", () => {
  it("a small history is kept; a history far larger than the live tasks is due a new generation", () => {
    expect(rotationDue(DEFAULT_ROTATION.minOps - 1, 0)).toBe(false)
    expect(rotationDue(DEFAULT_ROTATION.minOps, 0)).toBe(true)
    // 1,000 live tasks: a fresh copy is about 60,000 operations; 8× that is due, less is not.
    expect(rotationDue(400_000, 1_000)).toBe(false)
    expect(rotationDue(480_000, 1_000)).toBe(true)
  })

  it("names the fields of each task a late change touched, and drops what is not about a task", () => {
    const patches = [
      { action: "put", path: ["tasks", "t1"], value: {} },
      { action: "put", path: ["forwarded"], value: [] },
      { action: "put", path: ["tasks", "t2", "status"], value: "cancelled" },
      { action: "del", path: ["tasks", "t2", "lease"] },
      { action: "insert", path: ["tasks", "t2", "history", 3], values: [{}] },
      { action: "put", path: ["tasks", "t1", "title"], value: "x" },
      { action: "put", path: ["movedTo"], value: "automerge:x" },
    ] as Patch[]
    const touched = lateTaskFields(patches)
    expect([...touched.keys()]).toEqual(["t1", "t2"])
    expect([...touched.get("t1")!]).toEqual([WHOLE_TASK, "title"])
    expect([...touched.get("t2")!]).toEqual(["status", "lease", "history"])
  })

  it("merges a late task change three ways: the late writer's fields, a removed field, lists changed on both sides", () => {
    const started = { to: "running", at: 2 }
    const base = { status: "running", lease: { leaseId: "L1" }, history: [{ to: "claimed", at: 1 }, started], executions: [{ leaseId: "L1" }], title: "t" }
    // The worker finished in the closed generation: status, lease removed, a history entry, its execution updated.
    const closed = { ...base, status: "pending_review", history: [...base.history, { to: "pending_review", at: 3 }], executions: [{ leaseId: "L1", outcome: "done" }] }
    delete (closed as Partial<typeof closed>).lease
    // Only the late writer changed the task: its fields are taken as written.
    expect(mergeLateTask(base, closed, base, new Set(["status", "lease", "history", "executions"]))).toEqual({
      kind: "fields",
      set: { status: "pending_review", history: closed.history, executions: closed.executions },
      remove: ["lease"],
    })
    // Meanwhile the live side recorded an entry of its own: both entries are kept, the updated execution replaces the old one.
    const live = { ...base, history: [...base.history, { to: "note", at: 4 }] }
    const merged = mergeLateTask(base, closed, live, new Set(["status", "history", "executions"]))
    expect(merged).toEqual({ kind: "fields", set: { status: "pending_review", history: [...live.history, { to: "pending_review", at: 3 }], executions: closed.executions }, remove: [] })
    // A field the late change left as it was is not written.
    expect(mergeLateTask(base, base, live, new Set(["title"]))).toEqual({ kind: "fields", set: {}, remove: [] })
  })

  it("carries a task first written late whole, and drops a change to a task the live queue no longer holds", () => {
    const task = { status: "queued", title: "new" }
    expect(mergeLateTask(undefined, task, undefined, new Set([WHOLE_TASK]))).toEqual({ kind: "new", task })
    expect(mergeLateTask(task, { ...task, status: "cancelled" }, undefined, new Set(["status"]))).toEqual({ kind: "dropped" })
  })
})
