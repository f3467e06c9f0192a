import { describe, expect, it } from "vitest"
import type { Actor, LlmCall, Task, TaskEvent, TaskStatus } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { insights, monthsOf, NO_RESIDENT } from "../../src/core/insights.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"

const ALICE: Actor = { kind: "operator", name: "alice" }
const W: Actor = { kind: "worker", name: "w1" }
const T0 = Date.UTC(2026, 10, 30, 12)
const MIN = 60_000
const ev = (to: TaskStatus, at: number, from: TaskStatus, by: Actor = W): TaskEvent => ({ at, from, to, by })
const call = (at: number, model: string, costUsd: number): LlmCall => ({ at, model, costUsd, promptTokens: 10, completionTokens: 10, ok: true, leaseId: "l", worker: "w1" })

function task(id: string, over: Partial<Task>): Task {
  return { ...buildTask({ prompt: "p" }, defaultControls("x", 0), ALICE, T0, id), ...over }
}

describe("insights over a range", () => {
  const tasks = [
    task("a", {
      status: "approved",
      targetIdentity: "res_ada",
      route: { kind: "exact", skill: "summarise", confidence: 1 },
      calls: [call(T0 + 2 * MIN, "llama-3.1-8b-instant", 0.002)],
      history: [ev("claimed", T0 + MIN, "queued"), ev("running", T0 + 2 * MIN, "claimed"), ev("pending_review", T0 + 3 * MIN, "running"), ev("approved", T0 + 13 * MIN, "pending_review", ALICE)],
    }),
    task("b", {
      status: "failed",
      lastError: "model refused: content policy\nmore detail",
      route: { kind: "none", confidence: 0 },
      calls: [call(T0 + 5 * MIN, "llama-3.3-70b-versatile", 0.01), call(T0 + 6 * MIN, "llama-3.3-70b-versatile", 0.01)],
      history: [ev("running", T0 + 4 * MIN, "claimed"), ev("pending_review", T0 + 7 * MIN, "running"), ev("failed", T0 + 37 * MIN, "pending_review", ALICE)],
    }),
    task("c", { status: "failed", history: [ev("failed", T0 + 8 * MIN, "running")], lastError: "model refused: content policy" }),
    // Outside the range: counted nowhere.
    task("d", { status: "failed", history: [ev("failed", T0 - 2 * 60 * MIN, "running")], lastError: "old" }),
  ]
  const figures = insights(tasks, { from: T0, to: T0 + 60 * MIN })

  it("counts failure reasons by their first line, most frequent first", () => {
    expect(figures.failureReasons).toEqual([{ reason: "model refused: content policy", count: 2 }])
  })

  it("adds each call's cost to its model and to the task's resident, dearest first", () => {
    expect(figures.spendByModel).toEqual([
      { key: "llama-3.3-70b-versatile", costUsd: 0.02, calls: 2 },
      { key: "llama-3.1-8b-instant", costUsd: 0.002, calls: 1 },
    ])
    expect(figures.spendByResident).toEqual([
      { key: NO_RESIDENT, costUsd: 0.02, calls: 2 },
      { key: "res_ada", costUsd: 0.002, calls: 1 },
    ])
  })

  it("says how often a run followed a skill and how long reviews waited", () => {
    expect(figures.skills).toEqual({ routed: 2, reused: 1, byKind: { exact: 1, none: 1 } })
    expect(figures.reviewLatency).toEqual({ decided: 2, p50Ms: 30 * MIN, p90Ms: 30 * MIN })
    expect(insights(tasks, { from: T0, to: T0 + 20 * MIN }).reviewLatency).toEqual({ decided: 1, p50Ms: 10 * MIN, p90Ms: 10 * MIN })
  })

  it("names the archive months a range touches", () => {
    expect(monthsOf({ from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 11, 4) })).toEqual(["2026-11", "2026-12"])
    expect(monthsOf({ from: Date.UTC(2026, 11, 1), to: Date.UTC(2026, 11, 2) })).toEqual(["2026-12"])
  })
})
