/** Skills: ways of doing one kind of task that worked, routed to by name or likeness, grown from patterns, used once an operator approves them. */
export { CANDIDATE_FLOOR, choicePrompt, cosine, MAX_CANDIDATES, readChoice, routeTask, SIMILAR_THRESHOLD, termFrequencies, type RouteDecision } from "./routing.ts"
export { fillTemplate, placeholdersOf, templateProblem } from "./template.ts"
export { draftSkill, patternOf, PROMOTE_AFTER, skillIdOf, skillsToPropose } from "./promotion.ts"
export { countRun, COUNTED_KEPT, figuresOf, type SkillFigures } from "./metrics.ts"
export { SkillEdit, SkillInput } from "./inputs.ts"
export { addSkill, decideSkill, editSkill, openSkills, skillsOf, type SkillDecision } from "./actions.ts"
export { applySkillDraft, countSkillUse, proposeSkills } from "./consequences.ts"
export { readSkillDraft, skillDraftTaskId } from "./drafting.ts"
