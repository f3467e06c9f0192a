/**
 * Strings nobody edits character by character are stored as one immutable value each: the
 * document takes a fraction of the operations, and readers (through the schemas) see the same
 * task as before — also for tasks older peers wrote as text.
 */
import * as A from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { Task } from "../../schemas/index.ts"
import { DEFAULT_MAX_BUDGET_USD, DEFAULT_MIN_BUDGET_USD } from "../../src/core/defaults.ts"
import { storedTask } from "../../src/domain/tasks/index.ts"

const task: Task = {
  id: "task-1",
  title: "Summarise the greenhouse humidity export for the gardeners",
  mode: "llm",
  prompt: "Read the attached export and write three sentences a gardener can act on. ".repeat(8),
  model: "auto",
  minBudgetUsd: DEFAULT_MIN_BUDGET_USD,
  maxBudgetUsd: DEFAULT_MAX_BUDGET_USD,
  priority: 0,
  dependsOn: [],
  status: "pending_review",
  attempts: 0,
  errors: 0,
  executions: [{ leaseId: "task-1.lease1", worker: "w1", startedAt: 2_000, finishedAt: 3_000, outcome: "ok" }],
  result: { output: "North wing humidity rose 12 % after noon; open the vents at 11. ".repeat(20), model: "m", costUsd: 0.01, leaseId: "task-1.lease1", worker: "w1", startedAt: 2_000, finishedAt: 3_000 },
  review: { verdict: "minor_issues", confidence: 0.6, issues: ["the vents are not named", "no units on the chart"], needsHuman: true, reviewer: "w1", at: 3_000, feedback: "add the vent numbers" },
  createdBy: "operator-1",
  createdAt: 1_000,
  updatedAt: 3_000,
  history: [{ at: 2_000, from: "queued", to: "claimed", by: { kind: "system", name: "relay" }, reason: "lease granted to w1", leaseId: "task-1.lease1" }],
}

function written(value: Task): A.Doc<{ tasks: Record<string, Task> }> {
  return A.change(A.from<{ tasks: Record<string, Task> }>({ tasks: {} }), d => {
    d.tasks[value.id] = value
  })
}

describe("tasks stored with immutable strings", () => {
  it("read back through the schema as the same task, like a task written as text", () => {
    expect(Task.parse(written(storedTask(task)).tasks["task-1"])).toEqual(Task.parse(task))
    expect(Task.parse(written(task).tasks["task-1"])).toEqual(Task.parse(task))
  })

  it("take a small fraction of the operations of the same task as text", () => {
    const asText = A.stats(written(task)).numOps
    const asValues = A.stats(written(storedTask(task))).numOps
    console.info(`one finished task: ${asText} operations as text, ${asValues} as immutable values`)
    expect(asText).toBeGreaterThan(1_500)
    expect(asValues).toBeLessThan(asText / 10)
  })
})
