import { describe, expect, it } from "vitest"
import { TASK_STATUSES, type Actor, type Task, type TaskStatus } from "../../schemas/index.ts"
import { archivePeriod, planArchive } from "../../src/domain/tasks/archive.ts"
import { DEFAULT_ARCHIVE_AFTER_MS, defaultControls } from "../../src/core/defaults.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"

const ALICE: Actor = { kind: "operator", name: "alice" }
const DAY = 24 * 60 * 60 * 1000
const NOW = Date.UTC(2026, 2, 15, 12, 0) // 2026-03-15T12:00Z
const TERMINAL: TaskStatus[] = ["approved", "failed", "cancelled"]
const OPEN = TASK_STATUSES.filter(s => !TERMINAL.includes(s))

function task(id: string, status: TaskStatus, updatedAt: number, dependsOn: string[] = []): Task {
  return { ...buildTask({ prompt: `do ${id}` }, defaultControls("x", 0), ALICE, updatedAt - 1_000, id), status, updatedAt, dependsOn }
}
const ids = (plan: Map<string, Task[]>) => Object.fromEntries([...plan].map(([period, tasks]) => [period, tasks.map(t => t.id)]))

describe("archivePeriod", () => {
  it("is the UTC month a task finished in", () => {
    expect(archivePeriod(Date.UTC(2026, 10, 3))).toBe("2026-11")
    expect(archivePeriod(Date.UTC(2026, 0, 1, 0, 0))).toBe("2026-01")
  })

  it("a task finished 2026-01-31T23:59Z belongs to 2026-01, one minute later to 2026-02", () => {
    expect(archivePeriod(Date.parse("2026-01-31T23:59:00Z"))).toBe("2026-01")
    expect(archivePeriod(Date.parse("2026-01-31T23:59:59.999Z"))).toBe("2026-01")
    expect(archivePeriod(Date.parse("2026-02-01T00:00:00Z"))).toBe("2026-02")
  })

  it("uses UTC, not the local time zone (+14:00 already in February is still January in UTC)", () => {
    expect(archivePeriod(Date.parse("2026-02-01T09:00:00+14:00"))).toBe("2026-01")
  })
})

describe("planArchive", () => {
  it("defaults to archiving after a day", () => {
    expect(DEFAULT_ARCHIVE_AFTER_MS).toBe(DAY)
  })

  it("moves approved, failed and cancelled tasks that finished more than afterMs ago", () => {
    const tasks = TERMINAL.map((s, i) => task(`t-${s}`, s, NOW - 2 * DAY - i))
    expect(ids(planArchive(tasks, NOW, DAY))).toEqual({ "2026-03": ["t-approved", "t-failed", "t-cancelled"] })
  })

  it("never moves an open task, however old", () => {
    const tasks = OPEN.map(s => task(`t-${s}`, s, NOW - 365 * DAY))
    expect(OPEN).toEqual(["queued", "claimed", "running", "pending_review", "requeued", "blocked"])
    expect(planArchive(tasks, NOW, DAY).size).toBe(0)
  })

  it("keeps a terminal task that finished less than afterMs ago; exactly afterMs ago it moves", () => {
    const tasks = [task("recent", "approved", NOW - DAY + 1), task("exactly", "approved", NOW - DAY), task("just-now", "failed", NOW)]
    expect(ids(planArchive(tasks, NOW, DAY))).toEqual({ "2026-03": ["exactly"] })
  })

  it("groups by the UTC month the task finished in (2026-01-31T23:59Z goes to 2026-01)", () => {
    const tasks = [
      task("jan-last-minute", "approved", Date.parse("2026-01-31T23:59:00Z")),
      task("feb-first", "failed", Date.parse("2026-02-01T00:00:00Z")),
      task("dec", "cancelled", Date.parse("2025-12-24T10:00:00Z")),
      task("jan-early", "approved", Date.parse("2026-01-02T08:00:00Z")),
    ]
    expect(ids(planArchive(tasks, NOW, DAY))).toEqual({
      "2026-01": ["jan-last-minute", "jan-early"],
      "2025-12": ["dec"],
      "2026-02": ["feb-first"],
    })
  })

  it("keeps a finished task that an open task still depends on", () => {
    const dep = task("dep", "approved", NOW - 10 * DAY)
    const other = task("other", "approved", NOW - 10 * DAY)
    const waiting = task("waiting", "queued", NOW, ["dep"])
    expect(ids(planArchive([dep, other, waiting], NOW, DAY))).toEqual({ "2026-03": ["other"] })
  })

  it("keeps a failed dependency while the task it blocked is still open (blocked)", () => {
    const dep = task("dep", "failed", NOW - 10 * DAY)
    const blocked = task("blocked", "blocked", NOW - 10 * DAY, ["dep"])
    expect(planArchive([dep, blocked], NOW, DAY).size).toBe(0)
  })

  it("moves a dependency once every task depending on it has finished too", () => {
    const dep = task("dep", "approved", NOW - 10 * DAY)
    const user = task("user", "approved", NOW - 5 * DAY, ["dep"])
    expect(ids(planArchive([dep, user], NOW, DAY))).toEqual({ "2026-03": ["dep", "user"] })
  })

  it("keeps a dependency of an open task even when the open task's other dependencies are gone", () => {
    const a = task("a", "approved", NOW - 10 * DAY)
    const waiting = task("waiting", "pending_review", NOW, ["a", "never-existed"])
    expect(planArchive([a, waiting], NOW, DAY).size).toBe(0)
  })

  it("an empty queue plans nothing, and it takes any iterable (a Map's values)", () => {
    expect(planArchive([], NOW, DAY).size).toBe(0)
    const byId = new Map([["old", task("old", "approved", NOW - 2 * DAY)]])
    expect(ids(planArchive(byId.values(), NOW, DAY))).toEqual({ "2026-03": ["old"] })
  })
})
