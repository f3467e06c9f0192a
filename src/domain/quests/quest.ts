/**
 * The quest state machine (reference §6.4), one table for every peer:
 *
 *   active ──operator──► paused ──operator──► active
 *     │  └──system (its task approved)──► awaiting_approval ──operator──► completed
 *     └────system (its task failed)─────► failed ──operator (resume)──► active
 *   cancelled by an operator from active, paused or failed. completed and cancelled are final.
 *
 * A quest paused while its task awaited review still follows that task (system moves from
 * paused): pausing withdraws work not yet done, not work already done.
 */
import type { z } from "zod"
import { LIMITS, type ActorKind, type QuestDoc, type QuestState, type Task } from "../../../schemas/index.ts"

export type { QuestState }

type Rule = Partial<Record<QuestState, readonly ActorKind[]>>

export const QUEST_TRANSITIONS: Readonly<Record<QuestState, Rule>> = {
  active: { paused: ["operator"], awaiting_approval: ["system"], failed: ["system"], cancelled: ["operator"] },
  paused: { active: ["operator"], awaiting_approval: ["system"], failed: ["system"], cancelled: ["operator"] },
  awaiting_approval: { completed: ["operator"] },
  failed: { active: ["operator"], cancelled: ["operator"] },
  completed: {},
  cancelled: {},
}

export class QuestTransitionError extends Error {
  override readonly name = "QuestTransitionError"
  constructor(
    readonly questId: string,
    readonly from: QuestState,
    readonly to: QuestState,
    readonly actor: ActorKind,
  ) {
    const allowed = QUEST_TRANSITIONS[from][to]
    const moves = Object.keys(QUEST_TRANSITIONS[from])
    super(
      allowed
        ? `quest ${questId}: only ${allowed.join(" or ")} may move it from ${from} to ${to}, not ${actor}`
        : `quest ${questId} is ${from}; it cannot become ${to}` + (moves.length ? ` (from ${from} it can become ${moves.join(", ")})` : ` (${from} is final)`),
    )
  }
}

export function canMoveQuest(from: QuestState, to: QuestState, actor: ActorKind): boolean {
  return QUEST_TRANSITIONS[from][to]?.includes(actor) ?? false
}

export function assertQuestMove(quest: Pick<QuestDoc, "id" | "state">, to: QuestState, actor: ActorKind): void {
  if (!canMoveQuest(quest.state, to, actor)) throw new QuestTransitionError(quest.id, quest.state, to, actor)
}

/**
 * The state a quest should take from its task's status, or undefined for no change:
 * approved → awaiting_approval, failed → failed. Only the quest's current task counts
 * (a task withdrawn by a pause and replaced on resume is history).
 */
export function questStateForTask(quest: Pick<QuestDoc, "state" | "taskId">, task: Pick<Task, "id" | "status">): QuestState | undefined {
  if (quest.taskId !== task.id) return undefined
  const to = task.status === "approved" ? "awaiting_approval" : task.status === "failed" ? "failed" : undefined
  return to && canMoveQuest(quest.state, to, "system") ? to : undefined
}

// ── the quest's task ─────────────────────────────────────────────────────────

/** USD for the quest's LLM spend when the operator gives none (reference default). */
export const DEFAULT_QUEST_BUDGET_USD = 0.2

/** Budget band of the quest's task: min = max(0.01, min(0.10, budget)), max = max(min, budget). */
export function questTaskBudget(budgetUsd: number): { minBudgetUsd: number; maxBudgetUsd: number } {
  const minBudgetUsd = Math.max(0.01, Math.min(0.1, budgetUsd))
  return { minBudgetUsd, maxBudgetUsd: Math.max(minBudgetUsd, budgetUsd) }
}

const QUEST_PROMPT_TAIL =
  "\n\nRun this quest while still participating in normal resident social life: coordination, DMs, and shared room interactions stay active."

/**
 * The task prompt of a quest (reference wording). A long objective is cut to fit the
 * prompt limit, saying where the full text is.
 */
export function questPrompt(quest: Pick<QuestDoc, "id" | "objective">, residentName: string): string {
  const head = `Quest for ${residentName} (${quest.id}).\nObjective: `
  const room = LIMITS.prompt - head.length - QUEST_PROMPT_TAIL.length
  const cutNote = ` … (cut; the full objective is in quest ${quest.id})`
  if (quest.objective.length <= room) return head + quest.objective + QUEST_PROMPT_TAIL
  let end = Math.max(0, room - cutNote.length)
  if (/[\ud800-\udbff]/.test(quest.objective.charAt(end - 1))) end-- // never split a surrogate pair
  const objective = quest.objective.slice(0, end) + cutNote
  return head + objective + QUEST_PROMPT_TAIL
}

/** Task statuses a pause withdraws (cancels): the work has not been handed in yet. */
export const WITHDRAWABLE_ON_PAUSE: ReadonlySet<Task["status"]> = new Set(["queued", "requeued", "blocked", "claimed", "running"])
