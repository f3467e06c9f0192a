/** The quests concept's public face: what the views, the CLI, the relay and the worker use. */
export { approveQuest, type ApproveQuestResult, assignQuest, cancelQuest, editQuestObjective, followQuestTask, pauseQuest, questRef, quests, resumeQuest, tipQuest, updateQuest } from "./actions.ts"
export { authorizeQuestChange } from "./authority.ts"
export { AssignQuestInput, NewQuestInput, QUEST_BUDGET_RANGE, QuestEdit, QuestFields } from "./inputs.ts"
export { canMoveQuest, DEFAULT_QUEST_BUDGET_USD } from "./quest.ts"
export { questWork, type QuestWait, type QuestWork } from "./questWork.ts"
