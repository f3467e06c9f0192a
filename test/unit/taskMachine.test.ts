import * as A from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { TASK_STATUSES, Task, TaskEvent, type Actor, type ActorKind, type TaskStatus } from "../../schemas/index.ts"
import { DEFAULT_MAX_BUDGET_USD, DEFAULT_MIN_BUDGET_USD } from "../../src/core/defaults.ts"
import {
  applyTransition,
  assertTransition,
  canTransition,
  CLAIMABLE_STATUSES,
  TERMINAL_STATUSES,
  TRANSITIONS,
  TransitionError,
} from "../../src/domain/tasks/taskMachine.ts"

const ACTOR_KINDS: readonly ActorKind[] = ["worker", "operator", "system"]
const actor = (kind: ActorKind): Actor => ({ kind, name: kind === "system" ? "relay" : `${kind}-1` })

function makeTask(status: TaskStatus, id = "task-1"): Task {
  return {
    id,
    title: "say hi",
    mode: "local",
    command: "echo hi",
    model: "auto",
    minBudgetUsd: DEFAULT_MIN_BUDGET_USD,
    maxBudgetUsd: DEFAULT_MAX_BUDGET_USD,
    priority: 0,
    dependsOn: [],
    status,
    attempts: 0,
    errors: 0,
    executions: [],
    createdBy: "operator-1",
    createdAt: 1_000,
    updatedAt: 1_000,
    history: [],
  }
}

/**
 * The runtime contract's table, written out independently of src/domain/tasks/taskMachine.ts so
 * a change to the machine has to change this spec too.
 */
const SPEC: ReadonlyArray<[from: TaskStatus, to: TaskStatus, by: readonly ActorKind[]]> = [
  ["queued", "claimed", ["system"]],
  ["queued", "blocked", ["system"]],
  ["queued", "cancelled", ["operator", "system"]],
  ["requeued", "claimed", ["system"]],
  ["requeued", "blocked", ["system"]],
  ["requeued", "cancelled", ["operator", "system"]],
  ["blocked", "queued", ["system", "operator"]],
  ["blocked", "cancelled", ["operator", "system"]],
  ["claimed", "running", ["worker"]],
  ["claimed", "queued", ["system", "worker"]],
  ["claimed", "failed", ["worker"]],
  ["claimed", "cancelled", ["operator", "worker", "system"]],
  ["running", "pending_review", ["worker"]],
  ["running", "approved", ["worker"]],
  ["running", "requeued", ["worker"]],
  ["running", "failed", ["worker"]],
  ["running", "queued", ["system"]],
  ["running", "cancelled", ["operator", "worker", "system"]],
  ["pending_review", "approved", ["operator"]],
  ["pending_review", "requeued", ["operator"]],
  ["pending_review", "failed", ["operator"]],
  ["pending_review", "cancelled", ["operator"]],
]

const allowed = SPEC.flatMap(([from, to, kinds]) => kinds.map(kind => ({ from, to, kind })))
const isAllowed = (from: TaskStatus, to: TaskStatus, kind: ActorKind) =>
  allowed.some(a => a.from === from && a.to === to && a.kind === kind)
const refused = TASK_STATUSES.flatMap(from =>
  TASK_STATUSES.flatMap(to => ACTOR_KINDS.filter(kind => !isAllowed(from, to, kind)).map(kind => ({ from, to, kind }))),
)

describe("task state machine", () => {
  it("has exactly the transitions of the runtime contract", () => {
    const table = TASK_STATUSES.flatMap(from =>
      Object.entries(TRANSITIONS[from]).flatMap(([to, kinds]) => (kinds ?? []).map(kind => `${from}->${to} by ${kind}`)),
    ).sort()
    expect(table).toEqual(allowed.map(a => `${a.from}->${a.to} by ${a.kind}`).sort())
  })

  it.each(allowed)("$from → $to by a $kind succeeds and is recorded in the history", ({ from, to, kind }) => {
    const task = makeTask(from)
    expect(canTransition(from, to, kind)).toBe(true)
    applyTransition(task, to, actor(kind), 2_000, "because")
    expect(task.status).toBe(to)
    expect(task.updatedAt).toBe(2_000)
    expect(task.history).toEqual([{ at: 2_000, from, to, by: actor(kind), reason: "because" }])
    // The task is still a valid Task after the move.
    expect(Task.safeParse(task).success).toBe(true)
  })

  it(`refuses every other (from, to, actor) combination (${refused.length} of them) without touching the task`, () => {
    for (const { from, to, kind } of refused) {
      const task = makeTask(from)
      const before = structuredClone(task)
      expect(canTransition(from, to, kind), `${from}->${to} by ${kind}`).toBe(false)
      expect(() => applyTransition(task, to, actor(kind), 2_000), `${from}->${to} by ${kind}`).toThrow(TransitionError)
      expect(task).toEqual(before)
    }
  })

  describe("refusals explain themselves", () => {
    it("wrong actor: names who may make the move", () => {
      const error = catchError(() => applyTransition(makeTask("queued"), "claimed", actor("worker"), 1))
      expect(error).toBeInstanceOf(TransitionError)
      expect(error.name).toBe("TransitionError")
      expect(error).toMatchObject({ taskId: "task-1", from: "queued", to: "claimed", actor: "worker" })
      expect(error.message).toBe("task task-1: only system may move it from queued to claimed, not worker")
    })

    it("wrong actor with several allowed kinds lists them all", () => {
      const error = catchError(() => assertTransition(makeTask("blocked"), "queued", "worker"))
      expect(error.message).toBe("task task-1: only system or operator may move it from blocked to queued, not worker")
    })

    it("terminal state: says the state is final", () => {
      for (const status of ["approved", "failed", "cancelled"] as const) {
        const error = catchError(() => applyTransition(makeTask(status), "queued", actor("operator"), 1))
        expect(error).toBeInstanceOf(TransitionError)
        expect(error.message).toBe(`task task-1 is ${status}; it cannot become queued (${status} is final)`)
      }
    })

    it("unknown move: lists where the task can go instead", () => {
      const error = catchError(() => applyTransition(makeTask("queued"), "running", actor("worker"), 1))
      expect(error).toBeInstanceOf(TransitionError)
      expect(error.message).toBe("task task-1 is queued; it cannot become running (from queued it can become claimed, blocked, cancelled)")
    })

    it("a move to the same state is refused", () => {
      expect(() => applyTransition(makeTask("running"), "running", actor("worker"), 1)).toThrow(/cannot become running/)
    })
  })

  it("terminal and claimable sets agree with the table", () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(["approved", "cancelled", "failed"])
    for (const s of TERMINAL_STATUSES) expect(Object.keys(TRANSITIONS[s])).toEqual([])
    for (const s of TASK_STATUSES.filter(s => !TERMINAL_STATUSES.has(s))) expect(Object.keys(TRANSITIONS[s]).length).toBeGreaterThan(0)
    expect([...CLAIMABLE_STATUSES].sort()).toEqual(["queued", "requeued"])
    for (const s of CLAIMABLE_STATUSES) expect(canTransition(s, "claimed", "system")).toBe(true)
  })

  describe("applyTransition history", () => {
    it("appends one event per move, in order, across a whole life cycle", () => {
      const task = makeTask("queued")
      applyTransition(task, "claimed", actor("system"), 10)
      applyTransition(task, "running", actor("worker"), 20)
      applyTransition(task, "pending_review", actor("worker"), 30, "critic unsure")
      applyTransition(task, "requeued", actor("operator"), 40, "try again")
      applyTransition(task, "claimed", actor("system"), 50)
      expect(task.status).toBe("claimed")
      expect(task.updatedAt).toBe(50)
      expect(task.history.map(e => [e.from, e.to, e.by.kind, e.at])).toEqual([
        ["queued", "claimed", "system", 10],
        ["claimed", "running", "worker", 20],
        ["running", "pending_review", "worker", 30],
        ["pending_review", "requeued", "operator", 40],
        ["requeued", "claimed", "system", 50],
      ])
      expect(task.history[2]!.reason).toBe("critic unsure")
      expect(Task.safeParse(task).success).toBe(true)
    })

    it("omits an absent reason and cuts a long one to the schema's 500 characters", () => {
      const task = makeTask("queued")
      applyTransition(task, "cancelled", actor("operator"), 1)
      expect(task.history[0]).not.toHaveProperty("reason")
      const other = makeTask("queued")
      applyTransition(other, "cancelled", actor("operator"), 1, "x".repeat(2_000))
      expect(other.history[0]!.reason).toHaveLength(500)
      expect(Task.safeParse(other).success).toBe(true)
    })

    it("keeps a long-lived task schema-valid: history stays within the schema's 500 events", () => {
      // A task whose lease keeps expiring (crash-looping worker) bounces queued ⇄ claimed.
      const task = makeTask("queued")
      for (let i = 0; i < 300; i++) {
        applyTransition(task, "claimed", actor("system"), 2 * i)
        applyTransition(task, "queued", actor("system"), 2 * i + 1, "lease expired")
      }
      expect(task.status).toBe("queued")
      expect(task.history.length).toBeLessThanOrEqual(500)
      // The newest event is kept.
      expect(task.history.at(-1)).toMatchObject({ from: "claimed", to: "queued", at: 599 })
      expect(Task.safeParse(task).success).toBe(true)
    })

    it("copies the actor instead of aliasing it", () => {
      const by = { kind: "operator", name: "alice" } as Actor
      const task = makeTask("queued")
      applyTransition(task, "cancelled", by, 1)
      by.name = "mallory"
      expect(task.history[0]!.by.name).toBe("alice")
    })

    it("works on an Automerge draft, and a refused move inside change() writes nothing", () => {
      let doc = A.from<{ tasks: Record<string, Task> }>({ tasks: { "task-1": makeTask("queued") } })
      doc = A.change(doc, d => applyTransition(d.tasks["task-1"]!, "claimed", actor("system"), 5, "lease granted"))
      expect(doc.tasks["task-1"]!.status).toBe("claimed")
      // In a document the reason is one immutable value (one operation, not one per character);
      // read through the schema it is the plain string.
      expect(A.isImmutableString(doc.tasks["task-1"]!.history[0]!.reason)).toBe(true)
      expect(z.array(TaskEvent).parse(doc.tasks["task-1"]!.history)).toEqual([{ at: 5, from: "queued", to: "claimed", by: actor("system"), reason: "lease granted" }])
      const heads = A.getHeads(doc)
      expect(() =>
        A.change(doc, d => {
          d.tasks["task-1"]!.title = "changed before the refusal"
          applyTransition(d.tasks["task-1"]!, "approved", actor("worker"), 6)
        }),
      ).toThrow(TransitionError)
      expect(A.getHeads(doc)).toEqual(heads)
      expect(doc.tasks["task-1"]!.title).toBe("say hi")
    })
  })
})

function catchError(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error("expected a throw")
}
