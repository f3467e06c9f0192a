/**
 * Who may change quests: operators create them (active, by themselves), edit their title,
 * objective, resident, budget and tokens, and move them as src/domain/quests/quest.ts lets an
 * operator (pause, resume, cancel, approve: approvedBy themselves). The relay moves a quest
 * when its task settles. The quest index lists each quest once; only its title follows edits.
 */
import type { z } from "zod"
import type { QuestDoc, QuestIndexEntry as QuestIndexEntrySchema } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { canMoveQuest } from "./quest.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

type QuestIndexEntry = z.infer<typeof QuestIndexEntrySchema>

/** Quest fields an operator edits (actions.ts: updateQuest, editQuestObjective and the lifecycle). */
export const OPERATOR_QUEST_FIELDS = ["title", "objective", "identity", "budgetUsd", "upfrontTip", "completionReward", "taskId", "updatedAt", "state", "approvedBy", "approvedAt"] as const

export function authorizeQuestIndexChange(before: QuestIndexEntry | undefined, after: QuestIndexEntry | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (after && after.id !== ctx.key) return refused(`quest ${after.id} is stored under the key ${ctx.key}: a quest's key must be its id`)
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators create and edit quests`)
  if (!after) return refused(`quest ${ctx.key} cannot be removed from the index (cancel it instead)`)
  if (!before) return ALLOWED
  const other = changedFields(before, after).filter(f => f !== "title")
  if (other.length) return refused(`quest ${ctx.key}: the index follows the quest's title only; ${other.join(", ")} never change`)
  return ALLOWED
}

export function authorizeQuestChange(before: QuestDoc | undefined, after: QuestDoc | undefined, who: Principal): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators create and edit quests`)
  if (!after) return refused("a quest document is never emptied (cancel the quest instead)")
  if (!before) {
    if (after.state !== "active") return refused(`a new quest starts active, not ${after.state}`)
    if (!isSelf(after.createdBy, who)) return refused(`quest ${after.id} says it was created by ${after.createdBy}, but ${who.peer} wrote it`)
    if (after.approvedBy !== undefined) return refused(`a new quest is not approved yet (${after.id})`)
    return ALLOWED
  }
  const changed = changedFields(before, after)
  const other = changed.filter(f => !(OPERATOR_QUEST_FIELDS as readonly string[]).includes(f))
  if (other.length) return refused(`quest ${after.id}: ${other.join(", ")} never change`)
  if (before.state !== after.state && !canMoveQuest(before.state, after.state, "operator"))
    return refused(`quest ${after.id} is ${before.state}: an operator cannot move it to ${after.state}`)
  if (changed.includes("approvedBy") || changed.includes("approvedAt")) {
    // Completing it, or a second operator's approval made offline merging into a completed quest:
    // the merge keeps each field's own winner, so the approver can stay the first one while the
    // time becomes the second one's.
    if (after.state !== "completed") return refused(`quest ${after.id}: approvedBy is written when an operator completes the quest`)
    const mergedIntoApproval = before.state === "completed" && after.approvedBy === before.approvedBy
    if (!isSelf(after.approvedBy, who) && !mergedIntoApproval) return refused(`quest ${after.id}: ${who.peer} cannot record ${after.approvedBy} as the approving operator`)
  }
  return ALLOWED
}
