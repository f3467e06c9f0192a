/**
 * The skill loop over real WebSockets with the real groq-sdk against the fake Groq server:
 * approved tasks of one pattern make the relay propose a skill; an operator approves it (CLI);
 * the next tasks are routed to it by name, by likeness, or by the model's validated choice
 * (malformed choices are asked again, then fall back to no skill with a note); the skill's
 * text reaches the model; its metrics count approved runs.
 */
import { describe, expect, it } from "vitest"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { SkillsDoc, Task } from "../../schemas/index.ts"
import { readSkills } from "../../src/workspace/documentReaders.ts"
import { routeTask, skillDraftTaskId } from "../../src/domain/skills/index.ts"
import { runMain } from "../helpers/cli.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { until } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { relayWithWorker } from "../helpers/workers.ts"

const teardown = useTeardown()

describe("skills", () => {
  it("a repeated pattern becomes a proposed skill; once approved, the next tasks are routed to it and it is counted", async () => {
    const choices: string[] = []
    const fake = await startFakeGroq({
      kind: "answer",
      text: prompt => (prompt.startsWith("Pick the skill") ? (choices.shift() ?? '{"skill": null, "confidence": 0.5}') : `Done: ${prompt.slice(0, 60)}. Everything requested is done.`),
    })
    teardown.add(() => fake.close())
    const { relay, op, ctx } = await relayWithWorker(teardown, fake)
    const skillsDoc = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    const skills = () => readSkills(skillsDoc.doc(), "skills", [])
    const run = async (title: string, prompt: string): Promise<Task> => {
      const t = op.workspace.addTask({ title, prompt, maxBudgetUsd: 0.1 }, ctx.actor)
      return until(relay, t.id, "approved", 20_000)
    }

    for (const v of ["1.1", "1.2", "1.3"]) {
      const done = await run(`Summarize changelog release ${v}`, `Summarize the changelog of release ${v}`)
      expect(done.route).toMatchObject({ kind: "none" })
    }
    const proposed = await waitFor(() => skills().get("skill-summarize-changelog") ?? false, { events: [[skillsDoc, "change"]], message: "the relay to propose the skill" })
    expect(proposed).toMatchObject({ state: "proposed", proposedBy: "relay", template: "Summarize the changelog of release {{subject}}" })
    expect(proposed.fromTasks).toHaveLength(3)

    // Proposed: not used yet.
    expect((await run("Use summarize-changelog for 1.4", "Use summarize-changelog for release 1.4")).route).toMatchObject({ kind: "none", note: "no approved skill yet" })

    const approved = await runMain(["skill", "approve", "summarize-changelog", "--data", relay.dataDir])
    expect(approved.value, approved.stderr).toBe(0)
    expect(approved.stdout).toContain("summarize-changelog approved")
    await waitFor(() => skills().get("skill-summarize-changelog")?.state === "approved", { events: [[skillsDoc, "change"]], message: "the approval at the relay" })

    // By name.
    const exact = await run("Release 2.0 notes", "Use summarize-changelog for release 2.0")
    expect(exact.route).toMatchObject({ kind: "exact", skill: "skill-summarize-changelog", confidence: 1 })
    expect(fake.systems.get("Use summarize-changelog for release 2.0")).toContain("SKILL: summarize-changelog (routed exact, confidence 1)")
    expect(exact.result?.context).toContain("Summarize the changelog of release (see the task)")

    // Close but not close enough: the model chooses; a malformed reply is asked again.
    const request = "Summarize the release notes of 2.1"
    expect(routeTask(request, [...skills().values()]).kind).toBe("ask")
    choices.push("I think summarize-changelog", '{"skill": "summarize-changelog", "confidence": 0.7, "params": {"subject": "2.1"}}')
    const chosen = await run("Notes 2.1", request)
    expect(chosen.route).toMatchObject({ kind: "llm", skill: "skill-summarize-changelog", confidence: 0.7 })
    expect(fake.systems.get(request)).toContain("Summarize the changelog of release 2.1")
    // The routing calls are billed on the task like any other.
    expect(chosen.calls?.filter(c => c.model === "llama-3.1-8b-instant").length).toBeGreaterThanOrEqual(3)

    // Unusable twice: no skill, with the reason.
    choices.push("{", '{"skill": "deploy-prod", "confidence": 0.9}')
    const unrouted = await run("Notes 2.2", "Summarize the release notes of 2.2")
    expect(unrouted.route).toMatchObject({ kind: "none" })
    expect(unrouted.route?.note).toContain("not one of the candidates")

    const counted = await waitFor(() => {
      const m = skills().get("skill-summarize-changelog")?.metrics
      return m && m.uses >= 2 ? m : false
    }, { events: [[skillsDoc, "change"]], message: "the skill's metrics to count the approved runs" })
    expect(counted).toMatchObject({ uses: 2, successes: 2 })
    expect(counted.counted.sort()).toEqual([exact.id, chosen.id].sort())
    const shown = await runMain(["skill", "list", "--json", "--data", relay.dataDir])
    expect(JSON.parse(shown.stdout)).toEqual([expect.objectContaining({ name: "summarize-changelog", state: "approved", figures: expect.objectContaining({ uses: 2, successRate: 1 }) })])
  }, 120_000)

  it("a model writes a proposal's words as validated JSON from its tasks; an unusable draft leaves the pattern's words with the reason", async () => {
    const DRAFT = JSON.stringify({ description: "Tidies a release's notes into a short list for users.", template: "Tidy the notes of release {{version}} into at most {{items}} points for users.", params: [{ name: "version", type: "string", description: "the release" }, { name: "items", type: "number" }] })
    const fake = await startFakeGroq({
      kind: "answer",
      text: prompt => (prompt.includes("Write a reusable skill") ? (prompt.includes("tidy-notes") ? `Here it is:\n\`\`\`json\n${DRAFT}\n\`\`\`` : '{"description": "x", "template": "Use {{ghost}}"}') : `Done: ${prompt.slice(0, 60)}. Everything requested is done.`),
    })
    teardown.add(() => fake.close())
    const { relay, op, ctx } = await relayWithWorker(teardown, fake, { concurrency: 2 })
    const skillsDoc = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    const skills = () => readSkills(skillsDoc.doc(), "skills", [])
    for (const v of ["1.1", "1.2", "1.3"]) {
      for (const [title, prompt] of [[`Tidy notes ${v}`, `Tidy the release notes of ${v}`], [`Translate readme ${v}`, `Translate the readme of ${v} into French`]] as const) {
        const t = op.workspace.addTask({ title, prompt, maxBudgetUsd: 0.1 }, ctx.actor)
        await until(relay, t.id, "approved", 20_000)
      }
    }
    const drafted = await waitFor(() => (skills().get("skill-tidy-notes")?.draftNote ? skills().get("skill-tidy-notes")! : false), { events: [[skillsDoc, "change"]], timeoutMs: 30_000, message: "the model's draft applied" })
    expect(drafted).toMatchObject({ state: "proposed", description: "Tidies a release's notes into a short list for users.", template: "Tidy the notes of release {{version}} into at most {{items}} points for users." })
    expect(drafted.params.map(p => [p.name, p.type])).toEqual([["version", "string"], ["items", "number"]])
    expect(drafted.draftNote).toContain(`written by a model from its tasks (${skillDraftTaskId("skill-tidy-notes")})`)
    // The drafting prompt carried the tasks it came from.
    expect([...fake.counts.keys()].find(p => p.includes("Write a reusable skill") && p.includes("tidy-notes"))).toContain("Tidy notes 1.3: Tidy the release notes of 1.3")

    const kept = await waitFor(() => (skills().get("skill-translate-readme")?.draftNote ? skills().get("skill-translate-readme")! : false), { events: [[skillsDoc, "change"]], timeoutMs: 30_000, message: "the unusable draft's note" })
    expect(kept).toMatchObject({ template: "Translate the readme of {{subject}}" })
    expect(kept.draftNote).toMatch(/was unusable: .*the pattern's words stand$/)
    expect((await runMain(["skill", "show", "tidy-notes", "--data", relay.dataDir])).stdout).toContain("words:    written by a model from its tasks")
    // A draft is no pattern of its own: two drafts approved propose nothing more.
    expect([...skills().keys()].sort()).toEqual(["skill-tidy-notes", "skill-translate-readme"])
  }, 120_000)
})
