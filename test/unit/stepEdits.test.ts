/** A proposed plan's steps as the panel edits them: move, drop, add, and the edit editPlan takes (checked against editPlan itself on an in-memory workspace). */
import { Repo } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, PlanStep } from "../../schemas/index.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { AuditLog } from "../../src/domain/audit/auditLog.ts"
import { editPlan, planStepsProblem, planTask } from "../../src/domain/plans/index.ts"
import { addStep, budgetLeft, draftOf, dropStep, isEdited, moveStep, stepDepths, stepsBudgetProblem, stepsEditOf } from "../../src/domain/plans/stepEdits.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { Workspace } from "../../src/workspace/workspace.ts"

const step = (key: string, dependsOn: string[] = [], budgetUsd = 0.1): PlanStep => ({ key, title: `Step ${key}`, prompt: `Do ${key}.`, facet: "build", dependsOn, budgetUsd })
/** Design → build → review and document side by side (the splitter's stages). */
const SAVED: PlanStep[] = [step("s1"), step("s2", ["s1"]), step("s3", ["s2"]), step("s4", ["s2"])]
const keys = (steps: readonly Pick<PlanStep, "key">[]) => steps.map(s => s.key)

describe("editing a plan's steps", () => {
  it("moves a step up or down and leaves the list alone at its ends", () => {
    expect(keys(moveStep(SAVED, 3, -1))).toEqual(["s1", "s2", "s4", "s3"])
    expect(keys(moveStep(SAVED, 0, 1))).toEqual(["s2", "s1", "s3", "s4"])
    expect(keys(moveStep(SAVED, 0, -1))).toEqual(keys(SAVED))
    expect(keys(moveStep(SAVED, 3, 1))).toEqual(keys(SAVED))
    // A step moved above one it waits for cannot run: the plan's own check says why.
    expect(planStepsProblem(moveStep(SAVED, 3, -1))).toBeUndefined()
    expect(planStepsProblem(moveStep(moveStep(SAVED, 3, -1), 2, -1))).toMatch(/step 2 .*waits for s2, which is not a step above it/)
  })

  it("drops a step and the steps that waited for it no longer do", () => {
    const dropped = dropStep(SAVED, 1)
    expect(dropped.map(s => [s.key, s.dependsOn])).toEqual([["s1", []], ["s3", []], ["s4", []]])
    expect(SAVED[2]!.dependsOn, "the saved steps are not touched").toEqual(["s2"])
    expect(dropStep(SAVED, 9)).toEqual(SAVED)
    expect(planStepsProblem(dropped)).toBeUndefined()
  })

  it("a new step takes the budget the others leave, or the budget is split evenly again", () => {
    const draft = draftOf(SAVED)
    expect(budgetLeft(draft, 0.4)).toBe(0)
    const full = addStep(draft, SAVED, 0.4, { title: "Write the notes", prompt: "Write release notes.", facet: "document", dependsOn: ["s2"] })
    expect(full.at(-1)).toMatchObject({ key: "s5", isNew: true, dependsOn: ["s2"] })
    expect(full.map(s => s.budgetUsd)).toEqual([0.08, 0.08, 0.08, 0.08, 0.08])
    expect(stepsBudgetProblem(full, 0.4)).toBeUndefined()

    const roomy = addStep(dropStep(draft, 2), SAVED, 0.4, { title: "Audit it", prompt: "Audit the build.", facet: "review" })
    // The dropped step's key is never given again, and its budget goes to the new one.
    expect(roomy.map(s => [s.key, s.budgetUsd])).toEqual([["s1", 0.1], ["s2", 0.1], ["s4", 0.1], ["s5", 0.1]])
    expect(stepsBudgetProblem([...draft, { ...draft[0]!, budgetUsd: 0.05 }], 0.4)).toMatch(/add up to \$0\.4500, more than the task's \$0\.4/)
  })

  it("knows whether the draft differs from the saved steps", () => {
    expect(isEdited(SAVED, draftOf(SAVED))).toBe(false)
    expect(isEdited(SAVED, moveStep(draftOf(SAVED), 3, -1))).toBe(true)
    expect(isEdited(SAVED, draftOf(SAVED).map((s, i) => (i === 1 ? { ...s, title: "Build it" } : s)))).toBe(true)
    expect(isEdited(SAVED, dropStep(draftOf(SAVED), 3))).toBe(true)
  })

  it("stands each step under the deepest step above it that it waits for", () => {
    expect(stepDepths(SAVED)).toEqual([0, 1, 2, 2])
    expect(stepDepths(moveStep(SAVED, 0, 1)), "a step waiting for one below it stands at the top").toEqual([0, 0, 1, 1])
  })
})

describe("the edit editPlan takes", () => {
  const alice: Actor = { kind: "operator", name: "alice" }
  let repo: Repo
  let ws: Workspace
  let ctx: OperatorContext

  beforeEach(async () => {
    repo = new Repo({ network: [] })
    const root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-unit-0001", createdBy: "alice", now: 1 })
    ws = await Workspace.open(repo, root.url)
    const pair = await generateSigningKey()
    const log = new AuditLog(AuditLog.createAuditDoc(repo, "alice"), { actor: alice, key: await importPrivateKey(pair.privateKeyPkcs8) }, { now: () => 1_764_000_000_000 })
    ctx = { workspace: ws, audit: log, actor: alice, now: 1_764_000_000_000 }
  })
  afterEach(async () => {
    ws.close()
    await repo.shutdown()
  })

  it("new steps get the keys editPlan gives them, and the steps waiting for them follow", async () => {
    const parent = await planTask(ctx, { request: "Please design the export format, then implement the exporter and the importer; review both for tampering, and finally document the file layout.", maxBudgetUsd: 0.4 })
    const saved = parent.plan!.steps
    expect(keys(saved)).toEqual(["s1", "s2", "s3", "s4"])
    // Drop the review (s3), add two steps, then put the second new one first of the two and make the other wait for it.
    let draft = dropStep(draftOf(saved), 2)
    draft = addStep(draft, saved, 0.4, { title: "Write the changelog", prompt: "Write the changelog entry.", facet: "document", dependsOn: ["s2"] })
    draft = addStep(draft, saved, 0.4, { title: "Check the importer", prompt: "Check the importer with a tampered file.", facet: "review", dependsOn: ["s2"] })
    const [changelog, check] = [draft[3]!, draft[4]!]
    expect([changelog.key, check.key]).toEqual(["s5", "s6"])
    draft = moveStep(draft, 4, -1).map(s => (s.key === changelog.key ? { ...s, dependsOn: [...s.dependsOn, check.key] } : s))
    expect(planStepsProblem(draft)).toBeUndefined()
    expect(stepsBudgetProblem(draft, 0.4)).toBeUndefined()

    const edit = stepsEditOf(saved, draft)
    expect(edit.map(s => s.key)).toEqual(["s1", "s2", "s4", undefined, undefined])
    const plan = await editPlan(ctx, parent.id, edit)
    // editPlan keys the new steps in the order they stand: the check s5, the changelog s6, which waits for it.
    expect(plan.steps.map(s => [s.key, s.title, s.dependsOn])).toEqual([
      ["s1", saved[0]!.title, []],
      ["s2", saved[1]!.title, ["s1"]],
      ["s4", saved[3]!.title, ["s2"]],
      ["s5", "Check the importer", ["s2"]],
      ["s6", "Write the changelog", ["s2", "s5"]],
    ])
    expect(isEdited(ws.tasks.get(parent.id)!.plan!.steps, draftOf(plan.steps))).toBe(false)
  })
})
