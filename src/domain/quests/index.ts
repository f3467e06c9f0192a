/** The quests concept's public face: what the views, the CLI, the relay and the worker use. */
export { approveQuest, type ApproveQuestResult, assignQuest, cancelQuest, editQuestObjective, followQuestTask, pauseQuest, type QuestEdit, resumeQuest, tipQuest, updateQuest } from "./actions.ts"
export { authorizeQuestChange } from "./authority.ts"
export { canMoveQuest, DEFAULT_QUEST_BUDGET_USD } from "./quest.ts"
export { questWork, type QuestWait, type QuestWork } from "./questWork.ts"
