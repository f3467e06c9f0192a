/**
 * `npm run bench -- cognition`: the residents' cognition against the evaluation set in
 * bench/cognition/evalSet.ts — routing accuracy over a fixed skill library, the plans a
 * scripted reviewer accepts, the time to assemble a resident's context with 10,000 journal
 * entries (a fresh full-text index, and the worker's kept one after a new entry), and what
 * skills cost and save in prompt tokens. Pure and in process; no model is called.
 */
import type { JournalEntry } from "../schemas/index.ts"
import { DEFAULT_HATS, hatOverlay } from "../src/domain/hats/index.ts"
import { readRequest } from "../src/domain/plans/index.ts"
import { assembleContext, hatSection, MemoryIndex, RECALL, skillSection, type ContextSection } from "../src/domain/residents/index.ts"
import { recall } from "../src/domain/residents/journal.ts"
import { choicePrompt, fillTemplate, routeTask } from "../src/domain/skills/index.ts"
import { skillDraftTask } from "../src/domain/skills/drafting.ts"
import { estimatePromptTokens } from "../src/domain/tasks/index.ts"
import { LIBRARY, PLAN_CASES, ROUTE_CASES } from "./cognition/evalSet.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { ms, summarize } from "./lib/stats.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"

const CONFIG = { journalEntries: 10_000, samples: 30, targetMs: 50 }

export const suite: BenchSuite = {
  name: "cognition",
  heading: "## Resident cognition (npm run bench -- cognition)",
  description: "routing accuracy, plans a scripted reviewer accepts, context assembly with 10,000 journal entries, skill token costs",
  run,
}

interface RouteRow {
  request: string
  expected: string | null
  decided: string
  /** The skill the router decided alone, or the expected one when it is among the model's candidates. */
  right: "alone" | "candidates" | false
}

function routing(): RouteRow[] {
  return ROUTE_CASES.map(c => {
    const d = routeTask(c.request, LIBRARY)
    if (d.kind === "routed") {
      const name = d.skill?.name ?? null
      return { request: c.request, expected: c.expected, decided: `${d.route.kind}${name ? ` → ${name}` : ""}`, right: name === c.expected ? "alone" : false }
    }
    const names = d.candidates.map(x => x.skill.name)
    return { request: c.request, expected: c.expected, decided: `model asked among ${names.join(", ")}`, right: c.expected !== null && names.includes(c.expected) ? "candidates" : false }
  })
}

/** The scripted reviewer: accepts a plan whose steps have the expected facets in order, or a simple request left as one task. */
function plans() {
  return PLAN_CASES.map(c => {
    const proposed = readRequest(c.request, false).proposed
    const facets = proposed?.plan.steps.map(s => s.facet) ?? null
    return { request: c.request, expected: c.facets, got: facets, accepted: JSON.stringify(facets) === JSON.stringify(c.facets) }
  })
}

const TOPICS = "relay cache ledger wallet room quest bounty worker lease audit journal garden caves water map tunnel lantern harbour compiler parser".split(" ")
/** A vocabulary of 2,000 made-up words, so entries differ as real notes do (a query matches a few hundred, not half). */
const WORDS = Array.from({ length: 2_000 }, (_, i) => `${TOPICS[i % TOPICS.length]}${(i * 7919) % 1_000}`)
const word = (n: number) => WORDS[n % WORDS.length]!

function journal(n: number, at0: number): JournalEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `journal-${i}`,
    // About 14 a day, over two years: a busy resident's journal.
    at: at0 + i * 105 * 60_000,
    kind: "note",
    tier: "basic",
    content: `Worked on the ${word(i * 31)} and the ${word(i * 7 + 3)} with ${word(i * 13 + 5)}; noted that ${word(i * 17 + 1)} needs ${word(i * 3 + 11)}, then ${word(i * 29 + 2)} ${TOPICS[i % TOPICS.length]}.`,
  }))
}

function assemble(entries: readonly JournalEntry[], index: MemoryIndex, skill: ContextSection): number {
  const t = performance.now()
  const memory = recall(entries, `map ${word(93)} under the ${word(401)} with ${word(1207)}`, { limit: RECALL.maxLimit, maxChars: RECALL.maxCharsCap }, index)
  assembleContext([
    { name: "identity", lines: ["I am Mira Vale (mira-vale).", "Mood: curious."] },
    { name: "wallet", lines: ["Wallet: 120 free-time tokens, 40 journal tokens."] },
    { name: "memory", heading: "TARGETED MEMORY RECALL", lines: memory.text ? memory.text.split("\n") : [] },
    skill,
    hatSection(DEFAULT_HATS[1]!),
    { name: "closing", lines: ["Participation is voluntary."] },
  ])
  return performance.now() - t
}

function contextTimes() {
  const entries = journal(CONFIG.journalEntries, Date.UTC(2024, 0, 1))
  const skill = LIBRARY[0]!
  const section = skillSection(skill, { kind: "similar", skill: skill.id, confidence: 0.9 }, fillTemplate(skill, { subject: "4.2" }))
  const cold: number[] = []
  for (let i = 0; i < 5; i++) cold.push(assemble(entries, new MemoryIndex(), section))
  const kept = new MemoryIndex()
  assemble(entries, kept, section)
  const warm: number[] = []
  for (let i = 0; i < CONFIG.samples; i++) {
    const more = [...entries, ...journal(i + 1, entries.at(-1)!.at + 60_000).map(e => ({ ...e, id: `${e.id}-new` }))]
    warm.push(assemble(more, kept, section))
  }
  return { cold: summarize(cold), warm: summarize(warm) }
}

/** Prompt tokens a skill adds (its context section) and what routing by the model costs, per task. */
function tokenCosts() {
  const skill = LIBRARY[0]!
  const withSkill = skillSection(skill, { kind: "similar", skill: skill.id, confidence: 0.9 }, fillTemplate(skill, { subject: "4.2" })).lines.join("\n")
  const asked = ROUTE_CASES.map(c => routeTask(c.request, LIBRARY)).flatMap(d => (d.kind === "ask" ? [d] : []))
  const choice = asked.map(d => estimatePromptTokens(choicePrompt("a task of about twenty words", d.candidates)) + 60)
  const hat = estimatePromptTokens(hatOverlay(DEFAULT_HATS[1]!))
  const from = ROUTE_CASES.slice(0, 3).map(c => ({ title: c.request.slice(0, 60), prompt: c.request }))
  return {
    skillSectionTokens: estimatePromptTokens(withSkill),
    draftTokens: estimatePromptTokens(skillDraftTask(skill, from).prompt),
    hatTokens: hat,
    modelChoiceTokens: choice.length ? Math.round(choice.reduce((a, b) => a + b, 0) / choice.length) : 0,
    askedShare: asked.length / ROUTE_CASES.length,
  }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  ctx.log("routing the evaluation set")
  const routes = routing()
  const alone = routes.filter(r => r.right === "alone").length
  const withModel = routes.filter(r => r.right).length
  const decidedAlone = routes.filter(r => !r.decided.startsWith("model")).length
  const aloneCorrect = routes.filter(r => !r.decided.startsWith("model") && r.right === "alone").length
  ctx.log("planning the evaluation set")
  const planned = plans()
  const accepted = planned.filter(p => p.accepted).length
  ctx.log(`assembling contexts over ${CONFIG.journalEntries.toLocaleString("en")} journal entries`)
  const times = contextTimes()
  const tokens = tokenCosts()

  const json = {
    routing: { cases: routes.length, decidedAlone, correctWhenDecidedAlone: aloneCorrect, askedModel: routes.length - decidedAlone, expectedAmongCandidates: withModel - alone, accuracyAlone: aloneCorrect / decidedAlone, accuracyIfModelPicksExpected: withModel / routes.length },
    plans: { cases: planned.length, accepted, acceptanceRate: accepted / planned.length },
    contextAssemblyMs: { journalEntries: CONFIG.journalEntries, freshIndexP50: times.cold.p50, keptIndexP50: times.warm.p50, keptIndexP99: times.warm.p99, target: CONFIG.targetMs },
    tokens,
  }
  const pct = (n: number) => `${Math.round(n * 100)}%`
  const markdown = [
    `Machine: ${machineLine(ctx.machine)}; load average ${loadAverage().toFixed(1)}; code ${codeVersion(REPO_ROOT)}. Evaluation set: bench/cognition/evalSet.ts (${routes.length} routing cases over ${LIBRARY.length} skills, ${planned.length} planning cases). No model is called: routing's model stage is reported as whether the expected skill is among the candidates it would be offered.`,
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| routing decided without a model: right | ${aloneCorrect} of ${decidedAlone} (${pct(json.routing.accuracyAlone)}) | — |`,
    `| routing handed to the model: expected skill among its candidates | ${withModel - alone} of ${routes.length - decidedAlone} | — |`,
    `| routing accuracy if the model picks the expected candidate | ${pct(json.routing.accuracyIfModelPicksExpected)} | — |`,
    `| plans accepted by the scripted reviewer | ${accepted} of ${planned.length} (${pct(json.plans.acceptanceRate)}) | — |`,
    `| context assembly, ${CONFIG.journalEntries.toLocaleString("en")} journal entries, fresh index (p50) | ${ms(times.cold.p50)} ms | — |`,
    `| context assembly, the worker's kept index after new entries (p50 / p99) | ${ms(times.warm.p50)} / ${ms(times.warm.p99)} ms | ≤ ${CONFIG.targetMs} ms |`,
    `| prompt tokens a skill adds to a task (its section) | ${tokens.skillSectionTokens} | — |`,
    `| prompt tokens of one model choice among candidates (with its answer) | ${tokens.modelChoiceTokens}, for ${pct(tokens.askedShare)} of tasks | — |`,
    `| prompt tokens a hat adds | ${tokens.hatTokens} | — |`,
    `| prompt tokens of asking a model to write a proposed skill (once per proposal) | ${tokens.draftTokens} | — |`,
    "",
    "Routing cases:",
    "",
    "| request | expected | decided | right |",
    "|---|---|---|---|",
    ...routes.map(r => `| ${r.request} | ${r.expected ?? "none"} | ${r.decided} | ${r.right === "alone" ? "yes" : r.right === "candidates" ? "if the model picks it" : "no"} |`),
    "",
    "Planning cases (the scripted reviewer accepts the expected facets in order, or a simple request left as one task):",
    "",
    "| request | expected | planned | accepted |",
    "|---|---|---|---|",
    ...planned.map(p => `| ${p.request} | ${p.expected?.join(" → ") ?? "one task"} | ${p.got?.join(" → ") ?? "one task"} | ${p.accepted ? "yes" : "no"} |`),
    "",
    "Tokens saved by reusing skills cannot be measured without a real model: what a skill saves is the retries and longer answers of a model working without a proven approach, which the fake Groq server does not reproduce. What the table shows is what skills cost: the tokens of the skill's section and of the model's choice when the likeness is not decisive.",
  ].join("\n")
  const summary = [
    `routing: ${aloneCorrect}/${decidedAlone} right without a model; ${withModel}/${routes.length} if the model picks the expected candidate`,
    `plans accepted: ${accepted}/${planned.length}`,
    `context assembly (10,000 entries): fresh ${ms(times.cold.p50)} ms, kept index p50 ${ms(times.warm.p50)} ms (target ≤ ${CONFIG.targetMs} ms)`,
  ].join("\n")
  return { markdown, summary, json }
}
