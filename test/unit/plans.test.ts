import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PlanReply } from "../../schemas/index.ts"
import { budgetShares, extractIntent, featuresOf, gutCheck, proposePlan, readPlanReply, splitRequest, stageDependencies } from "../../src/domain/plans/index.ts"
import { DEFAULT_HATS, HATTERY_RULES, hatForFacet, hatOverlay } from "../../src/domain/hats/index.ts"

const COMPOUND = "Please design the export format, then implement the exporter and the importer; review both for tampering, and finally document the file layout."

describe("gut-check", () => {
  it("plans a request with two or more signals and leaves a simple one alone", () => {
    expect(gutCheck(COMPOUND)).toMatchObject({ shouldPlan: true })
    expect(gutCheck(COMPOUND).signals).toEqual(expect.arrayContaining(["sequencing_connectors", "compound_clauses"]))
    expect(gutCheck("Summarize the build log")).toEqual({ signals: [], complexity: 0, shouldPlan: false })
    // One signal is not enough: a long request that names one thing.
    const long = `Summarize the build log ${"carefully ".repeat(30)}`
    expect(gutCheck(long)).toMatchObject({ signals: ["long_prompt"], shouldPlan: false })
  })
})

describe("intent", () => {
  it("reads the goal, constraints, preferences and what not to do", () => {
    const intent = extractIntent("Could you write a release note for 0.2. It must fit on one page. Ideally link the issues. Don't mention the old relay.")
    expect(intent.goal).toBe("write a release note for 0.2.")
    expect(intent.constraints).toEqual(["It must fit on one page.", "Don't mention the old relay."])
    expect(intent.preferences).toEqual(["Ideally link the issues."])
    expect(intent.antiGoals).toEqual(["mention the old relay"])
    expect(intent.confidence).toBe(1)
  })
})

describe("splitter", () => {
  it("cuts a compound request into stages: strategy, then build side by side, then review and document", () => {
    const plan = splitRequest(COMPOUND)!
    expect(plan.steps.map(s => [s.title, s.facet, s.dependsOn])).toEqual([
      ["Design the export format", "strategy", []],
      ["Implement the exporter and the importer", "build", [0]],
      ["Review both for tampering", "review", [1]],
      ["Document the file layout", "document", [1]],
    ])
    expect(PlanReply.parse(plan)).toEqual(plan)
  })

  it("does not plan a request naming one piece of work", () => {
    expect(splitRequest("Fix the flaky login test")).toBeUndefined()
    expect(splitRequest("Write the migration guide for the new relay, using the release notes")).toBeUndefined()
  })

  it("keeps limits out of the steps and puts them in every step's prompt", () => {
    const plan = splitRequest(`${COMPOUND} Don't change the audit format. It must run offline.`)!
    expect(plan.steps.map(s => s.title)).toEqual(["Design the export format", "Implement the exporter and the importer", "Review both for tampering", "Document the file layout"])
    for (const step of plan.steps) expect(step.prompt).toContain("Do not: change the audit format")
    for (const step of plan.steps) expect(step.prompt).toContain("Constraint: It must run offline.")
  })

  it("keeps a described piece whole and splits bullets", () => {
    expect(featuresOf("Build the importer, using the manifest hashes")).toEqual(["Build the importer, using the manifest hashes"])
    expect(featuresOf("Fetch https://example.test/data.csv at 10:30, then summarize it: keep it short")).toEqual(["Fetch https://example.test/data.csv at 10:30", "summarize it", "keep it short"])
    expect(featuresOf("- add the export command\n- add the import command\n2) test a tampered file")).toEqual(["add the export command", "add the import command", "test a tampered file"])
  })

  it("for any text: at most the maximum, no piece twice, no short piece, and steps wait only for earlier ones", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 8 }), (text, max) => {
        const pieces = featuresOf(text, max)
        expect(pieces.length).toBeLessThanOrEqual(max)
        expect(new Set(pieces.map(p => p.toLowerCase())).size).toBe(pieces.length)
        for (const p of pieces) expect(p.length).toBeGreaterThanOrEqual(8)
        const plan = splitRequest(text)
        if (plan) expect(readPlanReply(JSON.stringify(plan))).toEqual(plan)
      }),
    )
  })

  it("stage dependencies let independent steps run side by side", () => {
    expect(stageDependencies(["build", "build", "review", "document", "build"])).toEqual([[], [], [0, 1], [0, 1], []])
  })
})

describe("a model's plan", () => {
  const good = { goal: "Ship the exporter", steps: [
    { title: "Design it", prompt: "Design the export format", facet: "strategy", dependsOn: [] },
    { title: "Build it", prompt: "Build the exporter to the design", facet: "build", dependsOn: [0], budgetShare: 0.6 },
  ] }

  it("is used when valid, fenced or bare", () => {
    expect(proposePlan(COMPOUND, "Here you go:\n```json\n" + JSON.stringify(good) + "\n```")).toMatchObject({ source: "llm", plan: { goal: "Ship the exporter" } })
  })

  it.each([
    ["not JSON", "I think you should first design it", "holds no JSON object"],
    ["broken JSON", '{"goal": "x", steps: [}', "does not parse"],
    ["wrong shape", JSON.stringify({ goal: "Ship", steps: [{ title: "Only" }] }), "expected shape"],
    ["a step waiting for a later one", JSON.stringify({ ...good, steps: [{ ...good.steps[0], dependsOn: [1] }, good.steps[1]] }), "step 1 waits for step 2"],
    ["shares over the whole", JSON.stringify({ ...good, steps: [{ ...good.steps[0], budgetShare: 0.5 }, good.steps[1]] }), "add up to 1.10"],
  ])("falls back to the splitter with the reason when it is %s", (_name, reply, reason) => {
    const proposed = proposePlan(COMPOUND, reply)!
    expect(proposed.source).toBe("splitter")
    expect(proposed.note).toContain(reason)
    expect(proposed.plan.steps.length).toBe(4)
  })

  it("splits the budget: named shares first, the rest evenly, never more than the whole", () => {
    const plan = readPlanReply(JSON.stringify(good))
    expect(budgetShares(plan, 1000)).toEqual([400, 600])
    const even = splitRequest(COMPOUND)!
    expect(budgetShares(even, 1000)).toEqual([250, 250, 250, 250])
    expect(budgetShares(even, 999).reduce((a, b) => a + b)).toBeLessThanOrEqual(999)
  })
})

describe("hats", () => {
  it("put the hattery rules first and pick a hat by facet, an operator's before the default", () => {
    const builder = hatForFacet("build")!
    expect(builder.name).toBe("Builder")
    expect(hatOverlay(builder).startsWith(HATTERY_RULES)).toBe(true)
    expect(hatOverlay(builder)).toContain("Wear the Builder hat.")
    const mine = { id: "careful-builder", name: "Careful Builder", facet: "build" as const, description: "Builds with tests first.", prompt: "Write the test first." }
    expect(hatForFacet("build", [...DEFAULT_HATS, mine])).toBe(mine)
    expect(DEFAULT_HATS.map(h => h.name)).toEqual(["Strategist", "Builder", "Reviewer", "Documenter", "Hatter", "Hat of Objectivity"])
  })
})
