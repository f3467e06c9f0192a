/**
 * A quest's life (reference §6.4): assigned to a resident with a targeted task and an
 * upfront tip, paused (its open task withdrawn), resumed (a fresh task), tipped, and —
 * once its task was approved — approved by an operator, which pays the completion reward
 * exactly once: the reward is one ledger key, so two approvals, even made offline at the
 * same time, are one payment after the merge. States follow src/domain/quests/quest.ts.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { updateText } from "@automerge/automerge/slim"
import { z } from "zod"
import { LIMITS, QuestDoc, QuestIndexEntry, QuestState, SCHEMA_VERSION, type Actor, type ActorKind, type QuestIndexDoc, type Task } from "../../../schemas/index.ts"
import { QUEST_DEFAULTS, ledgerKeys } from "../wallets/economy.ts"
import { newId } from "../../core/ids.ts"
import {
  DEFAULT_QUEST_BUDGET_USD,
  QUEST_TRANSITIONS,
  QuestTransitionError,
  WITHDRAWABLE_ON_PAUSE,
  assertQuestMove,
  questPrompt,
  questStateForTask,
  questTaskBudget,
} from "./quest.ts"
import { movesBy, TERMINAL_STATUSES } from "../tasks/taskMachine.ts"
import { OperatorActionError, openDoc, parseInput, type OperatorContext, type SocialContext } from "../../workspace/actionContext.ts"
import { readQuest, readQuestIndex } from "../../workspace/documentReaders.ts"
import { addTask, decideTask } from "../tasks/actions.ts"
import { AssignQuestInput, NewQuestInput, QuestEdit } from "./inputs.ts"
import { announce } from "../rooms/actions.ts"
import { residentOf } from "../residents/actions.ts"
import { grant, openWallets } from "../wallets/actions.ts"
import { ledgerHas } from "../wallets/segments.ts"
import type { Workspace } from "../../workspace/workspace.ts"

// ── the quest document (the lifecycle with its task and payouts follows) ──

async function assertResident(ctx: SocialContext, id: string | undefined | null): Promise<void> {
  if (id) await residentOf(ctx.workspace, id)
}

/**
 * Writes a quest's own document, then lists it in the quest index. Only the document: it
 * enqueues no task and pays nothing (assignQuest below does both).
 */
export async function createQuest(ctx: SocialContext, input: NewQuestInput): Promise<QuestDoc & { url: string }> {
  const e = parseInput(NewQuestInput, input)
  await assertResident(ctx, e.identity)
  const now = ctx.now ?? Date.now()
  const quest = parseInput(QuestDoc, {
    schemaVersion: SCHEMA_VERSION,
    kind: "quest",
    id: newId("quest", now),
    title: e.title,
    objective: e.objective,
    ...(e.identity ? { identity: e.identity } : {}),
    budgetUsd: e.budgetUsd,
    upfrontTip: e.upfrontTip,
    completionReward: e.completionReward,
    state: "active",
    createdBy: ctx.actor.name,
    createdAt: now,
    updatedAt: now,
  })
  const index = await openDoc<QuestIndexDoc>(ctx.workspace, ctx.workspace.root.docs.quests)
  const handle = ctx.workspace.repo.create<QuestDoc>(quest)
  index.change(d => {
    d.quests[quest.id] = { id: quest.id, title: quest.title, url: handle.url, createdAt: now }
  })
  return { ...quest, url: handle.url }
}

export interface QuestRef {
  entry: z.infer<typeof QuestIndexEntry>
  index: DocHandle<QuestIndexDoc>
  handle: DocHandle<QuestDoc>
  /** The validated quest as it is now. */
  quest: QuestDoc
}

/** The quest `id` from the index, validated; a refusal when missing or unreadable. */
export async function questRef(workspace: Workspace, id: string): Promise<QuestRef> {
  const index = await openDoc<QuestIndexDoc>(workspace, workspace.root.docs.quests)
  const entry = readQuestIndex(index.doc(), `quests ${index.url}`, []).get(id)
  if (!entry) throw new OperatorActionError("not_found", { thing: "quest", id })
  const handle = await openDoc<QuestDoc>(workspace, entry.url)
  const quest = readQuest(handle.doc(), `quest ${handle.url}`, [])
  if (!quest) throw new OperatorActionError("unreadable", { thing: "quest", id })
  return { entry, index, handle, quest }
}

/** Every readable quest, oldest first (each quest's own document is opened). */
export async function quests(workspace: Workspace): Promise<QuestDoc[]> {
  const index = await openDoc<QuestIndexDoc>(workspace, workspace.root.docs.quests)
  const entries = [...readQuestIndex(index.doc(), `quests ${index.url}`, []).values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  const out: QuestDoc[] = []
  for (const entry of entries) {
    const handle = await openDoc<QuestDoc>(workspace, entry.url)
    const quest = readQuest(handle.doc(), `quest ${handle.url}`, [])
    if (quest) out.push(quest)
  }
  return out
}

export async function updateQuest(ctx: SocialContext, id: string, edit: QuestEdit): Promise<void> {
  const e = parseInput(QuestEdit, edit)
  await assertResident(ctx, e.identity)
  const { index, handle, quest: current } = await questRef(ctx.workspace, id)
  if (e.state !== undefined && e.state !== current.state)
    throw new OperatorActionError("quest_state_by_action", { id, state: current.state })
  const now = ctx.now ?? Date.now()
  handle.change(d => {
    for (const key of ["title", "budgetUsd", "upfrontTip", "completionReward"] as const)
      if (e[key] !== undefined && e[key] !== current[key]) (d as Record<string, unknown>)[key] = e[key]
    if (e.identity === null) delete d.identity
    else if (e.identity !== undefined) d.identity = e.identity
    d.updatedAt = now
  })
  if (e.title !== undefined && e.title !== current.title)
    index.change(d => {
      const entry = d.quests[id]
      if (entry) entry.title = e.title!
    })
}

/**
 * Replaces the quest's objective by `text` as minimal splices (updateText diffs old and
 * new), so two operators typing at once merge character by character.
 */
export function editQuestObjective(handle: DocHandle<unknown>, text: string, now = Date.now()): void {
  if (text.length > LIMITS.objective) throw new OperatorActionError("too_long", { what: "objective", max: LIMITS.objective })
  const doc = handle.doc() as Partial<QuestDoc> | undefined
  if (doc?.kind !== "quest" || typeof doc.objective !== "string") throw new OperatorActionError("not_a_quest_document")
  if (doc.objective === text) return
  handle.change(d => {
    const quest = d as QuestDoc
    updateText(quest, ["objective"], text)
    quest.updatedAt = now
  })
}

// ── the lifecycle ──

function move(quest: QuestDoc, to: QuestState, actor: ActorKind): void {
  try {
    assertQuestMove(quest, to, actor)
  } catch (error) {
    if (!(error instanceof QuestTransitionError)) throw error
    const { questId: id, from, to: target } = error
    const allowed = QUEST_TRANSITIONS[from][target]
    if (allowed) throw new OperatorActionError("quest_moved_by_others", { id, from, to: target, allowed })
    throw new OperatorActionError("quest_wrong_state", { id, from, to: target, moves: movesBy(QUEST_TRANSITIONS[from], "operator") })
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
  if (!quest.identity) throw new OperatorActionError("quest_needs_resident", { id: quest.id, purpose: "run" })
  const resident = await residentOf(ctx.workspace, quest.identity)
  return await addTask(ctx, {
    title: quest.title,
    prompt: questPrompt(quest, resident.name),
    ...questTaskBudget(quest.budgetUsd),
    targetIdentity: resident.id,
    link: { kind: "quest", id: quest.id },
  })
}

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
  await announce({ ...ctx, now }, "human_async", `[quest assigned to ${resident.name}] ${e.title}: ${e.objective}`)
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
  if (!quest.identity) throw new OperatorActionError("quest_needs_resident", { id, purpose: "tip" })
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
    throw new OperatorActionError("quest_not_awaiting_approval", { id, state: quest.state })
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
  if (ledgerHas(wallets, key)) {
    complete()
    return { paid: false, reason: "already paid" }
  }
  if (quest.state === "completed") return { paid: false, reason: "already approved" }
  if (!quest.identity) throw new OperatorActionError("quest_needs_resident", { id, purpose: "pay" })
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
