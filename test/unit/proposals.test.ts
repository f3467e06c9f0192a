/**
 * The pure rules of proposals and improvement loops: how many distinct operators approve,
 * what a loop does next, how a loop's answer is read, how a target is written, and who may
 * change a proposal or a loop (each refusal checked for its own reason, not just for `ok`).
 */
import { describe, expect, it } from "vitest"
import { ImprovementLoop, Proposal } from "../../schemas/index.ts"
import type { Principal, PrincipalRole } from "../../src/core/principal.ts"
import type { AuthorityVerdict } from "../../src/core/authority/verdict.ts"
import { authorizeLoopChange, authorizeProposalChange } from "../../src/domain/proposals/authority.ts"
import { TargetRef } from "../../src/domain/proposals/inputs.ts"
import { approvalsNeeded, approvalsSuffice, loopProposalId, loopTaskId, loopTaskText, NO_CHANGE, nextLoopStep, readLoopAnswer, targetLabel } from "../../src/domain/proposals/rules.ts"

// As test/helpers/gateHarness.ts builds one (skills.test.ts uses it), without its Repo machinery.
const principal = (peer: string, role: PrincipalRole): Principal => ({ peer, role, publicKeyHex: "ab".repeat(32) })

const alice = principal("alice", "operator")
const bob = principal("bob", "operator")
const owner = principal("olga", "owner")
const worker = principal("w1", "worker")
const pendingAlice = principal("alice", "pending")

const T0 = 1_700_000_000_000
const HEADS = ["0123456789abcdef".repeat(4)]
const checkpoint = { heads: HEADS, at: T0 + 30 }

const proposal = (over: Partial<Proposal> = {}): Proposal => ({
  id: "prop-1",
  target: { kind: "hat", id: "builder", field: "prompt" },
  before: "Build what the task asks.",
  after: "Build what the task asks, and test it.",
  reason: "builds were untested",
  risk: "medium",
  rollbackPlan: "roll back to the checkpoint taken when it applied",
  proposedBy: { kind: "operator", name: "alice" },
  proposedAt: T0,
  state: "proposed",
  approvals: [],
  ...over,
})

const loop = (over: Partial<ImprovementLoop> = {}): ImprovementLoop => ({
  id: "loop-1",
  target: { kind: "skill", id: "skill-x", field: "template" },
  goal: "make it shorter",
  risk: "medium",
  maxIterations: 3,
  budgetUsd: 0.1,
  iterations: 0,
  spentUsd: 0,
  state: "running",
  createdBy: "alice",
  createdAt: T0,
  ...over,
})

const pctx = { key: "prop-1" }
const lctx = { key: "loop-1" }

/** A refusal whose reason matches `re`: a refusal for some other reason fails the test. */
function expectRefused(v: AuthorityVerdict, re: RegExp): void {
  expect(v.ok).toBe(false)
  if (!v.ok) expect(v.reason).toMatch(re)
}
const ALLOWED = { ok: true }

describe("fixtures", () => {
  it("are records the schemas accept", () => {
    const high = proposal({ risk: "high", approvals: [{ by: "alice", at: T0 + 10 }, { by: "bob", at: T0 + 20 }] })
    const applied = { ...high, state: "applied" as const, appliedBy: "alice", appliedAt: T0 + 30, checkpoint }
    for (const p of [proposal(), high, applied, { ...applied, state: "rolled_back" as const, rolledBackBy: "alice", rolledBackAt: T0 + 40 }]) {
      const r = Proposal.safeParse(p)
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true)
    }
    for (const l of [loop(), loop({ state: "at_checkpoint", iterations: 1, spentUsd: 0.01 }), loop({ state: "stopped", stopReason: "enough" })]) {
      const r = ImprovementLoop.safeParse(l)
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true)
    }
    // the schema does hold checkpoints to 64 lowercase hex characters
    expect(Proposal.safeParse({ ...applied, checkpoint: { heads: ["A".repeat(64)], at: T0 } }).success).toBe(false)
  })
})

describe("approvals", () => {
  it("high risk needs two, low and medium one", () => {
    expect(approvalsNeeded("high")).toBe(2)
    expect(approvalsNeeded("medium")).toBe(1)
    expect(approvalsNeeded("low")).toBe(1)
  })

  it("counts distinct operators, not approvals", () => {
    expect(approvalsSuffice({ risk: "high", approvals: [{ by: "alice", at: T0 }, { by: "alice", at: T0 + 1 }] })).toBe(false)
    expect(approvalsSuffice({ risk: "high", approvals: [{ by: "alice", at: T0 }] })).toBe(false)
    expect(approvalsSuffice({ risk: "high", approvals: [{ by: "alice", at: T0 }, { by: "bob", at: T0 + 1 }] })).toBe(true)
    expect(approvalsSuffice({ risk: "medium", approvals: [] })).toBe(false)
    expect(approvalsSuffice({ risk: "medium", approvals: [{ by: "alice", at: T0 }] })).toBe(true)
    expect(approvalsSuffice({ risk: "low", approvals: [{ by: "bob", at: T0 }] })).toBe(true)
  })
})

describe("names and words", () => {
  it("labels a target and names a loop's proposals and tasks", () => {
    expect(targetLabel({ kind: "hat", id: "builder", field: "prompt" })).toBe("the hat builder's prompt")
    expect(loopProposalId("loop-1", 2)).toBe("loop-1-2")
    expect(loopTaskId("loop-1", 2)).toBe("loop-1-task-2")
  })

  it("asks for the improved text, with the goal, the current words and the way to say no change", () => {
    const { title, prompt } = loopTaskText(loop(), "Do {{thing}} well.", 2)
    expect(title).toBe("Improve the skill skill-x's template (iteration 2 of 3)")
    expect(prompt).toContain("Goal: make it shorter")
    expect(prompt).toContain("\nDo {{thing}} well.\n")
    expect(prompt).toContain(`answer ${NO_CHANGE}`)
  })
})

describe("nextLoopStep", () => {
  it("begins the first iteration of a running loop", () => {
    expect(nextLoopStep(loop(), undefined, false)).toEqual({ kind: "begin", iteration: 1 })
  })

  it("waits while the iteration's task is pending, or not there yet", () => {
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "pending" }, false)).toEqual({ kind: "wait" })
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "running" }, false)).toEqual({ kind: "wait" })
    expect(nextLoopStep(loop({ iterations: 1 }), undefined, false)).toEqual({ kind: "wait" })
  })

  it("turns an approved task into a proposal when none was made yet", () => {
    expect(nextLoopStep(loop({ iterations: 2 }), { status: "approved" }, false)).toEqual({ kind: "propose", iteration: 2 })
  })

  it("stops on a failed or cancelled task, giving the first line of its error", () => {
    const failed = nextLoopStep(loop({ iterations: 1 }), { status: "failed", lastError: "model refused\nstack trace here" }, false)
    expect(failed).toMatchObject({ kind: "finish", state: "stopped" })
    if (failed.kind !== "finish") throw new Error("not finished")
    expect(failed.reason).toContain("model refused")
    expect(failed.reason).not.toContain("stack trace")
    expect(failed.reason).toContain("iteration 1")
    expect(nextLoopStep(loop({ iterations: 1 }), { status: "cancelled" }, false)).toEqual({ kind: "finish", state: "stopped", reason: "iteration 1's task cancelled" })
  })

  it("begins the next iteration once this one's proposal is made, within both budgets", () => {
    expect(nextLoopStep(loop({ iterations: 1, spentUsd: 0.05 }), { status: "approved" }, true)).toEqual({ kind: "begin", iteration: 2 })
  })

  it("is done after its last iteration's proposal", () => {
    expect(nextLoopStep(loop({ iterations: 3, maxIterations: 3 }), { status: "approved" }, true)).toEqual({ kind: "finish", state: "done", reason: "made its 3 iteration(s)" })
    expect(nextLoopStep(loop({ iterations: 1, maxIterations: 1 }), undefined, true)).toEqual({ kind: "finish", state: "done", reason: "made its 1 iteration(s)" })
  })

  it("is done once it has spent its budget", () => {
    for (const spentUsd of [0.1, 0.25]) {
      const step = nextLoopStep(loop({ iterations: 1, budgetUsd: 0.1, spentUsd }), { status: "approved" }, true)
      expect(step).toMatchObject({ kind: "finish", state: "done" })
      if (step.kind !== "finish") throw new Error("not finished")
      expect(step.reason).toMatch(/budget/)
      expect(step.reason).toContain("$0.1")
    }
  })

  it("does nothing for a loop that is not running", () => {
    for (const state of ["at_checkpoint", "done", "stopped"] as const) {
      expect(nextLoopStep(loop({ state, iterations: 0 }), undefined, false)).toEqual({ kind: "wait" })
      expect(nextLoopStep(loop({ state, iterations: 1 }), { status: "approved" }, false)).toEqual({ kind: "wait" })
      expect(nextLoopStep(loop({ state, iterations: 1 }), { status: "failed", lastError: "x" }, false)).toEqual({ kind: "wait" })
    }
  })
})

describe("readLoopAnswer", () => {
  const current = "Do the thing well."

  it("reads NO CHANGE, in any case and with any whitespace around it, as no proposal", () => {
    expect(readLoopAnswer(NO_CHANGE, current)).toBeUndefined()
    expect(readLoopAnswer("  no change \n", current)).toBeUndefined()
    expect(readLoopAnswer("\nNo Change\t", current)).toBeUndefined()
    expect(readLoopAnswer("```text\nNO CHANGE\n```", current)).toBeUndefined()
  })

  it("reads the current words back as no proposal", () => {
    expect(readLoopAnswer(current, current)).toBeUndefined()
    expect(readLoopAnswer(`  ${current}\n`, `${current}\n`)).toBeUndefined()
    expect(readLoopAnswer("", current)).toBeUndefined()
  })

  it("unwraps a fenced block", () => {
    expect(readLoopAnswer("```text\nDo it well.\nThen check.\n```", current)).toBe("Do it well.\nThen check.")
    expect(readLoopAnswer("\n```\nDo it well.\n```\n", current)).toBe("Do it well.")
  })

  it("otherwise answers the trimmed text", () => {
    expect(readLoopAnswer("   Do it well.  \n", current)).toBe("Do it well.")
    expect(readLoopAnswer("x".repeat(5_000), current)).toHaveLength(4_000)
  })
})

describe("TargetRef", () => {
  it("reads kind:id:field for hats, skills, residents, rooms and runtime controls", () => {
    expect(TargetRef.parse("hat:builder:prompt")).toEqual({ kind: "hat", id: "builder", field: "prompt" })
    expect(TargetRef.parse("hat:builder:description")).toEqual({ kind: "hat", id: "builder", field: "description" })
    expect(TargetRef.parse("skill:skill-x:template")).toEqual({ kind: "skill", id: "skill-x", field: "template" })
    expect(TargetRef.parse("resident:ada:workingStyle")).toEqual({ kind: "resident", id: "ada", field: "workingStyle" })
    expect(TargetRef.parse("room:town_hall:topic")).toEqual({ kind: "room", id: "town_hall", field: "topic" })
    expect(TargetRef.parse("config:controls:spendCapUsd")).toEqual({ kind: "config", id: "controls", field: "spendCapUsd" })
  })

  it("refuses fields and kinds a proposal may not change", () => {
    expect(TargetRef.safeParse("hat:builder:colour").success).toBe(false)
    expect(TargetRef.safeParse("skill:skill-x:prompt").success).toBe(false)
    expect(TargetRef.safeParse("room:x:title").success).toBe(false)
    expect(TargetRef.safeParse("config:controls:killSwitch").success).toBe(false)
    expect(TargetRef.safeParse("config:other:spendCapUsd").success).toBe(false)
    expect(TargetRef.safeParse("resident:ada:name").success).toBe(false)
    expect(TargetRef.safeParse("hat:builder").success).toBe(false)
  })
})

describe("authorizeProposalChange", () => {
  it("lets an operator propose as itself, waiting, with no approvals", () => {
    expect(authorizeProposalChange(undefined, proposal(), alice, pctx)).toEqual(ALLOWED)
    expect(authorizeProposalChange(undefined, proposal({ proposedBy: { kind: "operator", name: "olga" } }), owner, pctx)).toEqual(ALLOWED)
  })

  it("judges a new proposal that arrives approved or applied as the waiting proposal it began as, then that change", () => {
    // Proposed and approved offline: the relay first sees both at once.
    expect(authorizeProposalChange(undefined, proposal({ approvals: [{ by: "alice", at: T0 }] }), alice, pctx)).toEqual(ALLOWED)
    expect(authorizeProposalChange(undefined, proposal({ state: "applied", approvals: [{ by: "alice", at: T0 }], appliedBy: "alice", appliedAt: T0, checkpoint }), alice, pctx)).toEqual(ALLOWED)
    // …but not with approvals it does not have, nor another's approval.
    expectRefused(authorizeProposalChange(undefined, proposal({ state: "applied", appliedBy: "alice", appliedAt: T0, checkpoint }), alice, pctx), /medium risk: it applies with an operator's approval/)
    expectRefused(authorizeProposalChange(undefined, proposal({ risk: "high", state: "applied", approvals: [{ by: "alice", at: T0 }], appliedBy: "alice", appliedAt: T0, checkpoint }), alice, pctx), /high risk: it applies with two operators'/)
    expectRefused(authorizeProposalChange(undefined, proposal({ approvals: [{ by: "bob", at: T0 }] }), alice, pctx), /alice approves as itself only/)
    // Proposed, applied and rolled back in one burst: each step judged.
    expect(authorizeProposalChange(undefined, proposal({ state: "rolled_back", approvals: [{ by: "alice", at: T0 }], appliedBy: "alice", appliedAt: T0, checkpoint, rolledBackBy: "alice", rolledBackAt: T0 }), alice, pctx)).toEqual(ALLOWED)
    expectRefused(authorizeProposalChange(undefined, proposal({ state: "rolled_back", rolledBackBy: "alice", rolledBackAt: T0 }), alice, pctx), /medium risk: it applies with an operator's approval/)
    expectRefused(authorizeProposalChange(undefined, proposal({ state: "rolled_back", approvals: [{ by: "alice", at: T0 }], appliedBy: "alice", appliedAt: T0, checkpoint, rolledBackBy: "bob", rolledBackAt: T0 }), alice, pctx), /a rollback names who rolled it back \(alice\)/)
    expectRefused(authorizeProposalChange(undefined, proposal({ loop: { id: "loop-1", iteration: 1 } }), alice, pctx), /the relay makes a loop's proposals/)
  })

  it("refuses a proposal written in another's name, or under another key", () => {
    expectRefused(authorizeProposalChange(undefined, proposal(), bob, pctx), /says alice proposed it, but bob wrote it/)
    expectRefused(authorizeProposalChange(undefined, proposal({ proposedBy: { kind: "worker", name: "alice" } }), alice, pctx), /says alice proposed it/)
    expectRefused(authorizeProposalChange(undefined, proposal(), alice, { key: "prop-2" }), /key must be its id/)
  })

  it("refuses workers and pending peers whatever they write", () => {
    expectRefused(authorizeProposalChange(undefined, proposal({ proposedBy: { kind: "worker", name: "w1" } }), worker, pctx), /w1 is a worker/)
    expectRefused(authorizeProposalChange(proposal(), { ...proposal(), approvals: [{ by: "w1", at: T0 }] }, worker, pctx), /w1 is a worker/)
    expectRefused(authorizeProposalChange(undefined, proposal(), pendingAlice, pctx), /not approved yet/)
  })

  it("never changes what was proposed", () => {
    const before = proposal()
    expectRefused(authorizeProposalChange(before, { ...before, after: "Something else entirely." }, alice, pctx), /after is what was proposed/)
    expectRefused(authorizeProposalChange(before, { ...before, risk: "low" }, alice, pctx), /risk is what was proposed/)
    expectRefused(authorizeProposalChange(before, { ...before, target: { kind: "hat", id: "builder", field: "description" } }, alice, pctx), /target is what was proposed/)
  })

  it("lets an operator add its own approval, once, and no one else's", () => {
    const before = proposal()
    expect(authorizeProposalChange(before, { ...before, approvals: [{ by: "alice", at: T0 + 10 }] }, alice, pctx)).toEqual(ALLOWED)
    expect(authorizeProposalChange(before, { ...before, approvals: [{ by: "bob", at: T0 + 10 }] }, bob, pctx)).toEqual(ALLOWED)
    expectRefused(authorizeProposalChange(before, { ...before, approvals: [{ by: "bob", at: T0 + 10 }] }, alice, pctx), /alice approves as itself only/)
    const once = proposal({ approvals: [{ by: "alice", at: T0 + 10 }] })
    expectRefused(authorizeProposalChange(once, { ...once, approvals: [...once.approvals, { by: "alice", at: T0 + 11 }] }, alice, pctx), /one operator approves once/)
    expect(authorizeProposalChange(once, { ...once, approvals: [...once.approvals, { by: "bob", at: T0 + 20 }] }, bob, pctx)).toEqual(ALLOWED)
  })

  it("never removes or rewrites an approval", () => {
    const once = proposal({ approvals: [{ by: "alice", at: T0 + 10 }] })
    expectRefused(authorizeProposalChange(once, { ...once, approvals: [] }, alice, pctx), /approvals are only ever added/)
    expectRefused(authorizeProposalChange(once, { ...once, approvals: [{ by: "alice", at: T0 + 99 }] }, alice, pctx), /approvals are only ever added/)
  })

  it("refuses approvals once the proposal no longer waits", () => {
    const rejected = proposal({ state: "rejected", rejectedBy: "alice", rejectedAt: T0 + 10 })
    expectRefused(authorizeProposalChange(rejected, { ...rejected, approvals: [{ by: "bob", at: T0 + 20 }] }, bob, pctx), /approvals are given while it waits/)
  })

  describe("applying", () => {
    const applying = (p: Proposal, by: string): Proposal => ({ ...p, state: "applied", appliedBy: by, appliedAt: T0 + 30, checkpoint })

    it("refuses a high-risk proposal with one operator's approval", () => {
      const one = proposal({ risk: "high", approvals: [{ by: "alice", at: T0 + 10 }] })
      expectRefused(authorizeProposalChange(one, applying(one, "alice"), alice, pctx), /high risk: it applies with two operators' approval/)
      expectRefused(authorizeProposalChange(one, applying(one, "bob"), bob, pctx), /high risk/)
    })

    it("refuses a high-risk proposal approved twice by the same operator", () => {
      const twice = proposal({ risk: "high", approvals: [{ by: "alice", at: T0 + 10 }, { by: "alice", at: T0 + 11 }] })
      expectRefused(authorizeProposalChange(twice, applying(twice, "alice"), alice, pctx), /high risk/)
    })

    it("applies a high-risk proposal two distinct operators approved, naming its applier, the time and the checkpoint", () => {
      const two = proposal({ risk: "high", approvals: [{ by: "alice", at: T0 + 10 }, { by: "bob", at: T0 + 20 }] })
      expect(authorizeProposalChange(two, applying(two, "alice"), alice, pctx)).toEqual(ALLOWED)
      expectRefused(authorizeProposalChange(two, applying(two, "bob"), alice, pctx), /names its applier \(alice\)/)
      expectRefused(authorizeProposalChange(two, { ...applying(two, "alice"), appliedAt: undefined }, alice, pctx), /names its applier/)
      expectRefused(authorizeProposalChange(two, { ...applying(two, "alice"), checkpoint: undefined }, alice, pctx), /names its applier/)
    })

    it("applies a medium-risk proposal with one approval, which may be given in the same write", () => {
      const none = proposal()
      expect(authorizeProposalChange(none, { ...applying(none, "bob"), approvals: [{ by: "bob", at: T0 + 20 }] }, bob, pctx)).toEqual(ALLOWED)
      expectRefused(authorizeProposalChange(none, applying(none, "bob"), bob, pctx), /medium risk: it applies with an operator's approval/)
    })
  })

  it("rolls back an applied proposal naming who did it", () => {
    const applied = proposal({ risk: "high", approvals: [{ by: "alice", at: T0 + 10 }, { by: "bob", at: T0 + 20 }], state: "applied", appliedBy: "alice", appliedAt: T0 + 30, checkpoint })
    expect(authorizeProposalChange(applied, { ...applied, state: "rolled_back", rolledBackBy: "bob", rolledBackAt: T0 + 40 }, bob, pctx)).toEqual(ALLOWED)
    expectRefused(authorizeProposalChange(applied, { ...applied, state: "rolled_back", rolledBackBy: "alice", rolledBackAt: T0 + 40 }, bob, pctx), /a rollback names who rolled it back \(bob\)/)
    expectRefused(authorizeProposalChange(applied, { ...applied, state: "rolled_back", rolledBackBy: "bob" }, bob, pctx), /a rollback names/)
  })

  it("rejects a waiting proposal naming the rejecter", () => {
    const waiting = proposal()
    expect(authorizeProposalChange(waiting, { ...waiting, state: "rejected", rejectedBy: "bob", rejectedAt: T0 + 10 }, bob, pctx)).toEqual(ALLOWED)
    expectRefused(authorizeProposalChange(waiting, { ...waiting, state: "rejected", rejectedBy: "alice", rejectedAt: T0 + 10 }, bob, pctx), /a rejection names its rejecter \(bob\)/)
  })

  it("refuses other moves and changes that come without a move", () => {
    const rejected = proposal({ state: "rejected", rejectedBy: "alice", rejectedAt: T0 + 10, approvals: [{ by: "bob", at: T0 + 5 }] })
    expectRefused(authorizeProposalChange(rejected, { ...rejected, state: "applied", appliedBy: "bob", appliedAt: T0 + 30, checkpoint }, bob, pctx), /cannot go from rejected to applied/)
    const rolledBack = proposal({ approvals: [{ by: "alice", at: T0 + 10 }], state: "rolled_back", appliedBy: "alice", appliedAt: T0 + 30, checkpoint, rolledBackBy: "alice", rolledBackAt: T0 + 40 })
    expectRefused(authorizeProposalChange(rolledBack, { ...rolledBack, state: "applied" }, alice, pctx), /cannot go from rolled_back to applied/)
    const waiting = proposal()
    expectRefused(authorizeProposalChange(waiting, { ...waiting, appliedBy: "alice" }, alice, pctx), /appliedBy change only with its state/)
  })

  it("refuses deleting a proposal", () => {
    expectRefused(authorizeProposalChange(proposal(), undefined, alice, pctx), /cannot be deleted/)
  })
})

describe("authorizeLoopChange", () => {
  it("lets an operator start a loop as itself, running with nothing done or spent", () => {
    expect(authorizeLoopChange(undefined, loop(), alice, lctx)).toEqual(ALLOWED)
  })

  it("refuses a new loop that has begun, spent, or names another starter", () => {
    expectRefused(authorizeLoopChange(undefined, loop({ iterations: 1 }), alice, lctx), /new loop is running, with no iterations or spending/)
    expectRefused(authorizeLoopChange(undefined, loop({ spentUsd: 0.01 }), alice, lctx), /new loop is running/)
    expectRefused(authorizeLoopChange(undefined, loop({ state: "at_checkpoint" }), alice, lctx), /new loop is running/)
    expectRefused(authorizeLoopChange(undefined, loop(), bob, lctx), /says alice started it, but bob wrote it/)
    expectRefused(authorizeLoopChange(undefined, loop(), alice, { key: "loop-2" }), /key must be its id/)
  })

  it("refuses workers and pending peers", () => {
    expectRefused(authorizeLoopChange(undefined, loop({ createdBy: "w1" }), worker, lctx), /w1 is a worker/)
    expectRefused(authorizeLoopChange(undefined, loop(), pendingAlice, lctx), /not approved yet/)
  })

  it("leaves iterations and spending to the relay, and the loop's terms fixed", () => {
    const running = loop({ iterations: 1, spentUsd: 0.01 })
    expectRefused(authorizeLoopChange(running, { ...running, iterations: 2 }, alice, lctx), /do not change iterations \(the relay counts it\)/)
    expectRefused(authorizeLoopChange(running, { ...running, spentUsd: 0.02 }, alice, lctx), /do not change spentUsd \(the relay counts it\)/)
    expectRefused(authorizeLoopChange(running, { ...running, maxIterations: 10 }, alice, lctx), /do not change maxIterations \(start a new loop instead\)/)
  })

  it("lets an operator let a loop go on from a checkpoint, naming itself and the time", () => {
    const waiting = loop({ state: "at_checkpoint", iterations: 1, spentUsd: 0.01 })
    expect(authorizeLoopChange(waiting, { ...waiting, state: "running", resumedBy: "bob", resumedAt: T0 + 50 }, bob, lctx)).toEqual(ALLOWED)
    expectRefused(authorizeLoopChange(waiting, { ...waiting, state: "running", resumedBy: "alice", resumedAt: T0 + 50 }, bob, lctx), /going on names who let it \(bob\)/)
    expectRefused(authorizeLoopChange(waiting, { ...waiting, state: "running", resumedBy: "bob" }, bob, lctx), /going on names/)
  })

  it("stops a running or waiting loop with a reason", () => {
    const running = loop({ iterations: 1 })
    expect(authorizeLoopChange(running, { ...running, state: "stopped", stopReason: "good enough" }, bob, lctx)).toEqual(ALLOWED)
    const waiting = loop({ state: "at_checkpoint", iterations: 1 })
    expect(authorizeLoopChange(waiting, { ...waiting, state: "stopped", stopReason: "good enough" }, alice, lctx)).toEqual(ALLOWED)
    expectRefused(authorizeLoopChange(running, { ...running, state: "stopped" }, bob, lctx), /a stop says why/)
  })

  it("refuses any other move, and deleting", () => {
    const done = loop({ state: "done", iterations: 3, stopReason: "made its 3 iteration(s)" })
    expectRefused(authorizeLoopChange(done, { ...done, state: "running" }, alice, lctx), /not done → running/)
    expectRefused(authorizeLoopChange(done, { ...done, state: "running", resumedBy: "alice", resumedAt: T0 + 50 }, alice, lctx), /not done → running/)
    const stopped = loop({ state: "stopped", iterations: 1, stopReason: "enough" })
    expectRefused(authorizeLoopChange(stopped, { ...stopped, state: "running", resumedBy: "alice", resumedAt: T0 + 50 }, alice, lctx), /not stopped → running/)
    const running = loop()
    expectRefused(authorizeLoopChange(running, { ...running, state: "at_checkpoint" }, alice, lctx), /not running → at_checkpoint/)
    expectRefused(authorizeLoopChange(running, undefined, alice, lctx), /cannot be deleted/)
  })
})
