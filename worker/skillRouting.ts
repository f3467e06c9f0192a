/**
 * The worker's side of skills: routes a task by the rules of src/domain/skills (exact name,
 * then likeness), asking the model to choose only among close candidates. A model's reply
 * that is not usable is asked once more, then the task runs on no skill with a note saying
 * why; routing never fails a task.
 */
import type { Skill, SkillRoute, Task } from "../schemas/index.ts"
import { choicePrompt, fillTemplate, readChoice, routeTask, skillsOf } from "../src/domain/skills/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { billed, type BilledCall } from "./execute.ts"
import type { LlmClient } from "./llm.ts"

/** The model that picks among candidates: the cheapest, as the choice is short. */
export const ROUTING_MODEL = "llama-3.1-8b-instant" as const
const ATTEMPTS = 2

export interface Routed {
  route: SkillRoute
  skill?: Skill
  /** The skill's template filled for this task. */
  filled?: string
}

export interface RoutingContext {
  llm?: LlmClient | undefined
  signal?: AbortSignal
  onCall?: (call: BilledCall) => void
}

/** How `task` is routed; undefined for what is not routed (commands, a plan's task). */
export async function routeWithSkills(ws: Workspace, task: Task, ctx: RoutingContext): Promise<Routed | undefined> {
  if (task.mode !== "llm" || task.plan) return undefined
  let skills: Skill[]
  try {
    skills = [...(await skillsOf(ws)).values()]
  } catch {
    return { route: { kind: "none", confidence: 1, note: "the skills could not be read yet" } }
  }
  const text = `${task.title}\n${task.prompt ?? ""}`
  const decision = routeTask(text, skills)
  if (decision.kind === "routed") return decision.skill ? { route: decision.route, skill: decision.skill, filled: fillTemplate(decision.skill, {}) } : { route: decision.route }
  if (!ctx.llm) return { route: { kind: "none", confidence: 1, note: `${decision.candidates.length} skills are close, and this worker has no model to choose among them` } }
  let problem = ""
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const answer = await ctx.llm.complete({
      model: ROUTING_MODEL,
      prompt: choicePrompt(text, decision.candidates),
      maxTokens: 200,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onAttempt: billed(ROUTING_MODEL, ctx.onCall),
    })
    try {
      const choice = readChoice(answer.text, decision.candidates)
      if (!choice.picked) return { route: { kind: "none", confidence: choice.confidence, note: "the model found no candidate skill fits" } }
      return { route: { kind: "llm", skill: choice.picked.id, confidence: choice.confidence }, skill: choice.picked, filled: fillTemplate(choice.picked, choice.params) }
    } catch (error) {
      problem = (error as Error).message
    }
  }
  return { route: { kind: "none", confidence: 1, note: `the model's choice was not usable (${problem}); the task runs on no skill`.slice(0, 300) } }
}
