/**
 * What an operator asks for when assigning or editing a quest, as zod inputs: the CLI's
 * `quest assign` flags and the PWA's quest forms are built from these, so a field's rule,
 * its limits and its message are written once.
 */
import { z } from "zod"
import { Id, LIMITS, QuestState, Usd } from "../../../schemas/index.ts"
import { QUEST_DEFAULTS } from "../wallets/economy.ts"
import { Tokens } from "../wallets/inputs.ts"
import { DEFAULT_QUEST_BUDGET_USD } from "./quest.ts"

/** A quest's budget in USD: the LLM spend of its task. */
export const QUEST_BUDGET_RANGE = { min: Usd.minValue ?? 0, max: Usd.maxValue ?? Number.MAX_SAFE_INTEGER } as const
const QUEST_BUDGET_RULE = `a quest budget is a USD amount from ${QUEST_BUDGET_RANGE.min} to ${QUEST_BUDGET_RANGE.max}, such as 0.20`
const QuestBudget = z.number({ error: QUEST_BUDGET_RULE }).min(QUEST_BUDGET_RANGE.min, QUEST_BUDGET_RULE).max(QUEST_BUDGET_RANGE.max, QUEST_BUDGET_RULE)

/** The fields a quest is assigned and edited with. */
export const QuestFields = {
  title: z.string().trim().min(1, "a quest needs a title").max(LIMITS.title, `a title is at most ${LIMITS.title} characters`),
  objective: z.string().max(LIMITS.objective, `the objective is longer than ${LIMITS.objective} characters`),
  budgetUsd: QuestBudget,
  upfrontTip: Tokens,
  completionReward: Tokens,
}

export const NewQuestInput = z
  .object({
    title: QuestFields.title,
    objective: QuestFields.objective.default(""),
    identity: Id.optional(),
    budgetUsd: QuestFields.budgetUsd,
    upfrontTip: QuestFields.upfrontTip.default(0),
    completionReward: QuestFields.completionReward.default(0),
  })
  .strict()
export type NewQuestInput = z.input<typeof NewQuestInput>

/** Fields an operator may change on a quest (the objective is edited as collaborative text). */
export const QuestEdit = z
  .object({
    title: QuestFields.title,
    /** Accepted only unchanged: states move through pause/resume/cancel/approve. */
    state: QuestState,
    identity: Id.nullable(),
    budgetUsd: QuestFields.budgetUsd,
    upfrontTip: QuestFields.upfrontTip,
    completionReward: QuestFields.completionReward,
  })
  .partial()
  .strict()
export type QuestEdit = z.input<typeof QuestEdit>

/** A quest assigned to a resident: the PWA's assign form and `vivarium quest assign`. */
export const AssignQuestInput = z
  .object({
    title: QuestFields.title,
    objective: z.string().trim().min(1, "a quest needs an objective").pipe(QuestFields.objective),
    identity: Id,
    budgetUsd: QuestFields.budgetUsd.default(DEFAULT_QUEST_BUDGET_USD),
    upfrontTip: QuestFields.upfrontTip.default(QUEST_DEFAULTS.upfrontTip),
    completionReward: QuestFields.completionReward.default(QUEST_DEFAULTS.completionReward),
  })
  .strict()
export type AssignQuestInput = z.input<typeof AssignQuestInput>
