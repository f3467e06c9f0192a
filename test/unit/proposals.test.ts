import { describe, expect, it } from "vitest"
import { ImprovementLoop, Proposal } from "../../schemas/index.ts"
import { approvalsNeeded, approvalsSuffice, authorizeLoopChange, authorizeProposalChange, nextLoopStep, readLoopAnswer, TargetRef } from "../../src/domain/proposals/index.ts"
import { principal } from "../helpers/gateHarness.ts"

const alice = principal("alice", "operator")
const bob = principal("bob", "operator")
const worker = principal("w1", "worker")
const HEADS = ["a".repeat(64)]

const proposal = (over: Partial<Proposal> = {}): Proposal => ({
  id: "prop-1",
  target: { kind: "hat", id: "builder", field: "prompt" },
  before: "old words",
  after: "new words",
  reason: "clearer",
  risk: "high",
  rollbackPlan: "back to the checkpoint",
  proposedBy: { kind: "operator", name: "alice" },
  proposedAt: 1,
  state: "proposed",
  approvals: [],
  ...over,
})
const loop = (over: Partial<ImprovementLoop> = {}): ImprovementLoop => ({
  id: "loop-1",
  target: { kind: "skill", id: "skill-x", field: "template" },
  goal: "shorter",
  risk: "medium",
  maxIterations: 2,
  budgetUsd: 0.1,
  iterations: 0,
  spentUsd: 0,
  state: "running",
  createdBy: "alice",
  createdAt: 1,
  ...over,
})
const ctx = { key: "prop-1" }
const lctx = { key: "loop-1" }

describe("proposal rules", () => {
  it("the fixtures are valid records", () => {
    expect(Proposal.safeParse(proposal()).success).toBe(true)
    expect(ImprovementLoop.safeParse(loop()).success).toBe(true)
  })

  it("high risk needs two distinct operators, the rest one", () => {
    expect([approvalsNeeded("low"), approvalsNeeded("medium"), approvalsNeeded("high")]).toEqual([1, 1, 2])
    expect(approvalsSuffice({ risk: "high", approvals: [{ by: "alice", at: 1 }, { by: "alice", at: 2 }] })).toBe(false)
    expect(approvalsSuffice({ risk: "high", approvals: [{ by: "alice", at: 1 }, { by: "bob", at: 2 }] })).toBe(true)
    expect(approvalsSuffice({ risk: "low", approvals: [{ by: "alice", at: 1 }] })).toBe(true)
  })

  it("a loop begins, waits, proposes and ends within its budgets", () => {
    expect(nextLoopStep(loop(), undefined, false)).toEqual({ kind: "begin", iteration: 1 })
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "running" }, false)).toEqual({ kind: "wait" })
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "approved" }, false)).toEqual({ kind: "propose", iteration: 1 })
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "failed", lastError: "model refused\nmore" }, false)).toEqual({ kind: "finish", state: "stopped", reason: "iteration 1's task failed: model refused" })
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "approved" }, true)).toEqual({ kind: "begin", iteration: 2 })
    expect(nextLoopStep(loop({ iterations: 2 }), { status: "approved" }, true)).toEqual({ kind: "finish", state: "done", reason: "made its 2 iteration(s)" })
    expect(nextLoopStep(loop({ iterations: 1, spentUsd: 0.1 }), { status: "approved" }, true)).toMatchObject({ kind: "finish", state: "done", reason: expect.stringContaining("budget") })
    expect(nextLoopStep(loop({ state: "at_checkpoint", iterations: 1 }), { status: "approved" }, true)).toEqual({ kind: "wait" })
  })

  it("reads a loop's answer: NO CHANGE or the same words propose nothing; a fenced block is unwrapped", () => {
    expect(readLoopAnswer("  no change \n", "old")).toBeUndefined()
    expect(readLoopAnswer("old", "old")).toBeUndefined()
    expect(readLoopAnswer("```text\nnew words\n```", "old")).toBe("new words")
    expect(readLoopAnswer("  new words\n", "old")).toBe("new words")
  })

  it("reads a target as kind:id:field, and only the fields a proposal may change", () => {
    expect(TargetRef.parse("hat:builder:prompt")).toEqual({ kind: "hat", id: "builder", field: "prompt" })
    expect(TargetRef.parse("skill:skill-x:template")).toEqual({ kind: "skill", id: "skill-x", field: "template" })
    expect(TargetRef.safeParse("hat:builder:colour").success).toBe(false)
    expect(TargetRef.safeParse("room:town_hall:topic").success).toBe(false)
  })
})

describe("who may change a proposal", () => {
  const ok = { ok: true }
  it("an operator proposes as itself, waiting, with nothing approved; nobody else proposes", () => {
    expect(authorizeProposalChange(undefined, proposal(), alice, ctx)).toEqual(ok)
    expect(authorizeProposalChange(undefined, proposal({ state: "applied" }), alice, ctx).ok).toBe(false)
    expect(authorizeProposalChange(undefined, proposal(), bob, ctx).ok).toBe(false)
    expect(authorizeProposalChange(undefined, proposal({ proposedBy: { kind: "worker", name: "w1" } }), worker, ctx).ok).toBe(false)
    expect(authorizeProposalChange(undefined, proposal(), principal("alice", "pending"), ctx).ok).toBe(false)
  })

  it("what was proposed never changes; approvals are added by their own operator, once", () => {
    const before = proposal()
    expect(authorizeProposalChange(before, { ...before, after: "other words" }, alice, ctx).ok).toBe(false)
    expect(authorizeProposalChange(before, { ...before, risk: "low" }, alice, ctx).ok).toBe(false)
    expect(authorizeProposalChange(before, { ...before, approvals: [{ by: "alice", at: 2 }] }, alice, ctx)).toEqual(ok)
    expect(authorizeProposalChange(before, { ...before, approvals: [{ by: "bob", at: 2 }] }, alice, ctx).ok).toBe(false)
    const once = proposal({ approvals: [{ by: "alice", at: 2 }] })
    expect(authorizeProposalChange(once, { ...once, approvals: [] }, alice, ctx).ok).toBe(false)
    expect(authorizeProposalChange(once, { ...once, approvals: [...once.approvals, { by: "alice", at: 3 }] }, alice, ctx).ok).toBe(false)
    expect(authorizeProposalChange(before, undefined, alice, ctx).ok).toBe(false)
  })

  it("applies only with enough approvals, naming its applier and checkpoint; rolls back from applied only", () => {
    const one = proposal({ approvals: [{ by: "alice", at: 2 }] })
    const applied = { state: "applied" as const, appliedBy: "bob", appliedAt: 3, checkpoint: { heads: HEADS, at: 3 } }
    expect(authorizeProposalChange(one, { ...one, ...applied, appliedBy: "alice" }, alice, ctx).ok).toBe(false)
    const two = { ...one, approvals: [...one.approvals, { by: "bob", at: 3 }], ...applied }
    expect(authorizeProposalChange(one, two, bob, ctx)).toEqual(ok)
    expect(authorizeProposalChange(one, { ...two, checkpoint: undefined }, bob, ctx).ok).toBe(false)
    const done = proposal({ ...two })
    expect(authorizeProposalChange(done, { ...done, state: "rolled_back", rolledBackBy: "alice", rolledBackAt: 4 }, alice, ctx)).toEqual(ok)
    const rejected = proposal({ state: "rejected", rejectedBy: "alice", rejectedAt: 2 })
    expect(authorizeProposalChange(rejected, { ...rejected, ...applied, approvals: [{ by: "bob", at: 3 }] }, bob, ctx).ok).toBe(false)
  })
})

describe("who may change a loop", () => {
  it("an operator starts one as itself; the relay alone counts iterations and spending", () => {
    expect(authorizeLoopChange(undefined, loop(), alice, lctx)).toEqual({ ok: true })
    expect(authorizeLoopChange(undefined, loop({ iterations: 1 }), alice, lctx).ok).toBe(false)
    expect(authorizeLoopChange(undefined, loop(), worker, lctx).ok).toBe(false)
    expect(authorizeLoopChange(loop(), loop({ iterations: 3 }), alice, lctx).ok).toBe(false)
    expect(authorizeLoopChange(loop(), loop({ spentUsd: 0 + 0.5 }), alice, lctx).ok).toBe(false)
  })

  it("lets one go on from a checkpoint naming itself, stops one with a reason, and nothing else", () => {
    const waiting = loop({ state: "at_checkpoint", iterations: 1 })
    expect(authorizeLoopChange(waiting, { ...waiting, state: "running", resumedBy: "bob", resumedAt: 5 }, bob, lctx)).toEqual({ ok: true })
    expect(authorizeLoopChange(waiting, { ...waiting, state: "running", resumedBy: "alice", resumedAt: 5 }, bob, lctx).ok).toBe(false)
    expect(authorizeLoopChange(loop(), loop({ state: "stopped", stopReason: "enough" }), bob, lctx)).toEqual({ ok: true })
    const done = loop({ state: "done", stopReason: "made its 2 iteration(s)" })
    expect(authorizeLoopChange(done, { ...done, state: "running" }, alice, lctx).ok).toBe(false)
  })
})
