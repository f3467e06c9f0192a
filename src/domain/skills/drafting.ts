/**
 * A proposed skill's words written by a model: when the relay proposes a skill and a worker
 * with a model is online, it queues a task asking for the skill as JSON (description,
 * template, typed parameters) from the tasks it came from. Once that task is approved, its
 * answer replaces the pattern's words if it is valid and its template declares what it uses;
 * otherwise the pattern's words stand, with the reason in `draftNote`. Pure rules.
 */
import { LIMITS, SkillDraftReply, type Skill, type Task } from "../../../schemas/index.ts"
import { jsonOf } from "../plans/planReply.ts"
import { templateProblem } from "./template.ts"

/** The budget of a drafting task (USD). */
export const SKILL_DRAFT_BUDGET = { minBudgetUsd: 0.005, maxBudgetUsd: 0.03 } as const

export const skillDraftTaskId = (skillId: string) => `draft-${skillId}`

/** The drafting task's title and prompt: the pattern's proposal and the prompts that worked. */
export function skillDraftTask(skill: Skill, from: readonly Pick<Task, "title" | "prompt">[]): { title: string; prompt: string } {
  const examples = from.slice(0, 5).map((t, i) => `${i + 1}. ${t.title}: ${(t.prompt ?? "").replace(/\s+/g, " ").slice(0, 300)}`)
  const prompt = [
    `Write a reusable skill from these ${from.length} approved tasks of one kind:`,
    ...examples,
    "",
    `The pattern suggests the name ${skill.name} and this template: ${skill.template}`,
    "",
    'Answer with JSON only: {"description": "one sentence: what the skill does and when to use it", "template": "the prompt, with {{parameter}} where tasks differ", "params": [{"name": "lowercase_name", "type": "string" or "number", "description": "what it holds"}]}. Declare every {{parameter}} the template uses.',
  ].join("\n")
  return { title: `Draft the skill ${skill.name}`.slice(0, LIMITS.title), prompt: prompt.slice(0, LIMITS.prompt) }
}

export type DraftOutcome = { ok: true; fields: Pick<Skill, "description" | "template" | "params">; note: string } | { ok: false; note: string }

/** What an approved drafting task's answer makes of the skill. */
export function readSkillDraft(output: string, taskId: string): DraftOutcome {
  let reply: SkillDraftReply
  try {
    const parsed = SkillDraftReply.safeParse(jsonOf(output))
    if (!parsed.success) throw new Error(parsed.error.issues.map(i => `${i.path.join(".") || "reply"}: ${i.message}`).join("; "))
    reply = parsed.data
  } catch (error) {
    return { ok: false, note: `the model's draft (${taskId}) was unusable: ${(error as Error).message}`.slice(0, 280) + "; the pattern's words stand" }
  }
  const problem = templateProblem(reply)
  if (problem) return { ok: false, note: `the model's draft (${taskId}) was unusable: ${problem}; the pattern's words stand`.slice(0, 300) }
  return { ok: true, fields: reply, note: `written by a model from its tasks (${taskId}), checked before it was kept` }
}
