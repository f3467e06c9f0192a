/**
 * A quest's life (reference §6.4): assigned to a resident with a targeted task and an
 * upfront tip, paused (its open task withdrawn), resumed (a fresh task), tipped, and —
 * once its task was approved — approved by an operator, which pays the completion reward
 * exactly once: the reward is one ledger key, so two approvals, even made offline at the
 * same time, are one payment after the merge. States follow src/domain/quests/quest.ts.
 */
import { z } from "zod"
import { Id, LIMITS, Usd, type Actor, type ActorKind, type QuestDoc, type Task } from "../../../schemas/index.ts"
import { QUEST_DEFAULTS, ledgerKeys } from "../wallets/economy.ts"
import { newId } from "../../core/ids.ts"
import {
  DEFAULT_QUEST_BUDGET_USD,
  QuestTransitionError,
  WITHDRAWABLE_ON_PAUSE,
  assertQuestMove,
  questPrompt,
  questStateForTask,
  questTaskBudget,
  type QuestState,
} from "./quest.ts"
import { TERMINAL_STATUSES } from "../tasks/taskMachine.ts"
import { OperatorActionError, addTask, decideTask, parseInput, type OperatorContext } from "../../workspace/operatorActions.ts"
import { Tokens, createQuest, postMessage, questRef, residentOf, roomText, type QuestRef } from "../../workspace/socialActions.ts"
import { grant, openWallets } from "../wallets/actions.ts"
import type { Workspace } from "../../workspace/workspace.ts"

function move(quest: QuestDoc, to: QuestState, actor: ActorKind): void {
  try {
    assertQuestMove(quest, to, actor)
  } catch (error) {
    if (error instanceof QuestTransitionError) throw new OperatorActionError(error.message)
    throw error
  }
}

function setState(ref: QuestRef, to: QuestState, now: number, extra: (d: QuestDoc) => void = () => {}): void {
  ref.handle.change(d => {
    d.state = to
    d.updatedAt = now
    extra(d)
  })
}

/** Enqueues the quest's targeted task (prompt and budget band from src/domain/quests/quest.ts). */
async function enqueueQuestTask(ctx: OperatorContext, quest: QuestDoc): Promise<Task> {
  if (!quest.identity) throw new OperatorActionError(`quest ${quest.id} has no resident; set one before it can run`)
  const resident = await residentOf(ctx.workspace, quest.identity)
  return await addTask(ctx, {
    title: quest.title,
    prompt: questPrompt(quest, resident.name),
    ...questTaskBudget(quest.budgetUsd),
    targetIdentity: resident.id,
    link: { kind: "quest", id: quest.id },
  })
}

export const AssignQuestInput = z
  .object({
    title: z.string().trim().min(1, "a quest needs a title").max(LIMITS.title),
    objective: z.string().trim().min(1, "a quest needs an objective").max(LIMITS.objective),
    identity: Id,
    budgetUsd: Usd.default(DEFAULT_QUEST_BUDGET_USD),
    upfrontTip: Tokens.default(QUEST_DEFAULTS.upfrontTip),
    completionReward: Tokens.default(QUEST_DEFAULTS.completionReward),
  })
  .strict()
export type AssignQuestInput = z.input<typeof AssignQuestInput>

export interface AssignedQuest {
  quest: QuestDoc & { url: string }
  task: Task
  /** Tokens of the upfront tip written (0: none configured). */
  upfrontPaid: number
}

/**
 * Assigns a quest to a resident: the quest document, its targeted task, the upfront tip,
 * `[quest assigned to <name>] <title>: <objective>` in human_async, an audit entry.
 */
export async function assignQuest(ctx: OperatorContext, input: AssignQuestInput): Promise<AssignedQuest> {
  const e = parseInput(AssignQuestInput, input)
  const resident = await residentOf(ctx.workspace, e.identity)
  const now = ctx.now ?? Date.now()
  const created = await createQuest({ ...ctx, now }, e)
  const task = await enqueueQuestTask({ ...ctx, now }, created)
  const ref = await questRef(ctx.workspace, created.id)
  ref.handle.change(d => {
    d.taskId = task.id
  })
  let upfrontPaid = 0
  if (e.upfrontTip > 0) {
    const key = ledgerKeys.questUpfront(created.id)
    const written = await grant(await openWallets(ctx.workspace), { key, identity: resident.id, amount: e.upfrontTip, reason: `upfront tip for quest ${created.id}`, at: now }, ctx.audit.signer)
    if (written === "written") upfrontPaid = e.upfrontTip
  }
  await postMessage({ ...ctx, now }, "human_async", { content: roomText(`[quest assigned to ${resident.name}] ${e.title}: ${e.objective}`) })
  await ctx.audit.append(upfrontPaid ? "payout" : "social", created.id, { quest: "assigned", resident: resident.id, task: task.id, upfrontTip: upfrontPaid })
  return { quest: { ...created, taskId: task.id }, task, upfrontPaid }
}

/** Cancels the quest's task if a worker has not handed it in yet; returns its id when it did. */
async function withdrawTask(ctx: OperatorContext, quest: QuestDoc, reason: string): Promise<string | undefined> {
  const task = quest.taskId ? ctx.workspace.tasks.get(quest.taskId) : undefined
  if (!task || !WITHDRAWABLE_ON_PAUSE.has(task.status)) return undefined
  await decideTask(ctx, task.id, "cancel", { reason })
  return task.id
}

/** Pauses an active quest, withdrawing its open task (reason "quest paused"). */
export async function pauseQuest(ctx: OperatorContext, id: string): Promise<{ withdrawnTask?: string }> {
  const ref = await questRef(ctx.workspace, id)
  move(ref.quest, "paused", "operator")
  const now = ctx.now ?? Date.now()
  const withdrawn = await withdrawTask(ctx, ref.quest, "quest paused")
  setState(ref, "paused", now)
  await ctx.audit.append("social", id, { quest: "paused", ...(withdrawn ? { withdrawnTask: withdrawn } : {}) })
  return withdrawn ? { withdrawnTask: withdrawn } : {}
}

/**
 * Resumes a paused (or failed) quest: a fresh task with the current objective, unless its
 * task is still open (a pause does not withdraw work awaiting review).
 */
export async function resumeQuest(ctx: OperatorContext, id: string): Promise<{ taskId: string; fresh: boolean }> {
  const ref = await questRef(ctx.workspace, id)
  move(ref.quest, "active", "operator")
  const now = ctx.now ?? Date.now()
  const open = ref.quest.taskId ? ctx.workspace.tasks.get(ref.quest.taskId) : undefined
  const keep = open && !TERMINAL_STATUSES.has(open.status) ? open : undefined
  const task = keep ?? (await enqueueQuestTask({ ...ctx, now }, ref.quest))
  setState(ref, "active", now, d => {
    d.taskId = task.id
  })
  await ctx.audit.append("social", id, { quest: "resumed", task: task.id, fresh: !keep })
  return { taskId: task.id, fresh: !keep }
}

/** Cancels a quest for good (from active, paused or failed), withdrawing its open task. */
export async function cancelQuest(ctx: OperatorContext, id: string): Promise<{ withdrawnTask?: string }> {
  const ref = await questRef(ctx.workspace, id)
  move(ref.quest, "cancelled", "operator")
  const withdrawn = await withdrawTask(ctx, ref.quest, "quest cancelled")
  setState(ref, "cancelled", ctx.now ?? Date.now())
  await ctx.audit.append("social", id, { quest: "cancelled", ...(withdrawn ? { withdrawnTask: withdrawn } : {}) })
  return withdrawn ? { withdrawnTask: withdrawn } : {}
}

const TipAmount = z.number().int("a tip is a whole number of tokens").positive("a tip is at least 1 token").max(100_000)

/** A manual tip to the quest's resident; every tip is its own ledger entry. */
export async function tipQuest(ctx: OperatorContext, id: string, amount: number = QUEST_DEFAULTS.manualTip): Promise<{ key: string; amount: number }> {
  const tokens = parseInput(TipAmount, amount)
  const { quest } = await questRef(ctx.workspace, id)
  if (!quest.identity) throw new OperatorActionError(`quest ${id} has no resident to tip`)
  const now = ctx.now ?? Date.now()
  const key = ledgerKeys.questTip(id, newId("tip", now))
  await grant(await openWallets(ctx.workspace), { key, identity: quest.identity, amount: tokens, reason: `tip on quest ${id}`, at: now }, ctx.audit.signer)
  await ctx.audit.append("payout", id, { quest: "tip", resident: quest.identity, key, amount: tokens })
  return { key, amount: tokens }
}

export type ApproveQuestResult = { paid: true; amount: number } | { paid: false; reason: "already paid" | "already approved" }

/**
 * An operator approves a quest whose task was approved: the completion reward is paid under
 * `quest:<id>:completion`, the quest becomes completed. A second approval pays nothing and
 * says why: "already paid" when this peer sees the reward's entry, "already approved" when
 * it sees the quest completed (its reward entry not synced yet, or no reward set). Two
 * approvals made offline each write the same key: one entry, one payment after the merge.
 */
export async function approveQuest(ctx: OperatorContext, id: string): Promise<ApproveQuestResult> {
  const ref = await questRef(ctx.workspace, id)
  const { quest } = ref
  if (quest.state === "active" || quest.state === "paused")
    throw new OperatorActionError(`quest ${id} is ${quest.state}: it can be approved once its task was approved (the quest is then awaiting approval)`)
  if (quest.state !== "completed") move(quest, "completed", "operator")
  const wallets = await openWallets(ctx.workspace)
  const key = ledgerKeys.questCompletion(id)
  const now = ctx.now ?? Date.now()
  const complete = () => {
    if (quest.state === "completed") return
    setState(ref, "completed", now, d => {
      d.approvedBy = ctx.actor.name
      d.approvedAt = now
    })
  }
  if (Object.prototype.hasOwnProperty.call(wallets.doc().entries, key)) {
    complete()
    return { paid: false, reason: "already paid" }
  }
  if (quest.state === "completed") return { paid: false, reason: "already approved" }
  if (!quest.identity) throw new OperatorActionError(`quest ${id} has no resident to pay`)
  const amount = quest.completionReward
  const written = amount > 0 ? await grant(wallets, { key, identity: quest.identity, amount, reason: `quest ${id} completed`, at: now }, ctx.audit.signer) : "written"
  complete()
  if (written === "exists") return { paid: false, reason: "already paid" }
  await ctx.audit.append("payout", id, { quest: "approved", resident: quest.identity, key, amount })
  return { paid: true, amount }
}

/**
 * What the relay does when a quest's task settles: approved → awaiting_approval, failed →
 * failed (src/domain/quests/quest.ts questStateForTask). Idempotent: nothing changes when the quest
 * already moved, or the task is not its current one.
 */
export async function followQuestTask(workspace: Workspace, task: Task, by: Actor, now = Date.now()): Promise<QuestState | undefined> {
  if (task.link?.kind !== "quest") return undefined
  const ref = await questRef(workspace, task.link.id)
  const to = questStateForTask(ref.quest, task)
  if (!to) return undefined
  move(ref.quest, to, by.kind)
  setState(ref, to, now)
  return to
}
