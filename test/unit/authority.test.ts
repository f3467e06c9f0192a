/**
 * The authority rules, judged by the relay's gate on real sync messages: every write the
 * current action code makes (operators, workers playing residents) passes, and each forged
 * write is refused with a reason. Workers' writes are the ones worker/worker.ts makes.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { Actor, Bounty, BountiesDoc, IdentitiesDoc, LedgerEntry, MailboxDoc, QueueDoc, RootDoc, Task, WalletsDoc } from "../../schemas/index.ts"
import { authorizeTaskChange } from "../../src/domain/tasks/authority.ts"
import { authorizeBountyChange } from "../../src/domain/bounties/authority.ts"
import { authorizePeerChange } from "../../src/domain/peers/authority.ts"
import { authorizeLedgerChange } from "../../src/domain/wallets/authority.ts"
import { authorizeAuditChange } from "../../src/domain/audit/authority.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { ledgerEntryText, peerDecisionText, signRecord } from "../../src/core/signedRecords.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { AuditLog } from "../../src/domain/audit/auditLog.ts"
import { completeBounty, postBounty, submitToBounty } from "../../src/domain/bounties/actions.ts"
import { forgeIdentity, updateMutable, updateProfile, writeJournal, residentOf } from "../../src/domain/residents/actions.ts"
import { residentMessage, sendMail } from "../../src/domain/mailbox/actions.ts"
import { addTask, decideTask, editTask } from "../../src/domain/tasks/actions.ts"
import { decidePeer, setKillSwitch, updateControls } from "../../src/domain/peers/actions.ts"
import { type OperatorContext } from "../../src/workspace/actionContext.ts"
import { approveQuest, assignQuest, pauseQuest, resumeQuest, tipQuest, editQuestObjective, questRef } from "../../src/domain/quests/actions.ts"
import { postMessage } from "../../src/domain/rooms/actions.ts"
import { openWallets } from "../../src/domain/wallets/actions.ts"
import { emptyDays } from "../../src/domain/wallets/days.ts"
import { dayOf } from "../../src/domain/wallets/periods.ts"
import { principal, refusals, startGateHarness, type GateHarness, type GatePeer } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const SYSTEM: Actor = { kind: "system", name: "relay" }
const NOW = 10_000
/** Signs what the test's operators and workers sign (the harness registers no keys, so nothing checks it against one). */
const TEST_PAIR = await generateSigningKey()
const TEST_KEY = await importPrivateKey(TEST_PAIR.privateKeyPkcs8)
const OWNER = "olga"

/**
 * The chain of authority readers check signed records against: olga owns the workspace (and
 * the relay signs with the same test key); `name` is approved by her with a signed decision.
 */
async function approvedRecord(h: GateHarness, name: string, role: "worker" | "operator", extra: Partial<RootDoc["peers"][string]> = {}): Promise<void> {
  const publicKey = TEST_PAIR.publicKeyHex
  const sig = await signRecord({ key: TEST_KEY }, peerDecisionText({ peer: name, role, publicKey, state: "approved", decidedBy: OWNER, decidedAt: 1 }))
  await h.relayChange<RootDoc>(h.workspace.rootHandle.url, d => {
    d.authority ??= { owner: { name: OWNER, publicKey }, relay: { name: "relay", publicKey } }
    d.peers[name] = { name, role, publicKey, state: "approved", registeredAt: NOW, auditUrl: d.docs.queue, decisions: [{ state: "approved", publicKey, by: OWNER, at: 1, sig }], ...extra }
  })
  await h.workspace.verified()
}

/** An operator's context on a gate peer; its audit appends go to a log the test does not push. */
function operatorCtx(peer: GatePeer): OperatorContext {
  const actor: Actor = { kind: "operator", name: peer.who.peer }
  const audit = { append: async () => ({}), settled: async () => {}, signer: { actor, key: TEST_KEY } } as unknown as OperatorContext["audit"]
  return { workspace: peer.workspace, audit, actor, now: NOW }
}

const accepted = async (peer: GatePeer) => expect(refusals(await peer.push())).toEqual([])
const refusedWith = async (peer: GatePeer, reason: string | RegExp) =>
  expect(refusals(await peer.push())).toEqual([typeof reason === "string" ? expect.stringContaining(reason) : expect.stringMatching(reason)])

/** The relay registers a worker and grants it the lease of `taskId` (the relay's own writes). */
async function leaseTo(h: GateHarness, worker: string, taskId: string, leaseId = `${taskId}.lease1`): Promise<void> {
  await h.relayChange<QueueDoc>(h.workspace.root.docs.queue, d => {
    const t = d.tasks[taskId]!
    applyTransition(t, "claimed", SYSTEM, NOW, `lease granted to ${worker}`)
    t.lease = { leaseId, holder: worker, grantedAt: NOW, expiresAt: NOW + 30_000, renewals: 0 }
  })
}

async function registerWorker(h: GateHarness, name: string, identities: string[] = []): Promise<void> {
  await approvedRecord(h, name, "worker", { lastSeen: NOW, identities })
}

/** The writes worker/worker.ts makes to run a task to the end under its lease. */
function runAsWorker(peer: GatePeer, taskId: string, to: "pending_review" | "approved" = "pending_review"): void {
  const me: Actor = { kind: "worker", name: peer.who.peer }
  const queue = peer.workspace.queueHandle
  const leaseId = () => queue.doc().tasks[taskId]!.lease!.leaseId
  const id = leaseId()
  queue.change(d => {
    const t = d.tasks[taskId]!
    t.executions.push({ leaseId: id, worker: me.name, startedAt: NOW })
    applyTransition(t, "running", me, NOW, "started")
  })
  queue.change(d => {
    d.tasks[taskId]!.lease!.renewals += 1
    d.tasks[taskId]!.lease!.expiresAt = NOW + 60_000
  })
  queue.change(d => {
    const t = d.tasks[taskId]!
    t.result = { output: "a careful answer to the question", model: "llama-3.1-8b-instant", costUsd: 0.001, leaseId: id, worker: me.name, startedAt: NOW, finishedAt: NOW + 5 }
    t.review = { verdict: "approve", confidence: 0.95, issues: [], needsHuman: to === "pending_review", reviewer: me.name, at: NOW + 5 }
    t.attempts = 0
    for (const e of t.executions) if (e.leaseId === id) Object.assign(e, { finishedAt: NOW + 5, outcome: "ok" })
    delete t.lease
    applyTransition(t, to, me, NOW + 5, "critic approved")
  })
}

describe("authority: tasks", () => {
  it("an operator adds, edits, and decides; a worker runs what it was leased: every honest write passes", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const op = operatorCtx(alice)
    const task = await addTask(op, { prompt: "summarize the notes", priority: 3 })
    await editTask(op, task.id, { priority: 7, title: "Summary" })
    await accepted(alice)

    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    await leaseTo(h, "w1", task.id)
    runAsWorker(w1, task.id)
    await accepted(w1)
    expect(h.workspace.tasks.get(task.id)?.status).toBe("pending_review")

    await decideTask(op, task.id, "approve", { tip: 20, feedback: "well done" })
    await accepted(alice)
    expect(h.workspace.tasks.get(task.id)?.review).toMatchObject({ decidedBy: "alice", tip: 20 })
  })

  it("a worker's own approval without review (critic approved, no human needed) passes; a requeue by an operator too", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const t1 = await addTask(operatorCtx(alice), { prompt: "one" })
    const t2 = await addTask(operatorCtx(alice), { prompt: "two" })
    await accepted(alice)
    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    await leaseTo(h, "w1", t1.id)
    await leaseTo(h, "w1", t2.id)
    runAsWorker(w1, t1.id, "approved")
    runAsWorker(w1, t2.id)
    await accepted(w1)
    await decideTask(operatorCtx(alice), t2.id, "requeue")
    await accepted(alice)
    expect(h.workspace.tasks.get(t2.id)?.status).toBe("requeued")
  })

  it("refuses a peer with no operator key writing a task as approved with a tip of 1000", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const task = await addTask(operatorCtx(alice), { prompt: "x" })
    await accepted(alice)
    await registerWorker(h, "w1")
    const mallory = await h.peer("w1", "worker")
    mallory.workspace.queueHandle.change(d => {
      const t = d.tasks[task.id]!
      t.status = "approved"
      t.history.push({ at: NOW, from: "queued", to: "approved", by: { kind: "operator", name: "alice" } })
      t.review = { verdict: "approve", confidence: 1, issues: [], needsHuman: false, reviewer: "w1", at: NOW, decidedBy: "alice", tip: 1000 }
    })
    await refusedWith(mallory, "a history event by operator alice was written by worker w1")
    expect(h.workspace.tasks.get(task.id)?.status).toBe("queued")
  })

  it("refuses a worker approving its own result waiting for review, or writing the decision or a tip", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const task = await addTask(operatorCtx(alice), { prompt: "x" })
    await accepted(alice)
    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    await leaseTo(h, "w1", task.id)
    runAsWorker(w1, task.id)
    await accepted(w1)
    w1.workspace.queueHandle.change(d => {
      const t = d.tasks[task.id]!
      t.history.push({ at: NOW + 9, from: "pending_review", to: "approved", by: { kind: "worker", name: "w1" } })
      t.status = "approved"
    })
    await refusedWith(w1, "only operator may move it from pending_review to approved, not worker")
    const posing = await h.peer("w1", "worker")
    posing.workspace.queueHandle.change(d => applyTransition(d.tasks[task.id]!, "approved", { kind: "operator", name: "w1" }, NOW + 9))
    await refusedWith(posing, "a history event by operator w1 was written by worker w1")

    const w1b = await h.peer("w1", "worker")
    w1b.workspace.queueHandle.change(d => {
      d.tasks[task.id]!.review!.tip = 1000
    })
    await refusedWith(w1b, "w1 does not hold its lease")
  })

  it("refuses a worker auto-approving a local command or when the workspace reviews everything", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const local = await addTask(operatorCtx(alice), { command: "ls" })
    await accepted(alice)
    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    await leaseTo(h, "w1", local.id)
    runAsWorker(w1, local.id, "approved")
    await refusedWith(w1, "local commands are always reviewed by a human")
  })

  it("refuses a worker auto-approving a dispute's mediation: an operator approves the mediator's answer", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const mediation = await addTask(operatorCtx(alice), { prompt: "Mediate: UPHOLD or REOPEN?", facet: "mediation" })
    await accepted(alice)
    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    await leaseTo(h, "w1", mediation.id)
    runAsWorker(w1, mediation.id, "approved")
    await refusedWith(w1, "a mediator's answer settles a dispute, so an operator approves it")
  })

  it("refuses a result written under a stale lease, and any write by a worker that does not hold the lease", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const task = await addTask(operatorCtx(alice), { prompt: "x" })
    await accepted(alice)
    await registerWorker(h, "w1")
    await registerWorker(h, "w2")
    const w1 = await h.peer("w1", "worker")
    await leaseTo(h, "w1", task.id, "lease-old")
    w1.workspace.queueHandle.change(d => {
      const t = d.tasks[task.id]!
      t.executions.push({ leaseId: "lease-old", worker: "w1", startedAt: NOW })
      applyTransition(t, "running", { kind: "worker", name: "w1" }, NOW)
    })
    await accepted(w1)
    // The relay expires w1's lease and grants w2 a new one; w1 then hands in under the old one.
    await h.relayChange<QueueDoc>(h.workspace.root.docs.queue, d => {
      const t = d.tasks[task.id]!
      applyTransition(t, "queued", SYSTEM, NOW + 1, "lease of w1 expired")
      delete t.lease
      t.executions[0]!.expiredAt = NOW + 1
    })
    await leaseTo(h, "w2", task.id, "lease-new")
    const stale = await h.peer("w1", "worker")
    stale.workspace.queueHandle.change(d => {
      const t = d.tasks[task.id]!
      t.result = { output: "stale", model: "m", costUsd: 0, leaseId: "lease-old", worker: "w1", startedAt: NOW, finishedAt: NOW + 2 }
    })
    await refusedWith(stale, "w1 does not hold its lease (w2 does)")
    // Marking its own lost run finished is the one write it may still make.
    const lost = await h.peer("w1", "worker")
    lost.workspace.queueHandle.change(d => {
      Object.assign(d.tasks[task.id]!.executions[0]!, { finishedAt: NOW + 2, outcome: "ok" })
    })
    await accepted(lost)
    // The holder cannot put a result under another lease id either.
    const w2 = await h.peer("w2", "worker")
    w2.workspace.queueHandle.change(d => {
      d.tasks[task.id]!.result = { output: "x", model: "m", costUsd: 0, leaseId: "lease-old", worker: "w2", startedAt: NOW, finishedAt: NOW }
    })
    await refusedWith(w2, "a result is accepted only under the current lease lease-new")
  })

  it("refuses a worker touching lease, priority, budgets or prompt, and anyone writing blocked or duplicateRun", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const task = await addTask(operatorCtx(alice), { prompt: "x" })
    await accepted(alice)
    await registerWorker(h, "w1")
    await leaseTo(h, "w1", task.id)
    const cases: [(t: Task) => void, string][] = [
      [t => void (t.lease!.holder = "w9"), "only the relay grants leases"],
      [t => void (t.priority = 100), "a worker does not write priority"],
      [t => void (t.maxBudgetUsd = 100), "a worker does not write maxBudgetUsd"],
      [t => void (t.prompt = "rm -rf"), "a worker does not write prompt"],
      [t => void (t.bonus = { id: "b", tokens: 1000 }), "a worker does not write bonus"],
    ]
    for (const [mutate, reason] of cases) {
      const w1 = await h.peer("w1", "worker")
      w1.workspace.queueHandle.change(d => mutate(d.tasks[task.id]!))
      await refusedWith(w1, reason)
    }
    const op = await h.peer("alice", "operator")
    op.workspace.queueHandle.change(d => void (d.tasks[task.id]!.duplicateRun = true))
    await refusedWith(op, "operators do not write duplicateRun")
    const op2 = await h.peer("alice", "operator")
    op2.workspace.queueHandle.change(d => void (d.tasks[task.id]!.lease!.holder = "alice"))
    await refusedWith(op2, "operators do not write lease")
  })

  it("refuses a task stored under a key other than its id, deleting a task, and an edit of a held task", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const task = buildTask({ prompt: "x" }, defaultControls("relay", NOW), { kind: "operator", name: "alice" }, NOW, "task-real")
    alice.workspace.queueHandle.change(d => void (d.tasks["task-other"] = task))
    await refusedWith(alice, "task task-real is stored under the key task-other")

    const bob = await h.peer("bob", "operator")
    const t = await addTask(operatorCtx(bob), { prompt: "y" })
    await accepted(bob)
    bob.workspace.queueHandle.change(d => void delete d.tasks[t.id])
    await refusedWith(bob, "cannot be deleted by a peer")

    await registerWorker(h, "w1")
    await leaseTo(h, "w1", t.id)
    const carol = await h.peer("carol", "operator")
    await expect(editTask(operatorCtx(carol), t.id, { priority: 9 })).rejects.toMatchObject({ code: "task_not_editable" })
    carol.workspace.queueHandle.change(d => void (d.tasks[t.id]!.priority = 9))
    await refusedWith(carol, "only queued, requeued or blocked tasks can be edited")
  })

  it("the rule alone: a pending principal writes nothing, and a new task must be queued and by its writer", () => {
    const task = buildTask({ prompt: "x" }, defaultControls("relay", NOW), { kind: "operator", name: "alice" }, NOW, "t1")
    const ctx = { key: "t1", residentHolder: () => undefined, reviewEverything: false }
    expect(authorizeTaskChange(undefined, task, principal("alice", "operator"), ctx)).toEqual({ ok: true })
    expect(authorizeTaskChange(undefined, task, principal("alice", "pending"), ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("pending peer writes nothing") })
    expect(authorizeTaskChange(undefined, task, principal("bob", "operator"), ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("created by alice, but bob") })
    expect(authorizeTaskChange(undefined, { ...task, status: "approved" }, principal("alice", "operator"), ctx)).toMatchObject({ ok: false })
    expect(authorizeTaskChange(undefined, task, principal("w1", "worker"), ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("only operators add tasks") })
  })
})

describe("authority: records of signed decisions, calls and runs", () => {
  const call = (worker: string, leaseId: string) => ({ model: "llama-3.1-8b-instant", promptTokens: 10, completionTokens: 5, costUsd: 0.001, at: NOW, ok: true, leaseId, worker })
  const ran = (): Task => {
    const t = buildTask({ prompt: "x" }, defaultControls("relay", NOW), { kind: "operator", name: "alice" }, NOW, "t1")
    return { ...t, status: "queued", executions: [{ leaseId: "old", worker: "w1", startedAt: NOW, expiredAt: NOW + 1 }], lease: { leaseId: "new", holder: "w2", grantedAt: NOW, expiresAt: NOW + 9, renewals: 0 } }
  }
  const ctx = { key: "t1", residentHolder: () => undefined, reviewEverything: false }

  it("a worker records its own calls of a run it made after losing the lease; nobody forges, rewrites or removes calls", () => {
    const before = ran()
    const w1 = principal("w1", "worker")
    expect(authorizeTaskChange(before, { ...before, calls: [call("w1", "old")] }, w1, ctx)).toEqual({ ok: true })
    expect(authorizeTaskChange(before, { ...before, calls: [call("w2", "old")] }, w1, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("records only its own calls") })
    expect(authorizeTaskChange(before, { ...before, calls: [call("w1", "new")] }, w1, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("made under a run of its own") })
    const billed = { ...before, calls: [call("w1", "old")] }
    expect(authorizeTaskChange(billed, { ...billed, calls: [] }, w1, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("never changed or removed") })
    expect(authorizeTaskChange(billed, { ...billed, calls: [{ ...call("w1", "old"), costUsd: 0 }] }, w1, ctx)).toMatchObject({ ok: false })
    expect(authorizeTaskChange(before, { ...before, calls: [call("alice", "old")] }, principal("alice", "operator"), ctx)).toMatchObject({ ok: false })
  })

  it("a worker's history event names the lease it holds; an operator's names none", () => {
    const before = ran()
    const w2 = principal("w2", "worker")
    const moved = (leaseId: string | undefined, by: Actor): Task => ({ ...before, status: "claimed", history: [{ at: NOW, from: "queued", to: "claimed", by, ...(leaseId ? { leaseId } : {}) }] })
    expect(authorizeTaskChange(before, moved("old", { kind: "worker", name: "w2" }), w2, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("which w2 does not hold") })
    const requeue: Task = { ...before, lease: undefined, status: "blocked" }
    expect(authorizeTaskChange(requeue, { ...requeue, status: "queued", history: [{ at: NOW, from: "blocked", to: "queued", by: { kind: "operator", name: "alice" }, leaseId: "new" }] }, principal("alice", "operator"), ctx)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("does not hold"),
    })
  })

  it("an older offline cancel merging after an approval passes (readers resolve the merge); a cancel from a status the task never held does not", () => {
    const t = buildTask({ prompt: "x" }, defaultControls("relay", NOW), { kind: "operator", name: "alice" }, NOW, "t1")
    const review: Task["history"][number] = { at: NOW, from: "running", to: "pending_review", by: { kind: "worker", name: "w1" } }
    const approved: Task = { ...t, status: "approved", history: [review, { at: NOW + 1, from: "pending_review", to: "approved", by: { kind: "operator", name: "bob" } }] }
    const cancel = (from: Task["status"]): Task => ({ ...approved, status: "cancelled", history: [...approved.history, { at: NOW, from, to: "cancelled", by: { kind: "operator", name: "alice" } }] })
    expect(authorizeTaskChange(approved, cancel("pending_review"), principal("alice", "operator"), ctx)).toEqual({ ok: true })
    expect(authorizeTaskChange(approved, cancel("blocked"), principal("alice", "operator"), ctx)).toMatchObject({ ok: false })
  })

  it("a key rotation is one signed record from the old key, by the peer itself or the owner", () => {
    const before = { name: "w1", role: "worker" as const, publicKey: "cd".repeat(32), state: "approved" as const, registeredAt: NOW, auditUrl: "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ" }
    const rotated = (by: string, from = before.publicKey) => ({ ...before, publicKey: "ef".repeat(32), rotations: [{ from, to: "ef".repeat(32), by, at: NOW, sig: "0".repeat(128) }] })
    const pctx = { key: "w1", residentHolder: () => undefined }
    expect(authorizePeerChange(before, rotated("w1"), { peer: "w1", role: "worker", publicKeyHex: before.publicKey }, pctx)).toEqual({ ok: true })
    expect(authorizePeerChange(before, rotated("olga"), principal("olga", "owner"), pctx)).toEqual({ ok: true })
    expect(authorizePeerChange(before, rotated("mallory"), principal("mallory", "operator"), pctx)).toMatchObject({ ok: false, reason: expect.stringContaining("only w1 itself") })
    expect(authorizePeerChange(before, rotated("w1"), principal("w1", "worker"), pctx)).toMatchObject({ ok: false, reason: expect.stringContaining("with its current key") })
    expect(authorizePeerChange(before, rotated("olga", "ab".repeat(32)), principal("olga", "owner"), pctx)).toMatchObject({ ok: false, reason: expect.stringContaining("from its current key") })
    expect(authorizePeerChange(before, { ...before, publicKey: "ef".repeat(32) }, principal("olga", "owner"), pctx)).toMatchObject({ ok: false, reason: expect.stringContaining("a key rotation is a signed record") })
  })

  it("side effects name only runs of their own worker; operators write under no run; the relay alone writes archivedSpendUsd", async () => {
    const runWorker = (run: { taskId: string; leaseId: string }) => (run.leaseId === "lease-w1" ? "w1" : undefined)
    const lctx = { key: "mail-send:m1", residentHolder: () => "w1", runWorker }
    const spend = (run: { taskId: string; leaseId: string }, by: Actor): LedgerEntry => ({ key: "mail-send:m1", identity: "ada", kind: "spend", amount: 10, bucket: "free_time", reason: "mail", at: NOW, by, run })
    expect(authorizeLedgerChange(undefined, spend({ taskId: "t1", leaseId: "lease-w1" }, { kind: "worker", name: "w1" }), principal("w1", "worker"), lctx)).toEqual({ ok: true })
    expect(authorizeLedgerChange(undefined, spend({ taskId: "t1", leaseId: "lease-w2" }, { kind: "worker", name: "w1" }), principal("w1", "worker"), lctx)).toMatchObject({ ok: false, reason: expect.stringContaining("not w1") })
    expect(authorizeLedgerChange(undefined, spend({ taskId: "t1", leaseId: "lease-w1" }, { kind: "operator", name: "alice" }), principal("alice", "operator"), lctx)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("only the worker that ran a task"),
    })

    const h = await startGateHarness(teardown)
    const op = await h.peer("olga", "owner")
    op.workspace.queueHandle.change(d => void (d.archivedSpendUsd = 0))
    await refusedWith(op, "queue.archivedSpendUsd is written by the relay only")
  })

  it("an operator writes only its own bounty completion", () => {
    const base: Bounty = { id: "b1", title: "Map", description: "", reward: 40, slots: 1, state: "claimed", submissions: {}, completions: {}, createdBy: "alice", createdAt: NOW }
    const done = (by: string, completedBy = by): Bounty => ({ ...base, state: "completed", winner: "s1", winnerReward: 40, runnerUpReward: 0, completedBy, completedAt: NOW, completions: { [by]: { winner: "s1", winnerReward: 40, runnerUpReward: 0, by, at: NOW } } })
    const bctx = { key: "b1", residentHolder: () => undefined }
    expect(authorizeBountyChange(base, done("alice"), principal("alice", "operator"), bctx)).toEqual({ ok: true })
    expect(authorizeBountyChange(base, done("bob", "alice"), principal("alice", "operator"), bctx)).toMatchObject({ ok: false })
    expect(authorizeBountyChange(done("alice"), { ...done("alice"), completions: {} }, principal("bob", "operator"), bctx)).toMatchObject({ ok: false })
  })
})

describe("authority: root", () => {
  it("a worker's heartbeat on its own record, an operator's kill switch, controls and worker approval pass", async () => {
    const h = await startGateHarness(teardown)
    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    w1.workspace.rootHandle.change((d: RootDoc) => {
      const me = d.peers.w1!
      me.lastSeen = NOW + 5
      me.concurrency = 2
      me.hasLlmKey = true
      me.identities = ["ada"]
    })
    await accepted(w1)
    w1.workspace.rootHandle.change((d: RootDoc) => void delete d.peers.w1!.lastSeen)
    await accepted(w1)

    const alice = await h.peer("alice", "operator")
    await setKillSwitch(operatorCtx(alice), true, "maintenance")
    await updateControls(operatorCtx(alice), { spendCapUsd: 3, reviewEverything: true })
    await decidePeer(operatorCtx(alice), "w1", "revoked")
    await accepted(alice)
    expect(h.workspace.root.peers.w1?.state).toBe("revoked")
  })

  it("refuses swapping a peer's public key or audit URL, another peer's liveness, deleting records, and self-approval", async () => {
    const h = await startGateHarness(teardown)
    await registerWorker(h, "w1")
    const cases: [string, "worker" | "operator", (d: RootDoc) => void, string][] = [
      ["alice", "operator", d => void (d.peers.w1!.publicKey = "ef".repeat(32)), "a key rotation is a signed record"],
      ["alice", "operator", d => void (d.peers.w1!.auditUrl = d.docs.wallets), "auditUrl never change after enrolment"],
      ["w2", "worker", d => void (d.peers.w1!.lastSeen = 1), "only w1 itself writes its lastSeen"],
      ["alice", "operator", d => void delete d.peers.w1, "registrations are permanent"],
      ["w1", "worker", d => Object.assign(d.peers.w1!, { state: "approved", decidedBy: "w1", decidedAt: NOW }), "only operators approve or revoke workers"],
      ["w2", "worker", d => Object.assign(d.peers.w1!, { state: "revoked", decidedBy: "w2", decidedAt: NOW }), "only operators approve or revoke workers"],
      ["w1", "worker", d => void (d.controls.killSwitch = { on: false, reason: "", setBy: "w1", setAt: NOW }), "only operators change the runtime controls"],
      ["mallory", "operator", d => void (d.peers.mallory = { ...(JSON.parse(JSON.stringify(d.peers.w1)) as RootDoc["peers"][string]), name: "mallory" }), "the relay enrols peers"],
    ]
    for (const [name, role, mutate, reason] of cases) {
      const p = await h.peer(name, role)
      p.workspace.rootHandle.change((d: RootDoc) => mutate(d))
      await refusedWith(p, reason)
    }
  })

  it("only the owner decides about operators", async () => {
    const h = await startGateHarness(teardown)
    await h.relayChange<RootDoc>(h.workspace.rootHandle.url, d => {
      d.peers.bob = { name: "bob", role: "operator", publicKey: "cd".repeat(32), state: "approved", registeredAt: NOW, auditUrl: d.docs.queue }
    })
    const alice = await h.peer("alice", "operator")
    alice.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers.bob!, { state: "revoked", decidedBy: "alice", decidedAt: NOW }))
    await refusedWith(alice, "only the owner approves or revokes operators")
    const owner = await h.peer("olga", "owner")
    owner.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers.bob!, { state: "revoked", decidedBy: "olga", decidedAt: NOW }))
    await refusedWith(owner, "a decision is recorded as a signed decision by olga")
    const revocation = { state: "revoked" as const, publicKey: "cd".repeat(32), by: "olga", at: NOW, sig: "0".repeat(128) }
    owner.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers.bob!, { state: "revoked", decidedBy: "olga", decidedAt: NOW, decisions: [revocation] }))
    await accepted(owner)
    const forged = await h.peer("olga", "owner")
    forged.workspace.rootHandle.change((d: RootDoc) => void d.peers.bob!.decisions!.push({ ...revocation, state: "approved", by: "alice" }))
    await refusedWith(forged, "cannot record a decision by alice")
  })

  it("refuses deleting a root.docs entry, setting root.kind or workspaceId, adding unknown root fields, and the queue's kind", async () => {
    const h = await startGateHarness(teardown)
    const cases: [(d: RootDoc) => void, string][] = [
      [d => void delete d.docs.mailbox, "root.docs is written by the relay only"],
      [d => void (d.kind = "queue" as never), "root.kind is written by the relay only"],
      [d => void (d.workspaceId = "another-workspace"), "root.workspaceId is written by the relay only"],
      [d => void ((d as unknown as Record<string, unknown>).extra = 1), "extra is not a field of a root document"],
      [d => void delete (d as Partial<RootDoc>).controls, "the runtime controls are never removed"],
    ]
    for (const [mutate, reason] of cases) {
      const p = await h.peer("olga", "owner")
      p.workspace.rootHandle.change((d: RootDoc) => mutate(d))
      await refusedWith(p, reason)
    }
    const p = await h.peer("olga", "owner")
    p.workspace.queueHandle.change(d => void (d.kind = "archive" as never))
    await refusedWith(p, "queue.kind is fixed when the document is created")
  })
})

describe("authority: wallets", () => {
  it("operators' quest, bounty and mail payments pass; a worker's spend for the resident it plays passes", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const op = operatorCtx(alice)
    const ada = await forgeIdentity(op, { name: "Ada Lovelace" })
    await accepted(alice)
    const { quest } = await assignQuest(op, { title: "Map the garden", objective: "Walk and note", identity: ada.id })
    await tipQuest(op, quest.id, 5)
    await pauseQuest(op, quest.id)
    await resumeQuest(op, quest.id)
    const ref = await questRef(alice.workspace, quest.id)
    editQuestObjective(ref.handle as DocHandle<unknown>, "Walk, note and sketch", NOW)
    await sendMail(op, { resident: ada.id, content: "hello there" })
    await accepted(alice)

    await registerWorker(h, "w1", [ada.id])
    await h.relayChange<IdentitiesDoc>(h.workspace.root.docs.identities, d => {
      d.leases![ada.id] = { holder: "w1", grantedAt: NOW, renewedAt: NOW }
    })
    const allowance: LedgerEntry = { key: ledgerKeys.allowance(ada.id, 1), identity: ada.id, kind: "grant", amount: 150, bucket: "split", reason: "allowance", at: NOW, by: SYSTEM }
    const sig = await signRecord({ key: TEST_KEY }, ledgerEntryText(allowance))
    await h.relayChange<WalletsDoc>(h.workspace.root.docs.wallets, d => {
      d.entries[allowance.key] = { ...allowance, sig }
    })
    const w1 = await h.peer("w1", "worker")
    await residentMessage(w1.workspace, { resident: ada.id, type: "idea", content: "a thought" }, { actor: { kind: "worker", name: "w1" }, key: TEST_KEY }, NOW + 1)
    await writeJournal(w1.repo, await residentOf(w1.workspace, ada.id), { kind: "note", content: "I walked" }, NOW + 1)
    await accepted(w1)
  })

  it("refuses ledger entries that mint or drain tokens", async () => {
    const h = await startGateHarness(teardown)
    await registerWorker(h, "w1")
    const key = (k: string) => k
    const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({ key: "quest:q1:tip:1", identity: "ada", kind: "grant", amount: 100, bucket: "split", reason: "r", at: NOW, by: { kind: "operator", name: "alice" }, ...over })
    const cases: [string, "worker" | "operator", (d: WalletsDoc) => void, string][] = [
      ["alice", "operator", d => void (d.entries[key("allowance:ada:9")] = entry({ key: "allowance:ada:9", by: SYSTEM })), "only the relay writes its own payments"],
      ["alice", "operator", d => void (d.entries["quest:q1:tip:1"] = entry({ by: { kind: "operator", name: "bob" } })), "says it is by operator bob, but alice wrote it"],
      ["alice", "operator", d => void (d.entries["reward:t:ada"] = entry({ key: "reward:t:ada" })), "rewards, tips and allowances are paid by the relay"],
      ["w1", "worker", d => void (d.entries["quest:q1:tip:1"] = entry({ by: { kind: "worker", name: "w1" } })), "workers never grant tokens"],
      ["w1", "worker", d => void (d.entries["mail-send:m"] = entry({ key: "mail-send:m", kind: "spend", bucket: "free_time", by: { kind: "worker", name: "w1" } })), "w1 does not play ada"],
      ["alice", "operator", d => void (d.entries["quest:q1:tip:1"] = entry({ key: "quest:q1:tip:2" })), "stored under the key quest:q1:tip:1"],
      ["alice", "operator", d => void (d.entries["quest:q1:tip:1"] = entry({ identity: "alice" })), "cannot write ledger entries for itself"],
    ]
    for (const [name, role, mutate, reason] of cases) {
      const p = await h.peer(name, role)
      ;(await openWallets(p.workspace)).open.change(d => mutate(d))
      await refusedWith(p, reason)
    }
    // An existing entry never changes and is never deleted (a drained allowance, a removed spend).
    await h.relayChange<WalletsDoc>(h.workspace.root.docs.wallets, d => {
      d.entries["allowance:ada:1"] = entry({ key: "allowance:ada:1", by: SYSTEM })
    })
    for (const mutate of [(d: WalletsDoc) => void (d.entries["allowance:ada:1"]!.amount = 1), (d: WalletsDoc) => void delete d.entries["allowance:ada:1"]]) {
      const p = await h.peer("alice", "operator")
      ;(await openWallets(p.workspace)).open.change(d => mutate(d))
      await refusedWith(p, "the ledger is append-only")
    }
  })

  it("a segment's day maps: a foreign or misplaced write is refused as in the flat map, and no peer makes or removes a day map", async () => {
    const h = await startGateHarness(teardown)
    await registerWorker(h, "w1")
    const day = dayOf(NOW)
    const other = dayOf(NOW + 86_400_000)
    const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({ key: "quest:q1:tip:1", identity: "ada", kind: "grant", amount: 100, bucket: "split", reason: "r", at: NOW, by: { kind: "operator", name: "alice" }, ...over })
    const put = (e: LedgerEntry, into = day) => (d: WalletsDoc) => void (d.days![into]![e.key] = e)
    const cases: [string, "worker" | "operator", (d: WalletsDoc) => void, string][] = [
      ["alice", "operator", put(entry({ key: "allowance:ada:9", by: SYSTEM })), "only the relay writes its own payments"],
      ["alice", "operator", put(entry({ by: { kind: "operator", name: "bob" } })), "says it is by operator bob, but alice wrote it"],
      ["alice", "operator", put(entry({ key: "reward:t:ada" })), "rewards, tips and allowances are paid by the relay"],
      ["w1", "worker", put(entry({ by: { kind: "worker", name: "w1" } })), "workers never grant tokens"],
      ["w1", "worker", put(entry({ key: "mail-send:m", kind: "spend", bucket: "free_time", by: { kind: "worker", name: "w1" } })), "w1 does not play ada"],
      ["alice", "operator", d => void (d.days![day]!["quest:q1:tip:1"] = entry({ key: "quest:q1:tip:2" })), "stored under the key quest:q1:tip:1"],
      ["alice", "operator", put(entry({ identity: "alice" })), "cannot write ledger entries for itself"],
      ["alice", "operator", put(entry({}), other), `belongs in days.${day}, not days.${other}`],
      ["alice", "operator", d => void (d.days![day] = {}), "a peer never makes, replaces or deletes one"],
      ["alice", "operator", d => void delete d.days![day], "a peer never makes, replaces or deletes one"],
      ["alice", "operator", d => void (d.days = {}), "days is never replaced whole"],
    ]
    for (const [name, role, mutate, reason] of cases) {
      const p = await h.peer(name, role)
      ;(await openWallets(p.workspace)).open.change(d => mutate(d))
      await refusedWith(p, reason)
    }
    // A segment is one key space: an entry written in one map never changes, is never
    // deleted, and is not paid again differently under its key in another map.
    await h.relayChange<WalletsDoc>(h.workspace.root.docs.wallets, d => {
      d.days![day]!["allowance:ada:1"] = entry({ key: "allowance:ada:1", by: SYSTEM })
      d.entries["quest:q1:tip:9"] = entry({ key: "quest:q1:tip:9" })
    })
    const rewrites: ((d: WalletsDoc) => void)[] = [
      d => void (d.days![day]!["allowance:ada:1"]!.amount = 1),
      d => void delete d.days![day]!["allowance:ada:1"],
      put(entry({ key: "allowance:ada:1", amount: 1, at: NOW + 86_400_000 }), other),
      d => void (d.days![day]!["quest:q1:tip:9"] = entry({ key: "quest:q1:tip:9", amount: 900 })),
      d => void (d.entries["allowance:ada:1"] = entry({ key: "allowance:ada:1", amount: 999 })),
    ]
    for (const mutate of rewrites) {
      const p = await h.peer("alice", "operator")
      ;(await openWallets(p.workspace)).open.change(d => mutate(d))
      await refusedWith(p, "the ledger is append-only")
    }
  })

  it("a segment without day maps (from before them): a peer cannot make them, its flat map is judged as before", async () => {
    const h = await startGateHarness(teardown)
    await h.relayChange<WalletsDoc>(h.workspace.root.docs.wallets, d => void delete d.days)
    await registerWorker(h, "w1")
    const made = await h.peer("alice", "operator")
    ;(await openWallets(made.workspace)).open.change(d => void (d.days = emptyDays()))
    await refusedWith(made, "days is made with the document")
    const w1 = await h.peer("w1", "worker")
    ;(await openWallets(w1.workspace)).open.change(d => void (d.entries["quest:q1:tip:1"] = { key: "quest:q1:tip:1", identity: "ada", kind: "grant", amount: 100, bucket: "split", reason: "r", at: NOW, by: { kind: "worker", name: "w1" } }))
    await refusedWith(w1, "workers never grant tokens")
  })

  it("the rule alone: a grant and a spend as the action code writes them", () => {
    const ctx = { key: "quest:q:upfront", residentHolder: (r: string) => (r === "ada" ? "w1" : undefined) }
    const entry: LedgerEntry = { key: "quest:q:upfront", identity: "ada", kind: "grant", amount: 10, bucket: "split", reason: "r", at: NOW, by: { kind: "operator", name: "alice" } }
    expect(authorizeLedgerChange(undefined, entry, principal("alice", "operator"), ctx)).toEqual({ ok: true })
    const spendEntry: LedgerEntry = { ...entry, key: "mail-send:m1", kind: "spend", bucket: "free_time", by: { kind: "worker", name: "w1" } }
    expect(authorizeLedgerChange(undefined, spendEntry, principal("w1", "worker"), { ...ctx, key: "mail-send:m1" })).toEqual({ ok: true })
    expect(authorizeLedgerChange(undefined, spendEntry, principal("w2", "worker"), { ...ctx, key: "mail-send:m1" })).toMatchObject({ ok: false })
  })
})

describe("authority: residents, bounties, mailbox, rooms", () => {
  it("operators forge and edit residents, post and complete bounties; the resident's worker submits; refusals for the rest", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const op = operatorCtx(alice)
    const ada = await forgeIdentity(op, { name: "Ada" })
    await updateProfile(op, ada.id, { bio: "curious" })
    await updateMutable(op, ada.id, { mood: "calm" })
    const bounty = await postBounty(op, { title: "Best haiku", reward: 20 })
    await postMessage(op, "town_hall", { content: "hello all" })
    await accepted(alice)

    await registerWorker(h, "w1", [ada.id])
    await h.relayChange<IdentitiesDoc>(h.workspace.root.docs.identities, d => {
      d.leases![ada.id] = { holder: "w1", grantedAt: NOW, renewedAt: NOW }
    })
    const w1 = await h.peer("w1", "worker")
    const sub = await submitToBounty({ workspace: w1.workspace, now: NOW }, bounty.id, { identity: ada.id, content: "an old silent pond" })
    await accepted(w1)
    await completeBounty(op, bounty.id, { winner: sub.id })
    await accepted(alice)

    // A worker that does not play the resident: no journal, no mail, no submission for it.
    await registerWorker(h, "w2")
    const w2 = await h.peer("w2", "worker")
    await writeJournal(w2.repo, await residentOf(w2.workspace, ada.id), { kind: "note", content: "forged memory" }, NOW)
    await refusedWith(w2, "w2 does not play ada")
    const w2b = await h.peer("w2", "worker")
    const mailbox = await w2b.repo.find<MailboxDoc>(h.workspace.root.docs.mailbox as AutomergeUrl)
    mailbox.change(d => void (d.messages.m1 = { id: "m1", direction: "to_human", resident: ada.id, type: "idea", content: "x", by: ada.id, at: NOW }))
    await refusedWith(w2b, "w2 does not play ada")
    // A worker forging continuity or posting to a room; an operator forging another's message.
    const w1b = await h.peer("w1", "worker")
    ;(await w1b.repo.find<IdentitiesDoc>(h.workspace.root.docs.identities as AutomergeUrl)).change(d => void (d.identities[ada.id]!.continuity.level = 99))
    await refusedWith(w1b, "only operators forge and edit residents")
    const bob = await h.peer("bob", "operator")
    ;(await bob.repo.find<IdentitiesDoc>(h.workspace.root.docs.identities as AutomergeUrl)).change(d => void (d.identities[ada.id]!.continuity.tasksCompleted = 99))
    await refusedWith(bob, "the relay counts continuity")
    const bob2 = await h.peer("bob", "operator")
    await postMessage({ ...operatorCtx(bob2), actor: { kind: "operator", name: "carol" } }, "town_hall", { content: "I am carol" })
    await refusedWith(bob2, "says it is by carol, but bob wrote it")
    const bob3 = await h.peer("bob", "operator")
    ;(await bob3.repo.find<BountiesDoc>(h.workspace.root.docs.bounties as AutomergeUrl)).change(d => void (d.bounties[bounty.id]!.winnerReward = 99_999))
    await refusedWith(bob3, "winnerReward change only when an operator completes it")
    const w1c = await h.peer("w1", "worker")
    ;(await w1c.repo.find<IdentitiesDoc>(h.workspace.root.docs.identities as AutomergeUrl)).change(d => void (d.leases![ada.id] = { holder: "w1", grantedAt: 1, renewedAt: NOW + 99 }))
    await refusedWith(w1c, "granted by the relay only")
  })

  it("approving a quest pays its reward once; a worker cannot touch a quest", async () => {
    const h = await startGateHarness(teardown)
    await approvedRecord(h, "alice", "operator")
    const alice = await h.peer("alice", "operator")
    const op = operatorCtx(alice)
    const ada = await forgeIdentity(op, { name: "Ada" })
    const { quest } = await assignQuest(op, { title: "Q", objective: "O", identity: ada.id })
    await accepted(alice)
    await h.relayChange<{ state: string }>(quest.url, d => void (d.state = "awaiting_approval"))
    expect(await approveQuest(op, quest.id)).toMatchObject({ paid: true })
    await accepted(alice)
    await registerWorker(h, "w1")
    const w1 = await h.peer("w1", "worker")
    ;(await w1.repo.find<{ budgetUsd: number }>(quest.url as AutomergeUrl)).change(d => void (d.budgetUsd = 99))
    await refusedWith(w1, "only operators create and edit quests")
  })
})

describe("authority: audit logs", () => {
  it("the owner appends signed entries to its own log; nobody else writes it, nor rewrites or rewinds it", async () => {
    const h = await startGateHarness(teardown)
    const created = AuditLog.createAuditDoc(h.relay, "alice")
    const pair = await generateSigningKey()
    const key = await importPrivateKey(pair.privateKeyPkcs8)
    const alice = await h.peer("alice", "operator")
    const log = new AuditLog(await alice.repo.find(created.url), { actor: { kind: "operator", name: "alice" }, key })
    await log.append("controls", "workspace", { a: 1 })
    await log.append("controls", "workspace", { a: 2 })
    await accepted(alice)

    const bob = await h.peer("bob", "operator")
    const forged = new AuditLog(await bob.repo.find(created.url), { actor: { kind: "operator", name: "alice" }, key })
    await forged.append("approval", "task-x", {})
    await refusedWith(bob, "only alice writes it")

    const again = await h.peer("alice", "operator")
    ;(await again.repo.find<{ entries: { subject: string }[] }>(created.url)).change(d => void (d.entries[0]!.subject = "rewritten"))
    await refusedWith(again, "entry 0 never changes")
    const rewind = await h.peer("alice", "operator")
    ;(await rewind.repo.find<{ entries: unknown[] }>(created.url)).change(d => void d.entries.splice(1, 1))
    await refusedWith(rewind, "entry 1 never changes")
    expect(authorizeAuditChange({ peer: "alice", entriesBefore: 2, firstSeq: 0, appended: [], headBefore: { seq: 1, hash: "a".repeat(64), sig: "b".repeat(128) }, headAfter: { seq: 0, hash: "a".repeat(64), sig: "b".repeat(128) } }, principal("alice", "operator"))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("its head only moves forward"),
    })
  })
})

