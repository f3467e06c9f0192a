/** Quest lifecycle actions on a network-less, in-memory Repo. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, QuestDoc, QuestIndexDoc, TaskStatus, WalletsDoc } from "../../schemas/index.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { OperatorActionError } from "../../src/workspace/actionContext.ts"
import { approveQuest, assignQuest, cancelQuest, followQuestTask, pauseQuest, resumeQuest, tipQuest, questRef, updateQuest } from "../../src/domain/quests/actions.ts"
import { grant, openWallets } from "../../src/domain/wallets/actions.ts"
import { NOW, operatorContext, socialFixture, type SocialFixture } from "../helpers/socialFixture.ts"
import { ledgerEntry } from "../helpers/ledgerDoc.ts"

const SYSTEM: Actor = { kind: "system", name: "relay" }
const WORKER: Actor = { kind: "worker", name: "w1" }
let f: SocialFixture

beforeEach(async () => {
  f = await socialFixture()
})
afterEach(async () => {
  await f.close()
})

/** Moves a task on along the machine: queued → claimed → running → pending_review (→ approved | failed, the operator's signed decision). */
async function runTask(id: string, to: TaskStatus): Promise<void> {
  const path: [TaskStatus, Actor][] = [
    ["queued", SYSTEM],
    ["claimed", SYSTEM],
    ["running", WORKER],
    ["pending_review", WORKER],
  ]
  if (to === "approved" || to === "failed") {
    await runTask(id, "pending_review")
    await decideTask(f.ctx, id, to === "approved" ? "approve" : "fail")
    return
  }
  f.ws.updateTask(id, d => {
    const from = path.findIndex(([status]) => status === d.status)
    for (const [status, by] of path.slice(from + 1)) {
      applyTransition(d, status, by, NOW)
      if (status === to) break
    }
  })
}

const assign = () => assignQuest(f.ctx, { title: "Map the caves", objective: "Find every exit.", identity: "ada" })
const quest = async (id: string): Promise<QuestDoc> => (await questRef(f.ws, id)).quest

describe("assignQuest", () => {
  it("writes the quest, enqueues its targeted task, pays the upfront tip, posts to human_async and audits", async () => {
    const { quest: q, task, upfrontPaid } = await assign()
    expect(await quest(q.id)).toMatchObject({ title: "Map the caves", objective: "Find every exit.", identity: "ada", state: "active", taskId: task.id, budgetUsd: 0.2, upfrontTip: 10, completionReward: 30 })
    const index = (await f.doc<QuestIndexDoc>(f.ws.root.docs.quests)).doc()
    expect(index.quests[q.id]).toMatchObject({ id: q.id, title: "Map the caves", url: q.url })
    expect(f.ws.tasks.get(task.id)).toMatchObject({
      title: "Map the caves",
      status: "queued",
      prompt: `Quest for Ada (${q.id}).\nObjective: Find every exit.\n\nRun this quest while still participating in normal resident social life: coordination, DMs, and shared room interactions stay active.`,
      minBudgetUsd: 0.1,
      maxBudgetUsd: 0.2,
      targetIdentity: "ada",
      link: { kind: "quest", id: q.id },
    })
    expect(upfrontPaid).toBe(10)
    expect(await f.ledgerKeys()).toEqual([`quest:${q.id}:upfront`])
    expect(await f.balance("ada")).toEqual({ freeTime: 7, journal: 3 })
    expect((await f.roomMessages("human_async")).map(m => [m.author, m.content])).toEqual([["alice", "[quest assigned to Ada] Map the caves: Find every exit."]])
    expect(f.auditOf(f.ctx).map(e => [e.kind, e.subject])).toEqual([
      ["task_added", task.id],
      ["payout", q.id],
    ])
  })

  it("takes a budget, tip and reward; no upfront tip means no ledger entry", async () => {
    const { quest: q, task, upfrontPaid } = await assignQuest(f.ctx, { title: "T", objective: "O", identity: "bo", budgetUsd: 0.05, upfrontTip: 0, completionReward: 7 })
    expect(upfrontPaid).toBe(0)
    expect(await f.ledgerKeys()).toEqual([])
    expect(f.ws.tasks.get(task.id)).toMatchObject({ minBudgetUsd: 0.05, maxBudgetUsd: 0.05 })
    expect((await quest(q.id)).completionReward).toBe(7)
    expect(f.auditOf(f.ctx).map(e => e.kind)).toEqual(["task_added", "social"])
  })

  it("refuses an unknown resident or bad input, writing nothing", async () => {
    const index = await f.doc<unknown>(f.ws.root.docs.quests)
    const heads = index.heads()
    await expect(assignQuest(f.ctx, { title: "T", objective: "O", identity: "ghost" })).rejects.toThrow("no resident ghost")
    await expect(assignQuest(f.ctx, { title: "T", objective: "  ", identity: "ada" })).rejects.toThrow(/a quest needs an objective/)
    await expect(assignQuest(f.ctx, { title: "T", objective: "O", identity: "ada", budgetUsd: -1 })).rejects.toThrow(/^Budget \(USD\): /)
    await expect(assignQuest(f.ctx, { title: "T", objective: "O", identity: "ada", upfrontTip: 2.5 })).rejects.toBeInstanceOf(OperatorActionError)
    expect(index.heads()).toEqual(heads)
    expect(f.ws.tasks.entries.size).toBe(0)
    expect(await f.ledgerKeys()).toEqual([])
  })
})

describe("pause, resume, cancel", () => {
  it("pause withdraws the open task (reason 'quest paused'); resume enqueues a fresh one", async () => {
    const { quest: q, task } = await assign()
    expect(await pauseQuest(f.ctx, q.id)).toEqual({ withdrawnTask: task.id })
    const cancelled = f.ws.tasks.get(task.id)!
    expect(cancelled.status).toBe("cancelled")
    expect(cancelled.history.at(-1)).toMatchObject({ from: "queued", to: "cancelled", reason: "quest paused", by: { kind: "operator", name: "alice" } })
    expect((await quest(q.id)).state).toBe("paused")
    await expect(pauseQuest(f.ctx, q.id)).rejects.toMatchObject({
      code: "quest_wrong_state",
      message: `Quest ${q.id} is paused, so it cannot become paused.`,
      next: "From paused an operator can make it active, cancelled.",
    })

    const resumed = await resumeQuest(f.ctx, q.id)
    expect(resumed.fresh).toBe(true)
    expect(resumed.taskId).not.toBe(task.id)
    expect(await quest(q.id)).toMatchObject({ state: "active", taskId: resumed.taskId })
    expect(f.ws.tasks.get(resumed.taskId)).toMatchObject({ status: "queued", targetIdentity: "ada", link: { kind: "quest", id: q.id } })
    await expect(resumeQuest(f.ctx, q.id)).rejects.toThrow(/is active, so it cannot become active/)
    expect(f.auditOf(f.ctx).map(e => [e.kind, JSON.parse(e.data).quest ?? JSON.parse(e.data).to ?? JSON.parse(e.data).title])).toEqual([
      ["task_added", "Map the caves"],
      ["payout", "assigned"],
      ["transition", "cancelled"],
      ["social", "paused"],
      ["task_added", "Map the caves"],
      ["social", "resumed"],
    ])
  })

  it("a running task is withdrawn too; work awaiting review is not, and resume keeps it", async () => {
    const { quest: q, task } = await assign()
    await runTask(task.id, "running")
    await pauseQuest(f.ctx, q.id)
    expect(f.ws.tasks.get(task.id)!.status).toBe("cancelled")

    const second = await resumeQuest(f.ctx, q.id)
    await runTask(second.taskId, "pending_review")
    expect(await pauseQuest(f.ctx, q.id)).toEqual({})
    expect(f.ws.tasks.get(second.taskId)!.status).toBe("pending_review")
    expect(await resumeQuest(f.ctx, q.id)).toEqual({ taskId: second.taskId, fresh: false })
  })

  it("the task approved while paused still moves the quest to awaiting_approval", async () => {
    const { quest: q, task } = await assign()
    await runTask(task.id, "pending_review")
    await pauseQuest(f.ctx, q.id)
    await runTask(task.id, "approved")
    expect(await followQuestTask(f.ws, f.ws.tasks.get(task.id)!, SYSTEM, NOW)).toBe("awaiting_approval")
  })

  it("cancel: from active or paused, withdrawing the task; final", async () => {
    const { quest: q, task } = await assign()
    expect(await cancelQuest(f.ctx, q.id)).toEqual({ withdrawnTask: task.id })
    expect((await quest(q.id)).state).toBe("cancelled")
    expect(f.ws.tasks.get(task.id)!.history.at(-1)!.reason).toBe("quest cancelled")
    await expect(resumeQuest(f.ctx, q.id)).rejects.toMatchObject({ code: "quest_wrong_state", next: "Cancelled is final. Assign a new quest to go on." })
  })

  it("a failed quest can be resumed with a fresh task", async () => {
    const { quest: q, task } = await assign()
    await runTask(task.id, "failed")
    expect(await followQuestTask(f.ws, f.ws.tasks.get(task.id)!, SYSTEM, NOW)).toBe("failed")
    expect((await resumeQuest(f.ctx, q.id)).fresh).toBe(true)
  })

  it("updateQuest edits fields but refuses a state change (that is pause/resume/cancel/approve)", async () => {
    const { quest: q } = await assign()
    await updateQuest(f.ctx, q.id, { title: "Renamed", state: "active" })
    expect((await quest(q.id)).title).toBe("Renamed")
    await expect(updateQuest(f.ctx, q.id, { state: "completed" })).rejects.toMatchObject({ code: "quest_state_by_action", next: "Use Pause, Resume, Cancel or Approve." })
  })
})

describe("followQuestTask", () => {
  it("approved → awaiting_approval once; other tasks and statuses change nothing", async () => {
    const { quest: q, task } = await assign()
    expect(await followQuestTask(f.ws, f.ws.tasks.get(task.id)!, SYSTEM, NOW)).toBeUndefined()
    await runTask(task.id, "approved")
    const approved = f.ws.tasks.get(task.id)!
    expect(await followQuestTask(f.ws, approved, SYSTEM, NOW + 1)).toBe("awaiting_approval")
    expect(await quest(q.id)).toMatchObject({ state: "awaiting_approval", updatedAt: NOW + 1 })
    expect(await followQuestTask(f.ws, approved, SYSTEM, NOW + 2)).toBeUndefined()
    expect(await followQuestTask(f.ws, { ...approved, link: undefined }, SYSTEM)).toBeUndefined()
    expect(await followQuestTask(f.ws, { ...approved, id: "task-other" }, SYSTEM)).toBeUndefined()
  })
})

describe("tipQuest", () => {
  it("each tip is its own entry (default 10); bad amounts are refused", async () => {
    const { quest: q } = await assignQuest(f.ctx, { title: "T", objective: "O", identity: "ada", upfrontTip: 0 })
    const first = await tipQuest(f.ctx, q.id)
    const second = await tipQuest({ ...f.ctx, now: NOW + 1 }, q.id, 20)
    expect(first.amount).toBe(10)
    expect(first.key).toMatch(new RegExp(`^quest:${q.id}:tip:tip-`))
    expect(second.key).not.toBe(first.key)
    expect(await f.balance("ada")).toEqual({ freeTime: 7 + 14, journal: 3 + 6 })
    await expect(tipQuest(f.ctx, q.id, 0)).rejects.toThrow(/at least 1 token/)
    await expect(tipQuest(f.ctx, q.id, 1.5)).rejects.toThrow(/whole number/)
    await expect(tipQuest(f.ctx, "quest-nope")).rejects.toThrow("no quest quest-nope")
    expect(f.auditOf(f.ctx).filter(e => e.kind === "payout")).toHaveLength(2)
  })
})

describe("approveQuest", () => {
  it("only once awaiting approval; pays the completion reward once and says so the second time", async () => {
    const { quest: q, task } = await assignQuest(f.ctx, { title: "T", objective: "O", identity: "ada", upfrontTip: 0 })
    await expect(approveQuest(f.ctx, q.id)).rejects.toMatchObject({ code: "quest_not_awaiting_approval", message: `Quest ${q.id} is active; a quest is approved once its task was approved.` })
    await runTask(task.id, "approved")
    await followQuestTask(f.ws, f.ws.tasks.get(task.id)!, SYSTEM, NOW)

    expect(await approveQuest({ ...f.ctx, now: NOW + 5 }, q.id)).toEqual({ paid: true, amount: 30 })
    expect(await quest(q.id)).toMatchObject({ state: "completed", approvedBy: "alice", approvedAt: NOW + 5 })
    const wallets = (await f.doc<WalletsDoc>(f.ws.root.docs.wallets)).doc()
    expect(ledgerEntry(wallets, `quest:${q.id}:completion`)).toMatchObject({ identity: "ada", kind: "grant", amount: 30, bucket: "split", by: { kind: "operator", name: "alice" } })

    const bob = await operatorContext(f.ws, "bob", NOW + 9)
    expect(await approveQuest(bob, q.id)).toEqual({ paid: false, reason: "already paid" })
    expect(await approveQuest(f.ctx, q.id)).toEqual({ paid: false, reason: "already paid" })
    expect(await f.balance("ada")).toEqual({ freeTime: 21, journal: 9 })
    expect((await quest(q.id)).approvedBy).toBe("alice")
    expect(f.auditOf(f.ctx).filter(e => e.kind === "payout").map(e => e.subject)).toEqual([q.id])
    expect(f.auditOf(bob)).toEqual([])
  })

  it("a completed quest whose reward entry this peer does not see: 'already approved'", async () => {
    const { quest: q, task } = await assignQuest(f.ctx, { title: "T", objective: "O", identity: "ada", upfrontTip: 0, completionReward: 0 })
    await runTask(task.id, "approved")
    await followQuestTask(f.ws, f.ws.tasks.get(task.id)!, SYSTEM, NOW)
    expect(await approveQuest(f.ctx, q.id)).toEqual({ paid: true, amount: 0 })
    expect(await f.ledgerKeys()).toEqual([])
    expect(await approveQuest(f.ctx, q.id)).toEqual({ paid: false, reason: "already approved" })
  })

  it("a reward entry already in the ledger (another peer's approval) completes the quest without paying", async () => {
    const { quest: q, task } = await assignQuest(f.ctx, { title: "T", objective: "O", identity: "ada", upfrontTip: 0 })
    await runTask(task.id, "approved")
    await followQuestTask(f.ws, f.ws.tasks.get(task.id)!, SYSTEM, NOW)
    const key = `quest:${q.id}:completion`
    const bob = await operatorContext(f.ws, "bob", NOW)
    await grant(await openWallets(f.ws), { key, identity: "ada", amount: 30, reason: "elsewhere", at: NOW }, bob.audit.signer)
    expect(await approveQuest(f.ctx, q.id)).toEqual({ paid: false, reason: "already paid" })
    expect((await quest(q.id)).state).toBe("completed")
    expect(await f.balance("ada")).toEqual({ freeTime: 21, journal: 9 })
  })
})
