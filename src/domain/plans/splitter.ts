/**
 * The deterministic splitter: a compound request cut into the pieces of work it names,
 * each with a facet and the steps it waits for. Planning works with no LLM at all: when a
 * model's plan is unusable, this one is offered instead.
 */
import { MAX_PLAN_STEPS, PLAN_FACETS, type PlanFacet, type PlanReply, type PlanStepDraft } from "../../../schemas/index.ts"
import { CONNECTORS } from "./gutCheck.ts"
import { extractIntent, FILLER, sentencesOf } from "./intent.ts"

/** Most pieces the splitter makes (the original's default). */
export const DEFAULT_MAX_STEPS = 5
const MIN_PIECE = 8
const DESCRIPTIVE = /^(?:with|using|via|for|including|without|where|when|while|because)\b/i
const BULLET = /^\s*(?:[-*•]|\d+[.)])\s*/
/** A sentence that limits the work rather than naming some: carried in the intent, never a step. */
const NOT_WORK = /^(?:don't|do not|never|avoid|no need to|it (?:must|should|needs? to)|must|always|make sure)\b/i

const FACET_WORDS: [PlanFacet, RegExp][] = [
  ["strategy", /\b(?:plan|design|outline|research|investigate|decide|strategy|architecture)\w*/i],
  ["review", /\b(?:review|audit|verify|test|check|validate)\w*/i],
  ["document", /\b(?:doc|docs|document|documentation|summari[sz]e|summary|write up|explain|readme)\w*/i],
  ["build", /\b(?:build|implement|code|fix|refactor|add|create|make|update)\w*/i],
]

/** The facet a piece of work reads as (build when nothing says otherwise). */
export function facetOf(text: string): PlanFacet {
  return FACET_WORDS.find(([, words]) => words.test(text))?.[0] ?? "build"
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length

/** Commas split a line when the parts read as separate pieces of work, not as one described piece. */
function commaParts(line: string): string[] {
  const parts = line.split(",").map(p => p.trim()).filter(Boolean)
  if (parts.length < 2) return [line]
  const separate = parts.length >= 3 || CONNECTORS.test(line) || (!parts.slice(1).some(p => DESCRIPTIVE.test(p)) && parts.every(p => words(p) >= 2))
  return separate ? parts : [line]
}

/** The pieces of work a request names, in order, each once. */
export function featuresOf(text: string, max = DEFAULT_MAX_STEPS): string[] {
  const lines = text
    .split("\n")
    .map(l => l.replace(BULLET, "").trim())
    .filter(Boolean)
    // A colon ends a clause only before a space: a URL's or a time's colon is part of the words.
    .flatMap(l => l.split(/;|:(?=\s|$)/))
    .map(l => l.trim())
    .filter(Boolean)
  const pieces = lines.flatMap(line => {
    const sentences = sentencesOf(line)
    const bySentence = sentences.length > 1 && sentences.every(s => words(s) >= 4)
    return (bySentence ? sentences : commaParts(line)).flatMap(p => p.split(new RegExp(`\\s*,?\\s*${CONNECTORS.source}\\s*`, "i")))
  })
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of pieces) {
    const piece = raw.replace(FILLER, "").replace(/^(?:and|or)\s+/i, "").replace(/(?:[\s,]+(?:and|or))?[\s,.;]*$/i, "").trim()
    const key = piece.toLowerCase()
    if (piece.length < MIN_PIECE || NOT_WORK.test(piece) || seen.has(key)) continue
    seen.add(key)
    out.push(piece)
    if (out.length === max) break
  }
  return out
}

const rank = (facet: PlanFacet) => Math.min(PLAN_FACETS.indexOf(facet), 2) // review and document come after building, side by side

/**
 * Each step waits for the steps of the nearest earlier stage (strategy, then build, then
 * review and document) that come before it; steps of one stage run side by side.
 */
export function stageDependencies(facets: readonly PlanFacet[]): number[][] {
  return facets.map((facet, i) => {
    const earlier = facets.slice(0, i).map((f, j) => ({ j, r: rank(f) })).filter(({ r }) => r < rank(facet))
    const stage = Math.max(-1, ...earlier.map(e => e.r))
    return earlier.filter(e => e.r === stage).map(e => e.j)
  })
}

const titleOf = (piece: string) => {
  const title = piece.length > 80 ? `${piece.slice(0, 79).trimEnd()}…` : piece
  return title.charAt(0).toUpperCase() + title.slice(1)
}

/** The splitter's plan of `request`, or undefined when it names fewer than two pieces of work. */
export function splitRequest(request: string, opts: { maxSteps?: number } = {}): PlanReply | undefined {
  const max = Math.min(opts.maxSteps ?? DEFAULT_MAX_STEPS, MAX_PLAN_STEPS)
  const intent = extractIntent(request)
  const goal = intent.goal.replace(/[\s.!?]+$/, "")
  const pieces = featuresOf(request, max)
  if (pieces.length < 2) return undefined
  const facets = pieces.map(facetOf)
  const dependsOn = stageDependencies(facets)
  const limits = [...intent.constraints.map(c => `Constraint: ${c}`), ...intent.antiGoals.map(a => `Do not: ${a}`)]
  const steps: PlanStepDraft[] = pieces.map((piece, i) => ({
    title: titleOf(piece),
    prompt: [`Focus: ${piece}. Deliver the smallest complete, checkable result for this step.`, ...limits].join("\n").slice(0, 4_000),
    facet: facets[i]!,
    dependsOn: dependsOn[i]!,
  }))
  return { goal: (goal || pieces[0]!).slice(0, 500), steps }
}
