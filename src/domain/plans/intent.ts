/**
 * Intent extraction, deterministic: the goal, the constraints, the preferences and what
 * not to do, read from a request's sentences. A plan carries it so every step (and the
 * reviewer) can check the result against what was asked.
 */

export interface Intent {
  goal: string
  constraints: string[]
  preferences: string[]
  antiGoals: string[]
  /** 0.5–1: how much of the request these rules could read. */
  confidence: number
}

const ACTION = /\b(?:create|build|implement|add|fix|update|refactor|modify|change|make|generate|write)\b/i
const CONSTRAINT = /\b(?:must|don't|never|always|only|require|requires|need|needs|important|critical|essential|mandatory)\b/i
const PREFERENCE = /\b(?:prefer|if possible|ideally|would be nice|optionally|bonus|extra|also)\b/i
const ANTI_GOAL = /\b(?:don't|do not|never|avoid|skip|without|no need to|exclude|leave out|ignore)\s+([^,;.!?]+)/gi

/** Leading politeness that says nothing about the work. */
export const FILLER = /^(?:please|can you|could you|i want you to|let's)\s+/i

export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map(s => s.trim())
    .filter(Boolean)
}

const stripFiller = (s: string) => s.replace(FILLER, "").trim()

export function extractIntent(text: string): Intent {
  const sentences = sentencesOf(text)
  const goal = stripFiller(sentences.find(s => ACTION.test(s)) ?? sentences[0] ?? "")
  const constraints = sentences.filter(s => CONSTRAINT.test(s)).map(stripFiller)
  const preferences = sentences.filter(s => PREFERENCE.test(s) && !CONSTRAINT.test(s)).map(stripFiller)
  const antiGoals = [...text.matchAll(ANTI_GOAL)].map(m => m[1]!.trim()).filter(Boolean)
  let confidence = 0.5
  if (goal.length > 10) confidence += 0.2
  confidence += 0.1 * Math.min(3, constraints.length)
  if (text.length >= 50 && text.length <= 500) confidence += 0.1
  return { goal, constraints, preferences, antiGoals, confidence: Math.min(1, Math.round(confidence * 100) / 100) }
}
