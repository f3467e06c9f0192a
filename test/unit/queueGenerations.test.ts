import { describe, expect, it } from "vitest"
import type { Patch } from "@automerge/automerge"
import { DEFAULT_ROTATION, lateTaskPatches, rotationDue } from "../../src/domain/tasks/index.ts"

describe("queue generations: when and what", () => {
  it("a small history is kept; a history far larger than the live tasks is due a new generation", () => {
    expect(rotationDue(DEFAULT_ROTATION.minOps - 1, 0)).toBe(false)
    expect(rotationDue(DEFAULT_ROTATION.minOps, 0)).toBe(true)
    // 1,000 live tasks: a fresh copy is about 60,000 operations; 8× that is due, less is not.
    expect(rotationDue(400_000, 1_000)).toBe(false)
    expect(rotationDue(480_000, 1_000)).toBe(true)
  })

  it("groups a late change's patches by task, in order, and drops what is not about a task", () => {
    const patches = [
      { action: "put", path: ["tasks", "t1"], value: {} },
      { action: "put", path: ["forwarded"], value: [] },
      { action: "put", path: ["tasks", "t2", "status"], value: "cancelled" },
      { action: "put", path: ["tasks", "t1", "title"], value: "x" },
      { action: "put", path: ["movedTo"], value: "automerge:x" },
    ] as Patch[]
    const grouped = lateTaskPatches(patches)
    expect([...grouped.keys()]).toEqual(["t1", "t2"])
    expect(grouped.get("t1")!.map(p => p.path.join("."))).toEqual(["tasks.t1", "tasks.t1.title"])
  })
})
