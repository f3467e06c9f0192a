/** Skills: routing thresholds, templates, promotion from patterns, metrics from decided runs, and who may change a skill. */
import { describe, expect, it } from "vitest"
import type { Skill, Task } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { authorizeSkillChange } from "../../src/domain/skills/authority.ts"
import { choicePrompt, cosine, countRun, figuresOf, fillTemplate, patternOf, PROMOTE_AFTER, readChoice, readSkillDraft, routeTask, SIMILAR_THRESHOLD, skillsToPropose, templateProblem, termFrequencies } from "../../src/domain/skills/index.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { principal } from "../helpers/gateHarness.ts"

const NOW = 1_764_000_000_000
const controls = defaultControls("relay", NOW)

function skill(name: string, extra: Partial<Skill> = {}): Skill {
  return {
    id: `skill-${name}`,
    name,
    description: `${name.replace(/-/g, " ")} of a release`,
    template: "Summarize the changelog of release {{subject}} in five bullet points.",
    params: [{ name: "subject", type: "string", description: "the release" }],
    preconditions: [],
    fromTasks: [],
    state: "approved",
    proposedBy: "relay",
    proposedAt: NOW,
    metrics: { uses: 0, successes: 0, costUsd: 0, latencyMs: 0, counted: [] },
    ...extra,
  }
}

function approved(title: string, prompt: string, i: number, extra: Partial<Task> = {}): Task {
  const t = buildTask({ title, prompt }, controls, { kind: "operator", name: "alice" }, NOW + i, `task-${i}`)
  return { ...t, status: "approved", result: { output: "ok", model: "llama-3.1-8b-instant", costUsd: 0.002, leaseId: "l", worker: "w", startedAt: NOW, finishedAt: NOW + 1500 }, updatedAt: NOW + 2000 + i, ...extra }
}

describe("routing", () => {
  const changelog = skill("summarize-changelog")
  const tests = skill("write-tests", { description: "write unit tests for a module", template: "Write unit tests for {{subject}} covering its edge cases.", params: [{ name: "subject", type: "string", description: "the module" }] })

  it("the exact name wins with confidence 1; a retired or proposed skill is never used", () => {
    expect(routeTask("Please summarize-changelog for 2.1", [changelog, tests])).toMatchObject({ kind: "routed", route: { kind: "exact", skill: changelog.id, confidence: 1 } })
    expect(routeTask("Please summarize-changelog for 2.1", [{ ...changelog, state: "retired" }])).toMatchObject({ kind: "routed", route: { kind: "none" } })
    expect(routeTask("Please summarize-changelog for 2.1", [{ ...changelog, state: "proposed" }])).toMatchObject({ route: { kind: "none", note: "no approved skill yet" } })
  })

  it("likeness at or above the threshold routes without a model; close ones go to the model; far ones to none", () => {
    const same = routeTask("Summarize the changelog of a release in five bullet points", [changelog, tests])
    expect(same).toMatchObject({ kind: "routed", route: { kind: "similar", skill: changelog.id } })
    expect((same as { route: { confidence: number } }).route.confidence).toBeGreaterThanOrEqual(SIMILAR_THRESHOLD)
    const close = routeTask("Summarize the release notes", [changelog, tests])
    expect(close.kind).toBe("ask")
    expect(close.kind === "ask" && close.candidates[0]!.skill.id).toBe(changelog.id)
    expect(routeTask("Paint the fence green", [changelog, tests])).toMatchObject({ kind: "routed", route: { kind: "none", note: "no approved skill is like this task" } })
    expect(cosine(termFrequencies("alpha beta"), termFrequencies("alpha beta"))).toBeCloseTo(1)
    expect(cosine(termFrequencies("alpha"), termFrequencies(""))).toBe(0)
  })

  it("a model's choice is read as validated JSON: a candidate, none, or a clear refusal", () => {
    const candidates = [{ skill: changelog }, { skill: tests }]
    expect(choicePrompt("Summarize 2.1", candidates)).toContain("- summarize-changelog: summarize changelog of a release (params: subject: string)")
    expect(readChoice('Sure! {"skill": "summarize-changelog", "confidence": 0.9, "params": {"subject": "2.1"}}', candidates)).toMatchObject({ picked: changelog, params: { subject: "2.1" } })
    expect(readChoice('{"skill": null, "confidence": 0.4}', candidates).picked).toBeUndefined()
    expect(() => readChoice("no idea", candidates)).toThrow("no JSON object")
    expect(() => readChoice('{"skill": "summarize-changelog", ', candidates)).toThrow("no JSON object")
    expect(() => readChoice('{"skill": "x", "confidence": 2}', candidates)).toThrow("expected shape")
    expect(() => readChoice('{"skill": "deploy-prod", "confidence": 0.9}', candidates)).toThrow("not one of the candidates")
  })
})

describe("templates", () => {
  it("fills typed parameters and says what a template uses but does not declare", () => {
    const s = skill("summarize-changelog")
    expect(fillTemplate(s, { subject: "2.1" })).toBe("Summarize the changelog of release 2.1 in five bullet points.")
    expect(fillTemplate(s, {})).toContain("(see the task)")
    expect(fillTemplate({ template: "Count {{n}}", params: [{ name: "n", type: "number", description: "" }] }, { n: "many" })).toBe("Count (see the task)")
    expect(templateProblem(s)).toBeUndefined()
    expect(templateProblem({ template: "Do {{thing}}", params: [] })).toMatch(/\{\{thing\}\}/)
  })
})

describe("promotion", () => {
  const tasks = [1, 2, 3].map(i => approved(`Summarize changelog release 1.${i}`, `Summarize the changelog of release 1.${i}`, i))

  it(`proposes a skill once ${PROMOTE_AFTER} approved tasks share a pattern, with what their prompts share as its template`, () => {
    expect(patternOf({ title: "Summarize changelog release 1.2" })).toBe("summarize-changelog")
    expect(patternOf({ title: "Go" })).toBeUndefined()
    expect(skillsToPropose(tasks.slice(0, 2), new Map(), "relay", NOW)).toEqual([])
    const [proposed] = skillsToPropose(tasks, new Map(), "relay", NOW)
    expect(proposed).toMatchObject({ id: "skill-summarize-changelog", name: "summarize-changelog", state: "proposed", proposedBy: "relay", template: "Summarize the changelog of release {{subject}}" })
    expect(proposed!.fromTasks.sort()).toEqual(["task-1", "task-2", "task-3"])
    // Once proposed (whatever its state), never proposed again; tasks that used a skill or were not approved do not count.
    expect(skillsToPropose(tasks, new Map([[proposed!.id, proposed!]]), "relay", NOW)).toEqual([])
    expect(skillsToPropose([...tasks.slice(0, 2), { ...tasks[2]!, status: "failed" }], new Map(), "relay", NOW)).toEqual([])
    expect(skillsToPropose([...tasks.slice(0, 2), { ...tasks[2]!, route: { kind: "exact", skill: "skill-x", confidence: 1 } }], new Map(), "relay", NOW)).toEqual([])
  })
})

describe("metrics", () => {
  it("count a decided run once: an approval is a success, a failure a use without; averages from the sums", () => {
    const s = skill("summarize-changelog")
    const a = approved("Summarize changelog 2.0", "Summarize the changelog of release 2.0", 7)
    const once = countRun(s.metrics, a)
    expect(once).toMatchObject({ uses: 1, successes: 1, costUsd: 0.002, latencyMs: 1500, counted: ["task-7"] })
    expect(countRun(once, a)).toBe(once)
    expect(countRun(once, { ...a, id: "task-8", status: "pending_review" })).toBe(once)
    const twice = countRun(once, { ...a, id: "task-9", status: "failed" })
    expect(figuresOf(twice)).toMatchObject({ uses: 2, successRate: 0.5, averageLatencyMs: 1500 })
    expect(figuresOf(s.metrics).successRate).toBeUndefined()
  })
})

describe("who may change a skill", () => {
  const ctx = { key: "skill-summarize-changelog" }
  const alice = principal("alice", "operator")
  const proposed = skill("summarize-changelog", { state: "proposed", proposedBy: "relay" })

  it("operators edit and decide as themselves; metrics and origin are the relay's; workers write none", () => {
    expect(authorizeSkillChange(proposed, { ...proposed, state: "approved", decidedBy: "alice", decidedAt: NOW }, alice, ctx)).toEqual({ ok: true })
    expect(authorizeSkillChange(proposed, { ...proposed, state: "approved", decidedBy: "bob", decidedAt: NOW }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("cannot record bob") })
    // Bob's approval first, then Alice's made offline merging in: the decider stays Bob, the time becomes hers.
    const byBob = { ...proposed, state: "approved" as const, decidedBy: "bob", decidedAt: NOW }
    expect(authorizeSkillChange(byBob, { ...byBob, decidedAt: NOW + 500 }, alice, ctx)).toEqual({ ok: true })
    expect(authorizeSkillChange(byBob, { ...byBob, state: "retired", decidedAt: NOW + 500 }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("cannot record bob") })
    expect(authorizeSkillChange(proposed, { ...proposed, description: "better words" }, alice, ctx)).toEqual({ ok: true })
    expect(authorizeSkillChange(proposed, { ...proposed, template: "Do {{thing}}" }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("{{thing}}") })
    expect(authorizeSkillChange(proposed, { ...proposed, metrics: { ...proposed.metrics, uses: 9 } }, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("do not write metrics") })
    expect(authorizeSkillChange(proposed, undefined, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("retire it") })
    expect(authorizeSkillChange(proposed, { ...proposed, description: "x y z" }, principal("w1", "worker"), ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("only operators write skills") })
    const mine = { ...proposed, proposedBy: "alice" }
    expect(authorizeSkillChange(undefined, mine, alice, ctx)).toEqual({ ok: true })
    expect(authorizeSkillChange(undefined, proposed, alice, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("relay proposed it") })
    expect(authorizeSkillChange(undefined, { ...mine, state: "approved", decidedBy: "bob" }, alice, ctx)).toMatchObject({ ok: false })
  })
})

describe("a model's draft of a proposed skill", () => {
  it("is kept when it is valid JSON whose template declares what it uses; otherwise the pattern's words stand, with the reason", () => {
    const good = readSkillDraft('Sure:\n```json\n{"description": "Sums up a release.", "template": "Sum up release {{version}}", "params": [{"name": "version", "type": "string"}]}\n```', "draft-skill-x")
    expect(good).toMatchObject({ ok: true, fields: { template: "Sum up release {{version}}", params: [{ name: "version", type: "string", description: "" }] } })
    expect(readSkillDraft("I would call it sum-up.", "draft-skill-x")).toMatchObject({ ok: false, note: expect.stringMatching(/holds no JSON object; the pattern's words stand$/) })
    expect(readSkillDraft('{"description": "Sums up.", "template": "Sum up {{ghost}}"}', "draft-skill-x")).toMatchObject({ ok: false, note: expect.stringContaining("{{ghost}} but declares no such parameter") })
    expect(readSkillDraft('{"description": "Sums up.", "template": "Sum up", "extra": 1}', "draft-skill-x")).toMatchObject({ ok: false, note: expect.stringContaining("was unusable") })
  })
})
