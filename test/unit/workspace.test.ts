/** Workspace and ValidatedRecord on a network-less, in-memory Repo. */
import { Repo } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, Task } from "../../schemas/index.ts"
import { applyTransition, TransitionError } from "../../src/domain/tasks/taskMachine.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { TaskNotFoundError, Workspace } from "../../src/workspace/workspace.ts"

const alice: Actor = { kind: "operator", name: "alice" }
let repo: Repo
let ws: Workspace

beforeEach(async () => {
  repo = new Repo({ network: [] })
  const root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-unit-0001", createdBy: "alice", now: 1 })
  ws = await Workspace.open(repo, root.url)
})
afterEach(async () => {
  ws.close()
  await repo.shutdown()
})

/** Writes straight into the queue, as a broken or hostile peer could. */
function rawWrite(fn: (tasks: Record<string, unknown>) => void): void {
  ws.queueHandle.change(d => fn(d.tasks as unknown as Record<string, unknown>))
}

describe("Workspace", () => {
  it("addTask writes a valid task that the validated view shows at once", () => {
    const task = ws.addTask({ command: "ls" }, alice, 1_000)
    expect(ws.tasks.get(task.id)).toEqual(task)
    expect(ws.countByStatus().queued).toBe(1)
    expect(ws.issues).toEqual([])
  })

  it("addTask refuses bad input before writing anything", () => {
    const heads = ws.queueHandle.heads()
    expect(() => ws.addTask({ prompt: "p", command: "c" }, alice)).toThrow(/exactly one of prompt or command/)
    expect(ws.queueHandle.heads()).toEqual(heads)
  })

  it("updateTask: a refused transition throws and writes nothing; an unknown id is TaskNotFoundError", () => {
    const task = ws.addTask({ command: "ls" }, alice, 1_000)
    const heads = ws.queueHandle.heads()
    expect(() =>
      ws.updateTask(task.id, draft => {
        draft.title = "sneaky"
        applyTransition(draft, "approved", alice, 2_000)
      }),
    ).toThrow(TransitionError)
    expect(ws.queueHandle.heads()).toEqual(heads)
    expect(ws.tasks.get(task.id)).toEqual(task)
    expect(() => ws.updateTask("task-missing", () => {})).toThrow(TaskNotFoundError)
  })

  it("a corrupt kill switch in the root shows as an issue and reads as ON", () => {
    ws.rootHandle.change(d => {
      ;(d.controls as unknown as Record<string, unknown>).killSwitch = "off"
    })
    expect(ws.root.controls.killSwitch.on).toBe(true)
    expect(ws.issues).toContainEqual(expect.objectContaining({ doc: `root ${ws.rootHandle.url}`, path: "controls.killSwitch" }))
  })
})

describe("ValidatedRecord (workspace.tasks)", () => {
  it("tracks issues entry by entry as entries are broken, fixed and deleted", () => {
    const good = ws.addTask({ command: "ls" }, alice, 1_000)
    const doc = `queue ${ws.queueHandle.url}`
    const changes: unknown[] = []
    ws.tasks.on("change", p => changes.push(p.changedKeys === "all" ? "all" : [...p.changedKeys]))

    rawWrite(t => {
      t["task-bad"] = { ...good, id: "task-bad", status: "exploded" }
    })
    expect(ws.issues).toEqual([expect.objectContaining({ doc, path: "tasks.task-bad.status" })])
    expect([...ws.tasks.entries.keys()]).toEqual([good.id])

    // A change to another entry keeps the known issue.
    ws.updateTask(good.id, d => applyTransition(d, "cancelled", alice, 2_000))
    expect(ws.issues).toHaveLength(1)
    expect(ws.countByStatus()).toMatchObject({ queued: 0, cancelled: 1 })

    // Repairing the entry clears its issue; deleting it clears it too.
    rawWrite(t => {
      ;(t["task-bad"] as Task).status = "queued"
    })
    expect(ws.issues).toEqual([])
    expect(ws.tasks.get("task-bad")?.status).toBe("queued")
    rawWrite(t => {
      delete t["task-bad"]
    })
    expect(ws.tasks.get("task-bad")).toBeUndefined()
    expect(changes).toEqual([["task-bad"], [good.id], ["task-bad"], ["task-bad"]])
  })

  it("reports a `tasks` field that is no longer an object of entries, and keeps the last valid tasks", () => {
    ws.addTask({ command: "ls" }, alice, 1_000)
    ws.queueHandle.change(d => {
      ;(d as unknown as Record<string, unknown>).tasks = "all gone"
    })
    expect(ws.tasks.entries.size).toBe(1)
    // An empty queue must not look healthy: the damage is a data issue at path "tasks".
    expect(ws.issues).toContainEqual(expect.objectContaining({ doc: `queue ${ws.queueHandle.url}`, path: "tasks" }))
  })
})
