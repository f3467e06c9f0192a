/** Plans on their parent task: keys and budgets, edits that must stay runnable, subtasks, assembly, who may change a plan, and that nothing runs before approval. */
import { describe, expect, it } from "vitest"
import type { Task, TaskPlan } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { assemblePlanResult, awaitsPlanApproval, nextStepKey, planFromProposal, planStepsProblem, proposePlan, subtaskIdOf, subtasksOf } from "../../src/domain/plans/index.ts"
import { authorizeTaskChange } from "../../src/domain/tasks/authority.ts"
import { routeReview } from "../../src/domain/tasks/critic.ts"
import { isReady, workerCanTake } from "../../src/domain/tasks/scheduling.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { waitReasons } from "../../src/domain/tasks/waitReason.ts"
import { principal } from "../helpers/gateHarness.ts"

const NOW = 1_764_000_000_000
const REQUEST = "Research the caching options, then implement the cache layer, then document how to tune it."
const controls = defaultControls("relay", NOW)

function planned(maxBudgetUsd = 0.3): { task: Task; plan: TaskPlan } {
  const proposed = proposePlan(REQUEST, undefined)!
  const task = buildTask({ prompt: REQUEST, maxBudgetUsd }, controls, { kind: "operator", name: "alice" }, NOW, "task-p1")
  const plan = planFromProposal(proposed, maxBudgetUsd)
  return { task: { ...task, plan }, plan }
}

describe("a plan on its task", () => {
  it("keys steps s1…, maps dependencies to keys and splits the budget without exceeding it", () => {
    const { plan } = planned(0.3)
    expect(plan.state).toBe("proposed")
    expect(plan.source).toBe("splitter")
    expect(plan.steps.map(s => s.key)).toEqual(["s1", "s2", "s3"])
    expect(plan.steps.map(s => s.facet)).toEqual(["strategy", "build", "document"])
    expect(plan.steps[1]!.dependsOn).toEqual(["s1"])
    expect(plan.steps.reduce((n, s) => n + s.budgetUsd, 0)).toBeLessThanOrEqual(0.3 + 1e-9)
    expect(plan.steps.every(s => s.budgetUsd > 0.09)).toBe(true)
    expect(planStepsProblem(plan.steps)).toBeUndefined()
  })

  it("a model's plan is kept with its source; a malformed one falls back to the splitter with a note", () => {
    const reply = JSON.stringify({ goal: "Cache the API", steps: [{ title: "Measure the API", prompt: "Measure the API latency today.", facet: "strategy" }, { title: "Add the cache", prompt: "Add an LRU cache in front of it.", facet: "build", dependsOn: [0], budgetShare: 0.7 }] })
    const fromModel = planFromProposal(proposePlan(REQUEST, reply)!, 1)
    expect(fromModel).toMatchObject({ source: "llm", goal: "Cache the API" })
    expect(fromModel.steps.map(s => [s.key, s.budgetUsd, s.dependsOn])).toEqual([["s1", 0.3, []], ["s2", 0.7, ["s1"]]])
    const fallback = planFromProposal(proposePlan(REQUEST, "{ not json")!, 1)
    expect(fallback.source).toBe("splitter")
    expect(fallback.note).toMatch(/not usable.*splitter/)
  })

  it("edits must stay runnable: a step waits only for steps above it, keys are unique, at least one step", () => {
    const { plan } = planned()
    const [s1, s2, s3] = plan.steps
    expect(planStepsProblem([s2!, s1!, s3!])).toMatch(/step 1 .* waits for s1, which is not a step above it/)
    expect(planStepsProblem([s1!, { ...s2!, key: "s1" }])).toMatch(/used twice/)
    expect(planStepsProblem([])).toMatch(/at least one step/)
    // Dropping a step others wait for must also drop it from their dependencies.
    expect(planStepsProblem([s2!, s3!])).toMatch(/waits for s1/)
    expect(planStepsProblem([{ ...s2!, dependsOn: [] }, s3!])).toBeUndefined()
    expect(nextStepKey(plan.steps)).toBe("s4")
    expect(nextStepKey([s3!])).toBe("s4")
  })

  it("approval makes one subtask per step, with ids from the parent's and the facet, budget, model and resident carried", () => {
    const { task, plan } = planned()
    const subs = subtasksOf({ ...task, targetIdentity: "ada", model: "llama-3.1-8b-instant" }, plan, controls, "bob", NOW + 5)
    expect(subs.map(s => s.id)).toEqual(["task-p1.s1", "task-p1.s2", "task-p1.s3"])
    expect(subs[1]).toMatchObject({ parent: "task-p1", facet: "build", dependsOn: ["task-p1.s1"], targetIdentity: "ada", model: "llama-3.1-8b-instant", createdBy: "bob", status: "queued", maxBudgetUsd: plan.steps[1]!.budgetUsd })
    expect(subs.every(s => s.minBudgetUsd <= s.maxBudgetUsd)).toBe(true)
    // Each step is told its place in the plan as approved: dropping the first renumbers the rest.
    expect(subs[1]!.prompt).toBe(`Step 2 of 3 of the plan "${plan.goal}".\n${plan.steps[1]!.prompt}`)
    const [, second] = subtasksOf(task, { ...plan, steps: plan.steps.slice(1).map(s => ({ ...s, dependsOn: [] })) }, controls, "bob", NOW + 5)
    expect(second!.prompt!.split("\n")[0]).toBe(`Step 2 of 2 of the plan "${plan.goal}".`)
    // The same on every peer: approving twice cannot make two sets.
    expect(subtasksOf(task, plan, controls, "carol", NOW + 9).map(s => s.id)).toEqual(subs.map(s => s.id))
    expect(subtaskIdOf("task-p1", "s2")).toBe("task-p1.s2")
  })

  it("the parent's result puts the steps' results together in the plan's order", () => {
    const { plan } = planned()
    const out = assemblePlanResult(plan, key => (key === "s2" ? undefined : ({ result: { output: `done ${key}` } } as Task)))
    expect(out.split("\n").filter(l => l.startsWith("#"))).toEqual([`# ${plan.goal}`, `## 1. ${plan.steps[0]!.title}`, `## 2. ${plan.steps[1]!.title}`, `## 3. ${plan.steps[2]!.title}`])
    expect(out).toContain("done s1")
    expect(out).toContain("(no result)")
  })
})

describe("nothing of a plan runs before approval", () => {
  it("a proposed plan's task is not ready and says its plan waits; once approved it needs no LLM key, and its result always goes to a human", () => {
    const { task } = planned()
    const tasks = new Map([[task.id, task]])
    expect(awaitsPlanApproval(task)).toBe(true)
    expect(isReady(task, tasks, NOW)).toBe(false)
    const reason = waitReasons({ root: { peers: {}, controls }, tasks, spend: { spentUsd: 0, capUsd: 10, reached: false }, now: NOW })(task)
    expect(reason).toMatchObject({ kind: "plan", stuck: true })
    const approved = { ...task, plan: { ...task.plan!, state: "approved" as const } }
    expect(isReady(approved, new Map([[task.id, approved]]), NOW)).toBe(true)
    expect(workerCanTake(approved, { name: "w", hasLlmKey: false, identities: [] })).toBe(true)
    expect(workerCanTake({ ...approved, plan: undefined }, { name: "w", hasLlmKey: false, identities: [] })).toBe(false)
    const rejecting = { verdict: "reject" as const, confidence: 0.9, issues: ["empty"] }
    expect(routeReview(approved, { verdict: "approve", confidence: 0.95, issues: [] }, { reviewEverything: false })).toMatchObject({ to: "pending_review", needsHuman: true })
    expect(routeReview(approved, rejecting, { reviewEverything: false })).toMatchObject({ to: "pending_review" })
  })
})

describe("who may change a plan", () => {
  const ctx = { key: "task-p1", residentHolder: () => undefined, reviewEverything: false }
  const alice = principal("alice", "operator")

  it("an operator edits a proposed plan and decides it as itself; a decided plan no longer changes; workers never write plans", () => {
    const { task, plan } = planned()
    expect(authorizeTaskChange(undefined, task, alice, ctx)).toEqual({ ok: true })
    expect(authorizeTaskChange(undefined, { ...task, plan: { ...plan, state: "approved", decidedBy: "bob" } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("starts proposed") })
    expect(authorizeTaskChange(undefined, { ...task, plan: { ...plan, state: "approved", decidedBy: "alice" } }, alice, ctx)).toEqual({ ok: true })
    const reordered = { ...task, plan: { ...plan, steps: [plan.steps[0]!, { ...plan.steps[2]!, dependsOn: ["s1"] }, plan.steps[1]!] } }
    expect(authorizeTaskChange(task, reordered, alice, ctx)).toEqual({ ok: true })
    const broken = { ...task, plan: { ...plan, steps: [plan.steps[1]!, plan.steps[0]!, plan.steps[2]!] } }
    expect(authorizeTaskChange(task, broken, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("not a step above it") })
    const approved = { ...task, plan: { ...plan, state: "approved" as const, decidedBy: "alice", decidedAt: NOW } }
    expect(authorizeTaskChange(task, approved, alice, ctx)).toEqual({ ok: true })
    expect(authorizeTaskChange(task, { ...approved, plan: { ...approved.plan, decidedBy: "bob" } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("cannot record bob") })
    expect(authorizeTaskChange(approved, { ...approved, plan: { ...approved.plan, steps: [plan.steps[0]!] } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("no longer changes") })
    expect(authorizeTaskChange(task, { ...task, plan: { ...plan, state: "rejected", decidedBy: "alice" } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("cancels its task") })
    expect(authorizeTaskChange(task, { ...task, plan: { ...plan, goal: "Something else" } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("goal is fixed") })
    expect(authorizeTaskChange(task, reordered, principal("w1", "worker"), ctx)).toMatchObject({ ok: false })
    expect(authorizeTaskChange(task, { ...task, plan: undefined }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("never removed") })
  })

  it("a worker holding the lease drafts a plan that asks for one and leaves it proposed; nothing else", () => {
    const { task, plan } = planned()
    const lease = { leaseId: "l1", holder: "w1", grantedAt: NOW, expiresAt: NOW + 60_000, renewals: 0 }
    const drafting = { ...task, status: "running" as const, lease, plan: { ...plan, state: "drafting" as const } }
    const w1 = principal("w1", "worker")
    const drafted = { ...drafting, plan: { ...plan, source: "llm" as const, steps: [plan.steps[0]!] } }
    expect(authorizeTaskChange(drafting, drafted, w1, ctx)).toEqual({ ok: true })
    expect(authorizeTaskChange(drafting, { ...drafted, plan: { ...drafted.plan, state: "approved" as const } }, w1, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("left proposed") })
    expect(authorizeTaskChange({ ...drafting, plan }, { ...drafted }, w1, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("only to draft one") })
    expect(authorizeTaskChange(drafting, drafted, principal("w2", "worker"), ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("does not hold its lease") })
    // An operator may reject a plan being drafted, not approve it.
    const queued = { ...task, plan: { ...plan, state: "drafting" as const } }
    expect(authorizeTaskChange(queued, { ...queued, plan: { ...queued.plan, state: "approved" as const, decidedBy: "alice" } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("drafts it first") })
  })
})
