/**
 * Which skill a task should use: the exact name in the task's text (confidence 1), else the
 * approved skill whose words are most like the task's (cosine of bag-of-words term
 * frequencies) at or above the threshold, else the few nearest candidates for a model to
 * choose among, else none. Pure: the worker applies it and asks the model when told to.
 */
import type { Skill, SkillChoiceReply, SkillRoute } from "../../../schemas/index.ts"
import { SkillChoiceReply as ChoiceSchema } from "../../../schemas/index.ts"
import { z } from "zod"
import { meaningfulWords } from "../../core/words.ts"
import { jsonOf } from "../plans/planReply.ts"

/** Similarity at which a skill is used without asking the model (the original's 0.8). */
export const SIMILAR_THRESHOLD = 0.8
/** Below this a skill is not even a candidate for the model. */
export const CANDIDATE_FLOOR = 0.2
/** Candidates offered to the model at most. */
export const MAX_CANDIDATES = 3

/** Meaningful words of the text (src/core/words.ts), with their counts. */
export function termFrequencies(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const word of meaningfulWords(text)) counts.set(word, (counts.get(word) ?? 0) + 1)
  return counts
}

export function cosine(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let dot = 0
  for (const [term, n] of a) dot += n * (b.get(term) ?? 0)
  const norm = (m: ReadonlyMap<string, number>) => Math.sqrt([...m.values()].reduce((s, n) => s + n * n, 0))
  const denominator = norm(a) * norm(b)
  return denominator ? dot / denominator : 0
}

/** What a skill is compared by: its name's words, description and template (parameters left out). */
const skillText = (s: Skill) => `${s.name.replace(/-/g, " ")} ${s.description} ${s.template.replace(/\{\{\s*\w+\s*\}\}/g, " ")}`

export type RouteDecision =
  | { kind: "routed"; route: SkillRoute; skill?: Skill }
  /** Close skills, none close enough: a model picks among them (or none). */
  | { kind: "ask"; candidates: { skill: Skill; similarity: number }[] }

export function routeTask(text: string, skills: readonly Skill[]): RouteDecision {
  const usable = skills.filter(s => s.state === "approved")
  const lower = text.toLowerCase()
  const named = usable.find(s => new RegExp(`(^|[^a-z0-9-])${s.name}($|[^a-z0-9-])`).test(lower))
  if (named) return { kind: "routed", skill: named, route: { kind: "exact", skill: named.id, confidence: 1 } }
  const terms = termFrequencies(text)
  const ranked = usable
    .map(skill => ({ skill, similarity: cosine(terms, termFrequencies(skillText(skill))) }))
    .filter(c => c.similarity >= CANDIDATE_FLOOR)
    .sort((a, b) => b.similarity - a.similarity || a.skill.id.localeCompare(b.skill.id))
  const best = ranked[0]
  if (best && best.similarity >= SIMILAR_THRESHOLD)
    return { kind: "routed", skill: best.skill, route: { kind: "similar", skill: best.skill.id, confidence: round(best.similarity) } }
  if (ranked.length) return { kind: "ask", candidates: ranked.slice(0, MAX_CANDIDATES) }
  return { kind: "routed", route: { kind: "none", confidence: 1, note: usable.length ? "no approved skill is like this task" : "no approved skill yet" } }
}

const round = (n: number) => Math.round(n * 1000) / 1000

/** What the model is asked when candidates are close but none close enough. */
export function choicePrompt(text: string, candidates: readonly { skill: Skill }[]): string {
  return [
    "Pick the skill that fits this task, or none. Reply with JSON only:",
    '{"skill": "<name>" or null, "confidence": 0..1, "params": {"<param>": "<value>"}}',
    "",
    "TASK:",
    text.slice(0, 2_000),
    "",
    "SKILLS:",
    ...candidates.map(({ skill }) => `- ${skill.name}: ${skill.description}${skill.params.length ? ` (params: ${skill.params.map(p => `${p.name}: ${p.type}`).join(", ")})` : ""}`),
  ].join("\n")
}

/** Reads a model's choice: a named candidate, or none; throws a sentence naming what is wrong. */
export function readChoice(reply: string, candidates: readonly { skill: Skill }[]): SkillChoiceReply & { picked?: Skill } {
  const parsed = ChoiceSchema.safeParse(jsonOf(reply))
  if (!parsed.success) throw new Error(`the choice does not have the expected shape: ${z.prettifyError(parsed.error).split("\n").slice(0, 2).join("; ")}`)
  if (parsed.data.skill === null) return parsed.data
  const picked = candidates.find(c => c.skill.name === parsed.data.skill)?.skill
  if (!picked) throw new Error(`the model chose “${parsed.data.skill}”, which is not one of the candidates`)
  return { ...parsed.data, picked }
}
