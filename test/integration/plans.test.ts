/**
 * Plans end to end over real WebSockets: a compound request planned as a task, approved by
 * an operator, its subtasks run by a worker (the real groq-sdk against the fake Groq server)
 * in dependency order with the hat each facet picks, the parent assembled and reviewed once;
 * cancelling the parent stops what has not run; a plan approved offline while another
 * operator edits it queues each step once.
 */
import { describe, expect, it } from "vitest"
import type { Task } from "../../schemas/index.ts"
import { approvePlan, editPlan, planTask, rejectPlan, subtaskIdOf } from "../../src/domain/plans/index.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { openOwnAuditLog } from "../../src/domain/peers/registerPeer.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { runMain } from "../helpers/cli.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, until, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { relayWithWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const REQUEST = "Research the caching options, then implement the cache layer, then document how to tune it."

async function operatorPeer(relay: TestRelay, name: string): Promise<[NodePeer, OperatorContext]> {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  const audit = await openOwnAuditLog(peer.repo, peer.workspace.root, peer.identity)
  return [peer, { workspace: peer.workspace, audit, actor: { kind: "operator", name } }]
}

const seen = (peer: { workspace: NodePeer["workspace"] }, id: string, check: (t: Task) => boolean, what: string) =>
  waitFor(() => {
    const t = peer.workspace.tasks.get(id)
    return !!t && check(t)
  }, { events: [[peer.workspace.tasks, "change"]], timeoutMs: 15_000, message: what })

describe("plans", () => {
  it("a compound request becomes a plan; nothing runs until it is approved; the subtasks run in order with their hats; the parent is assembled and reviewed once", async () => {
    const fake = await startFakeGroq()
    teardown.add(() => fake.close())
    const order: string[] = []
    fake.onRequest = prompt => order.push(prompt)
    const { relay, op, ctx } = await relayWithWorker(teardown, fake, { concurrency: 4 })

    await expect(planTask(ctx, { request: "Summarize the build log" })).rejects.toMatchObject({ code: "plan_not_compound" })
    const parent = await planTask(ctx, { request: REQUEST, maxBudgetUsd: 0.3 })
    expect(parent.plan).toMatchObject({ state: "proposed", source: "splitter" })
    expect(parent.plan!.steps.map(s => s.facet)).toEqual(["strategy", "build", "document"])
    await seen(relay, parent.id, t => !!t.plan, "the relay to hold the plan")

    // Proposed: the relay leases nothing of it, though the worker is free and runs a later task.
    const later = op.workspace.addTask({ command: "echo later" }, ctx.actor)
    await until(relay, later.id, "pending_review", 15_000)
    expect(relay.workspace.tasks.get(parent.id)).toMatchObject({ status: "queued" })
    expect(relay.workspace.tasks.get(parent.id)!.lease).toBeUndefined()
    expect(order).toEqual([])

    // The operator drops nothing but edits a step's title, then approves.
    const steps = parent.plan!.steps.map(s => ({ key: s.key, title: s.title, prompt: s.prompt, facet: s.facet, dependsOn: s.dependsOn, budgetUsd: s.budgetUsd }))
    steps[2]!.title = "Write the tuning guide"
    await editPlan(ctx, parent.id, steps)
    const subtasks = await approvePlan(ctx, parent.id)
    expect(subtasks.map(s => s.id)).toEqual(["s1", "s2", "s3"].map(k => subtaskIdOf(parent.id, k)))
    expect(subtasks[2]!.title).toBe("Write the tuning guide")
    await expect(approvePlan(ctx, parent.id)).rejects.toMatchObject({ code: "plan_decided" })

    const done = await until(relay, parent.id, "pending_review", 30_000)
    // In dependency order: each step's prompt reached the model after the one it waits for.
    expect(order).toEqual(subtasks.map(s => s.prompt))
    const ran = subtasks.map(s => relay.workspace.tasks.get(s.id)!)
    expect(ran.map(t => t.status)).toEqual(["approved", "approved", "approved"])
    expect(ran.map(t => t.result?.hat)).toEqual(["strategist", "builder", "documenter"])
    expect(fake.systems.get(subtasks[1]!.prompt!)).toContain("HATTERY RULES")
    expect(fake.systems.get(subtasks[1]!.prompt!)).toContain("Builder")
    expect(ran[1]!.result?.context).toContain("Wear the Builder hat.")
    // One review: the parent's result is theirs, put together; it waits for a human.
    expect(done.result?.model).toBe("plan")
    expect(done.result?.costUsd).toBe(0)
    for (const t of ran) expect(done.result?.output).toContain(t.result!.output.trim())
    expect(done.result?.output).toContain("## 3. Write the tuning guide")
    expect(done.review?.needsHuman).toBe(true)
    await seen(op, parent.id, t => t.status === "pending_review", "the operator to see the review")
    await decideTask(ctx, parent.id, "approve")
    await until(relay, parent.id, "approved")
    expect(fake.counts.get(REQUEST)).toBeUndefined()

    const plans = auditEntries(ctx.audit.handle.doc()).filter(e => e.kind === "plan")
    expect(plans.map(e => (JSON.parse(e.data) as { action: string }).action)).toEqual(["proposed", "edited", "approved"])
  }, 60_000)

  it("cancelling the parent cancels the subtasks that have not run; a running one finishes; a rejected plan runs nothing", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const { relay, op, ctx } = await relayWithWorker(teardown, fake)

    const rejected = await planTask(ctx, { request: REQUEST, maxBudgetUsd: 0.3 })
    await rejectPlan(ctx, rejected.id, "not now")
    expect(op.workspace.tasks.get(rejected.id)).toMatchObject({ status: "cancelled", plan: { state: "rejected", decidedBy: ctx.actor.name } })
    await expect(approvePlan(ctx, rejected.id)).rejects.toMatchObject({ code: "plan_decided" })
    await until(relay, rejected.id, "cancelled")

    const parent = await planTask(ctx, { request: REQUEST, maxBudgetUsd: 0.3 })
    const [first, second, third] = await approvePlan(ctx, parent.id)
    await until(relay, first!.id, "running", 15_000)
    await seen(op, first!.id, t => t.status === "running", "the operator to see the first step running")
    await decideTask(ctx, parent.id, "cancel")
    for (const t of [second!, third!]) await until(relay, t.id, "cancelled")
    expect(relay.workspace.tasks.get(first!.id)?.status).toBe("running")
    expect(relay.workspace.tasks.get(second!.id)?.history.at(-1)?.reason).toContain(`its plan's task ${parent.id} was cancelled`)
    fake.releaseHung()
    const finished = await waitFor(() => {
      const s = relay.workspace.tasks.get(first!.id)?.status
      return s === "approved" || s === "pending_review" ? s : false
    }, { events: [[relay.workspace.tasks, "change"]], timeoutMs: 20_000, message: "the running step to finish" })
    expect(finished).toBe("approved")
    expect(relay.workspace.tasks.get(parent.id)?.status).toBe("cancelled")
  }, 60_000)

  it("a plan approved offline by one operator while another edits it: one result on every peer, each step queued once", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const parent = await planTask(alice, { request: REQUEST, maxBudgetUsd: 0.3 })
    await seen(b, parent.id, t => !!t.plan, "bob to see the plan")

    a.repo.networkSubsystem.disconnect()
    await waitFor(() => !relay.repo.peers.includes(a.repo.peerId), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]], message: "alice offline" })
    const subtasks = await approvePlan(alice, parent.id)
    const steps = parent.plan!.steps.map(s => ({ key: s.key, title: s.title, prompt: s.prompt, facet: s.facet, dependsOn: s.dependsOn, budgetUsd: s.budgetUsd }))
    steps[0]!.title = "Research caching options, briefly"
    await editPlan(bob, parent.id, steps)
    await seen(relay, parent.id, t => t.plan?.steps[0]?.title === "Research caching options, briefly", "the relay to take bob's edit")

    a.repo.networkSubsystem.reconnect()
    const everyone = [a, b, relay] as const
    for (const peer of everyone) await seen(peer, parent.id, t => t.plan?.state === "approved" && t.plan.steps[0]?.title === "Research caching options, briefly", "every peer to hold the approval and the edit")
    for (const peer of everyone) {
      const all = [...peer.workspace.tasks.entries.values()]
      const mine = all.filter(t => t.parent === parent.id)
      expect(mine.map(t => t.id).sort()).toEqual(subtasks.map(s => s.id).sort())
      expect(peer.workspace.tasks.get(parent.id)).toMatchObject({ dependsOn: subtasks.map(s => s.id), plan: { decidedBy: "alice" } })
      // The subtasks are what alice approved; bob's edit crossed the approval and changed no queued step.
      expect(peer.workspace.tasks.get(subtasks[0]!.id)?.title).toBe(subtasks[0]!.title)
    }
    // Online now, bob sees the plan is decided.
    await expect(editPlan(bob, parent.id, steps)).rejects.toMatchObject({ code: "plan_decided" })
  }, 60_000)

  it("the CLI plans, lists, shows, approves and rejects, with --json", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])

    const simple = await cli("plan", "add", "--request", "Summarize the build log")
    expect(simple.value).not.toBe(0)
    expect(simple.stderr).toContain("This request stays one task")
    const added = await cli("plan", "add", "--request", REQUEST, "--max-budget", "0.3", "--json")
    expect(added.value, added.stderr).toBe(0)
    const { task } = JSON.parse(added.stdout) as { task: Task }
    expect(task.plan).toMatchObject({ state: "proposed", source: "splitter" })

    const listed = JSON.parse((await cli("plan", "list", "--json")).stdout) as { id: string; state: string; steps: number }[]
    expect(listed).toEqual([expect.objectContaining({ id: task.id, state: "proposed", steps: 3 })])
    const shown = await cli("plan", "show", task.id)
    expect(shown.stdout).toContain("plan proposed")
    expect(shown.stdout).toContain("1. [strategy, Strategist]")
    expect(shown.stdout).toContain("2. [build, Builder]")
    expect(shown.stdout).toContain(`vivarium plan approve ${task.id}`)

    const approved = JSON.parse((await cli("plan", "approve", task.id, "--json")).stdout) as { subtasks: { id: string; dependsOn: string[] }[] }
    expect(approved.subtasks.map(s => s.id)).toEqual(["s1", "s2", "s3"].map(k => subtaskIdOf(task.id, k)))
    expect(approved.subtasks[1]!.dependsOn).toEqual([subtaskIdOf(task.id, "s1")])
    await seen(relay, subtaskIdOf(task.id, "s3"), t => t.parent === task.id, "the relay to hold the subtasks")
    const again = await cli("plan", "approve", task.id)
    expect(again.value).not.toBe(0)
    expect(again.stderr).toContain("is approved already")
    // No worker is online here: the relay may already have blocked the first step, saying why.
    expect((await cli("plan", "show", task.id)).stdout).toMatch(new RegExp(`→ ${subtaskIdOf(task.id, "s1").replace(/\./g, "\\.")} (queued|blocked)`))

    const other = JSON.parse((await cli("plan", "add", "--request", REQUEST, "--json")).stdout) as { task: Task }
    expect((await cli("plan", "reject", other.task.id, "--reason", "not this week")).stdout).toContain("plan rejected")
    await seen(relay, other.task.id, t => t.status === "cancelled", "the relay to see the rejection")
  }, 60_000)

  it("a worker's model drafts the plan as validated JSON; an unusable reply is asked again, then the splitter's plan stands with the reason", async () => {
    const drafts: string[] = []
    const fake = await startFakeGroq({ kind: "answer", text: prompt => (prompt.startsWith("Cut this request") ? (drafts.shift() ?? "no plan") : `Done: ${prompt.slice(0, 40)}`) })
    teardown.add(() => fake.close())
    const { relay, ctx } = await relayWithWorker(teardown, fake)
    const good = { goal: "Cache the API", steps: [{ title: "Measure the API", prompt: "Measure the API latency today.", facet: "strategy" }, { title: "Add the cache", prompt: "Add an LRU cache in front of the API.", facet: "build", dependsOn: [0], budgetShare: 0.6 }] }
    drafts.push("Here is a plan: {not json", "```json\n" + JSON.stringify(good) + "\n```")
    const drafted = await planTask(ctx, { request: REQUEST, draft: "model", maxBudgetUsd: 0.3 })
    expect(drafted.plan).toMatchObject({ state: "drafting", source: "splitter" })
    await expect(approvePlan(ctx, drafted.id)).rejects.toMatchObject({ code: "plan_drafting" })
    const proposed = await waitFor(() => {
      const t = relay.workspace.tasks.get(drafted.id)
      return t?.plan?.state === "proposed" ? t : false
    }, { events: [[relay.workspace.tasks, "change"]], timeoutMs: 20_000, message: "the model's draft" })
    expect(proposed.plan).toMatchObject({ source: "llm", goal: "Cache the API" })
    expect(proposed.plan!.steps.map(s => [s.key, s.facet, s.dependsOn, s.budgetUsd])).toEqual([["s1", "strategy", [], 0.12], ["s2", "build", ["s1"], 0.18]])
    expect(proposed.status).toBe("requeued")
    expect(proposed.lease).toBeUndefined()
    expect(proposed.calls?.length).toBe(2)
    // Proposed again: nothing runs until an operator approves.
    expect(fake.counts.get("Measure the API latency today.")).toBeUndefined()

    drafts.push("{}", '{"goal": "x", "steps": []}')
    const fallback = await planTask(ctx, { request: REQUEST, draft: "model", maxBudgetUsd: 0.3 })
    const kept = await waitFor(() => {
      const t = relay.workspace.tasks.get(fallback.id)
      return t?.plan?.state === "proposed" ? t : false
    }, { events: [[relay.workspace.tasks, "change"]], timeoutMs: 20_000, message: "the splitter's plan kept" })
    expect(kept.plan).toMatchObject({ source: "splitter", note: expect.stringContaining("not usable") })
    expect(kept.plan!.steps.map(s => s.facet)).toEqual(["strategy", "build", "document"])
    expect(kept.history.at(-1)?.reason).toContain("plan kept from the splitter")
  }, 60_000)
})
