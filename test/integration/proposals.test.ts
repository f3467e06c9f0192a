/**
 * Proposals and improvement loops end to end over real WebSockets, with a real worker calling
 * the fake Groq server through the real groq-sdk: a loop's resident proposes a better hat
 * prompt, the loop waits at the checkpoint, a high-risk proposal applies only with two
 * operators, a rollback returns to the checkpoint, and the loop goes on only when let; the
 * relay's gate refuses a forged application; the CLI does the same with --json.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { ImprovementLoop, Proposal, ProposalsDoc, SkillsDoc } from "../../schemas/index.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"
import { DEFAULT_HATS } from "../../src/domain/hats/defaultHats.ts"
import { approveProposal, continueLoop, loopTaskId, proposalsOf, rejectProposal, rollbackProposal, startLoop, targetValue } from "../../src/domain/proposals/index.ts"
import { openSkills } from "../../src/domain/skills/index.ts"
import { decideTask } from "../../src/domain/tasks/index.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { runMain } from "../helpers/cli.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { relayWithWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const BUILDER = DEFAULT_HATS.find(h => h.id === "builder")!.prompt
const better = (n: number) => `Build in small steps and test each one before the next (version ${n}).`

async function docs(relay: TestRelay) {
  const proposals = await relay.repo.find<ProposalsDoc>(relay.workspace.root.docs.proposals as AutomergeUrl)
  const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
  return { proposals, skills, prompt: () => targetValue(skills.doc(), { kind: "hat", id: "builder", field: "prompt" }) }
}

/** Runs iteration `n`'s task to approved (deciding it if the critic asks a human) and waits for the loop's checkpoint. */
async function iterate(relay: TestRelay, ctx: OperatorContext, loop: ImprovementLoop, n: number): Promise<Proposal> {
  const id = loopTaskId(loop.id, n)
  const { proposals } = await docs(relay)
  const status = () => relay.workspace.tasks.get(id)?.status
  await waitFor(() => status() === "pending_review" || status() === "approved", { timeoutMs: 30_000, events: [[relay.workspace.tasks, "change"]], message: `iteration ${n}'s task to finish` })
  if (status() === "pending_review") {
    await waitFor(() => ctx.workspace.tasks.get(id)?.status === "pending_review", { events: [[ctx.workspace.tasks, "change"]] })
    await decideTask(ctx, id, "approve")
  }
  await waitFor(() => proposals.doc().loops[loop.id]?.state === "at_checkpoint" && proposals.doc().loops[loop.id]?.iterations === n, {
    timeoutMs: 15_000,
    events: [[proposals, "change"]],
    message: `loop at iteration ${n}'s checkpoint`,
  })
  return waitFor(async () => (await proposalsOf(ctx.workspace)).proposals.get(`${loop.id}-${n}`) ?? false, { events: [[ctx.workspace.tasks, "change"]], timeoutMs: 10_000, message: "the proposal at the operator" })
}

describe("proposals and improvement loops", () => {
  it("a loop proposes, waits at its checkpoint, applies with two operators, rolls back, and goes on only when let", async () => {
    let asked = 0
    const fake = await startFakeGroq({ kind: "answer", text: prompt => (prompt.startsWith("Improve the hat builder's prompt") ? better(++asked) : "APPROVE: fine.") })
    teardown.add(() => fake.close())
    const { relay, ctx } = await relayWithWorker(teardown, fake)
    const second = await peerOperator(await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "grace") }))
    const { proposals, prompt } = await docs(relay)

    const loop = await startLoop(ctx, { target: { kind: "hat", id: "builder", field: "prompt" }, goal: "make it shorter and ask for tests", risk: "high", maxIterations: 2, budgetUsd: 1 })
    const first = await iterate(relay, ctx, loop, 1)
    expect(first).toMatchObject({ state: "proposed", before: BUILDER, after: better(1), risk: "high", loop: { id: loop.id, iteration: 1 }, taskId: loopTaskId(loop.id, 1) })
    expect(fake.counts.get([...fake.counts.keys()].find(k => k.startsWith("Improve"))!)).toBe(1)
    // The loop does not go on past an undecided proposal.
    await expect(continueLoop(ctx, loop.id, (await proposalsOf(ctx.workspace)).proposals)).rejects.toMatchObject({ code: "loop_checkpoint_open" })

    // High risk: one operator's approval is not enough, and one operator approves once.
    expect(await approveProposal(ctx, first.id)).toMatchObject({ state: "proposed", approvals: [{ by: ctx.actor.name }] })
    await expect(approveProposal(ctx, first.id)).rejects.toMatchObject({ code: "proposal_approved_twice" })
    expect(prompt()).toBe(BUILDER)
    await waitFor(() => proposals.doc().proposals[first.id]?.approvals.length === 1, { events: [[proposals, "change"]] })
    await waitFor(async () => (await proposalsOf(second.workspace)).proposals.get(first.id)?.approvals.length === 1, { events: [[second.workspace.tasks, "change"]], timeoutMs: 10_000 })
    const applied = await approveProposal(second, first.id)
    expect(applied).toMatchObject({ state: "applied", appliedBy: "grace" })
    expect(applied.checkpoint!.heads.length).toBeGreaterThan(0)
    await waitFor(() => prompt() === better(1) && proposals.doc().proposals[first.id]?.state === "applied", { timeoutMs: 10_000, events: [[proposals, "change"]], message: "the applied hat at the relay" })

    // Rolled back to the checkpoint, as a new change; the rollback is audited.
    const mySkills = await openSkills(ctx.workspace)
    await waitFor(async () => (await proposalsOf(ctx.workspace)).proposals.get(first.id)?.state === "applied" && targetValue(mySkills.doc(), first.target) === better(1), { events: [[mySkills, "change"]], timeoutMs: 10_000 })
    expect(await rollbackProposal(ctx, first.id)).toMatchObject({ state: "rolled_back", rolledBackBy: ctx.actor.name })
    await waitFor(() => prompt() === BUILDER, { timeoutMs: 10_000, message: "the hat back at the relay" })
    await expect(rollbackProposal(ctx, first.id)).rejects.toMatchObject({ code: "proposal_not_applied" })

    // Let go on: iteration 2 proposes again; rejected, and the loop ends at its iteration budget.
    await continueLoop(ctx, loop.id, (await proposalsOf(ctx.workspace)).proposals)
    const next = await iterate(relay, ctx, loop, 2)
    expect(next.after).toBe(better(2))
    await rejectProposal(ctx, next.id, { reason: "too terse" })
    await continueLoop(ctx, loop.id, (await proposalsOf(ctx.workspace)).proposals)
    await waitFor(() => proposals.doc().loops[loop.id]?.state === "done", { timeoutMs: 10_000, events: [[proposals, "change"]], message: "the loop to end" })
    expect(proposals.doc().loops[loop.id]?.stopReason).toBe("made its 2 iteration(s)")
    expect(prompt()).toBe(BUILDER)

    const mine = auditEntries(ctx.audit.handle.doc()).filter(e => e.kind === "proposal" || e.kind === "loop")
    expect(mine.map(e => [e.kind, (JSON.parse(e.data) as { action: string }).action])).toEqual([
      ["loop", "started"],
      ["proposal", "approved"],
      ["proposal", "rolled_back"],
      ["loop", "resumed"],
      ["proposal", "rejected"],
      ["loop", "resumed"],
    ])
    expect(auditEntries(second.audit.handle.doc()).filter(e => e.kind === "proposal").map(e => (JSON.parse(e.data) as { action: string }).action)).toEqual(["applied"])
  }, 90_000)

  it("the relay refuses a high-risk proposal applied by one operator, and a worker's proposal", async () => {
    const relay = await startTestRelay(teardown)
    const op = await connectTestPeer(teardown, relay)
    const worker = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker", "w-forger") })
    const { proposals } = await docs(relay)
    const forged = (id: string, by: string): Proposal => ({
      id,
      target: { kind: "hat", id: "builder", field: "prompt" },
      before: BUILDER,
      after: "Ship it without tests.",
      reason: "faster",
      risk: "high",
      rollbackPlan: "none",
      proposedBy: { kind: "operator", name: by },
      proposedAt: Date.now(),
      state: "applied",
      approvals: [{ by, at: Date.now() }],
      appliedBy: by,
      appliedAt: Date.now(),
      checkpoint: { heads: ["a".repeat(64)], at: Date.now() },
    })
    const write = async (peer: typeof op, p: Proposal) => {
      const handle = await peer.repo.find<ProposalsDoc>(peer.workspace.root.docs.proposals as AutomergeUrl)
      handle.change(d => {
        d.proposals[p.id] = p
      })
    }
    await write(op, forged("prop-forged-one", op.identity.name))
    await write(worker, { ...forged("prop-forged-worker", "w-forger"), state: "proposed", approvals: [] })
    for (const [who, reason] of [
      [op.identity.name, "high risk: it applies with two operators' approval"],
      ["w-forger", "only operators propose"],
    ] as const)
      await waitFor(() => relay.logs.some(l => l.startsWith(`refused a change from ${who}`) && l.includes(reason)), { intervalMs: 50, timeoutMs: 10_000, message: `the relay to refuse: ${reason}` })
    expect(Object.keys(proposals.doc().proposals)).toEqual([])
  }, 30_000)

  it("the CLI proposes, shows, approves, rolls back and runs loops, with --json, and says what is wrong", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const { prompt } = await docs(relay)

    const created = await cli("proposal", "create", "--target", "hat:builder:prompt", "--text", "Small steps, each tested.", "--reason", "fewer broken builds", "--risk", "low", "--json")
    expect(created.value, created.stderr).toBe(0)
    const p = JSON.parse(created.stdout) as Proposal
    expect(p).toMatchObject({ state: "proposed", before: BUILDER, after: "Small steps, each tested.", risk: "low" })
    const listed = await cli("proposal", "list")
    expect(listed.stdout).toMatch(new RegExp(`${p.id}\\s+proposed\\s+low\\s+0/1\\s+hat:builder:prompt`))
    const shown = await cli("proposal", "show", p.id)
    expect(shown.stdout).toContain("+ Small steps, each tested.")
    expect(shown.stdout).toContain(`decide:   vivarium proposal approve ${p.id}`)

    const approved = await cli("proposal", "approve", p.id)
    expect(approved.value, approved.stderr).toBe(0)
    expect(approved.stdout).toContain("applied")
    await waitFor(() => prompt() === "Small steps, each tested.", { timeoutMs: 10_000, message: "the applied hat at the relay" })
    const back = await cli("proposal", "rollback", p.id, "--json")
    expect(back.value, back.stderr).toBe(0)
    expect((JSON.parse(back.stdout) as Proposal).state).toBe("rolled_back")
    await waitFor(() => prompt() === BUILDER, { timeoutMs: 10_000, message: "the hat back at the relay" })
    const again = await cli("proposal", "approve", p.id)
    expect(again.value).toBe(2)
    expect(again.stderr).toContain(`Proposal ${p.id} is rolled back already.`)
    const bad = await cli("proposal", "create", "--target", "hat:builder:colour", "--text", "x", "--reason", "why not")
    expect(bad.value).not.toBe(0)
    expect(bad.stderr).toMatch(/target/)
    const unknown = await cli("proposal", "create", "--target", "skill:skill-nope:template", "--text", "x", "--reason", "why not")
    expect(unknown.stderr).toContain("There is no skill skill-nope.")

    const started = await cli("loop", "start", "--target", "hat:builder:description", "--goal", "say it plainer", "--iterations", "2", "--json")
    expect(started.value, started.stderr).toBe(0)
    const loop = JSON.parse(started.stdout) as ImprovementLoop
    expect(loop).toMatchObject({ state: "running", maxIterations: 2, budgetUsd: 0.1 })
    const stopped = await cli("loop", "stop", loop.id, "--reason", "not now")
    expect(stopped.stdout).toContain(`loop ${loop.id} stopped: not now`)
    const loops = await cli("loop", "list")
    expect(loops.stdout).toMatch(new RegExp(`${loop.id}\\s+stopped`))
    const resumed = await cli("loop", "continue", loop.id)
    expect(resumed.stderr).toContain(`Loop ${loop.id} is stopped, not waiting at a checkpoint.`)
  }, 60_000)
})
