/** The queue's filter and the URL query: one maps to the other, bad values fall away. */
import { describe, expect, it } from "vitest"
import type { Actor, Task } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { filterFromQuery, isFiltered, matchesFilter, queryFromFilter, type QueueFilter } from "../../src/domain/tasks/index.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"

const ALICE: Actor = { kind: "operator", name: "alice" }
const task = (over: Partial<Task> & { prompt?: string; command?: string } = {}): Task => {
  const { prompt, command, ...rest } = over
  return { ...buildTask(command ? { command } : { prompt: prompt ?? "Paint the caves" }, defaultControls("x", 0), ALICE, 1_000, "task-1"), ...rest }
}

describe("queue filter ↔ query", () => {
  it("reads each key's first valid value and leaves out what is not valid", () => {
    expect(filterFromQuery({ q: " moss ", status: "pending_review", resident: "moss-keeper", quest: "q-1", mode: "local" })).toEqual({
      q: "moss",
      status: "pending_review",
      resident: "moss-keeper",
      quest: "q-1",
      mode: "local",
    })
    expect(filterFromQuery({ status: ["running", "failed"], q: null, mode: "shell" })).toEqual({ status: "running" })
    expect(filterFromQuery({ status: "done", resident: "../x", quest: "", q: "x".repeat(201), other: "kept out" })).toEqual({})
    expect(filterFromQuery({ status: [null, "queued"] })).toEqual({})
  })

  it("writes only the keys that filter, and a round trip keeps the filter", () => {
    expect(queryFromFilter({})).toEqual({})
    expect(queryFromFilter({ q: "  ", status: undefined, resident: "ada" })).toEqual({ resident: "ada" })
    const filter: QueueFilter = { q: "moss", status: "approved", resident: "ada", quest: "q-1", mode: "llm" }
    expect(filterFromQuery(queryFromFilter(filter))).toEqual(filter)
    expect(Object.keys(queryFromFilter(filter))).toEqual(["q", "status", "resident", "quest", "mode"])
    expect(isFiltered({})).toBe(false)
    expect(isFiltered({ mode: "llm" })).toBe(true)
  })

  it("matches every given key: status, kind, resident, quest, and text in id, title, prompt or command", () => {
    const t = task({ status: "running", targetIdentity: "ada", link: { kind: "quest", id: "q-1" } })
    expect(matchesFilter(t, {})).toBe(true)
    expect(matchesFilter(t, { status: "running", resident: "ada", quest: "q-1", mode: "llm", q: "CAVES" })).toBe(true)
    expect(matchesFilter(t, { status: "queued" })).toBe(false)
    expect(matchesFilter(t, { resident: "bo" })).toBe(false)
    expect(matchesFilter(t, { quest: "q-2" })).toBe(false)
    expect(matchesFilter({ ...t, link: { kind: "bounty", id: "q-1" } }, { quest: "q-1" })).toBe(false)
    expect(matchesFilter(t, { mode: "local" })).toBe(false)
    expect(matchesFilter(task({ command: "ls -la", title: "List" }), { q: "-la" })).toBe(true)
    expect(matchesFilter(t, { q: "task-1" })).toBe(true)
    expect(matchesFilter(t, { q: "nothing" })).toBe(false)
  })
})
