/**
 * Hats operators write, end to end over real WebSockets: an edited default hat and an added
 * hat reach a worker, whose plan steps wear them (the real groq-sdk against the fake Groq
 * server); the CLI lists, shows, adds and edits hats with --json; a skills document from
 * before hats were editable gets its hats map from the relay.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { SkillsDoc } from "../../schemas/index.ts"
import { addHat, editHat, type CatalogueHat } from "../../src/domain/hats/index.ts"
import { approvePlan, planTask, subtaskIdOf } from "../../src/domain/plans/index.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"
import { runMain } from "../helpers/cli.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { relayWithWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const REQUEST = "Research the caching options, then implement the cache layer, then document how to tune it."

describe("hats operators write", () => {
  it("a plan's steps wear the operator's edit of a default hat and the operator's own hat for a facet", async () => {
    const fake = await startFakeGroq()
    teardown.add(() => fake.close())
    const { relay, ctx } = await relayWithWorker(teardown, fake, { concurrency: 2 })
    await editHat(ctx, "builder", { prompt: "Change as little as you can and list every file you touched." })
    const scribe = await addHat(ctx, { name: "Plain Scribe", description: "Writes for a newcomer.", prompt: "Write for someone on their first day: short sentences, no jargon.", facet: "document" })
    const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    await waitFor(() => !!skills.doc().hats?.[scribe.id] && skills.doc().hats?.builder?.prompt.startsWith("Change as little"), {
      events: [[skills, "change"]],
      timeoutMs: 15_000,
      message: "the relay to hold both hats",
    })

    const parent = await planTask(ctx, { request: REQUEST, maxBudgetUsd: 0.3 })
    const subtasks = await approvePlan(ctx, parent.id)
    await until(relay, parent.id, "pending_review", 30_000)
    const ran = subtasks.map(s => relay.workspace.tasks.get(s.id)!)
    expect(ran.map(t => t.result?.hat)).toEqual(["strategist", "builder", "plain-scribe"])
    expect(fake.systems.get(subtasks[1]!.prompt!)).toContain("Change as little as you can and list every file you touched.")
    expect(fake.systems.get(subtasks[2]!.prompt!)).toContain("Wear the Plain Scribe hat.")
    expect(fake.systems.get(subtasks[2]!.prompt!)).toContain("HATTERY RULES")
    expect(relay.workspace.tasks.get(subtaskIdOf(parent.id, "s3"))!.result?.context).toContain("no jargon")
    const hats = auditEntries(ctx.audit.handle.doc()).filter(e => e.kind === "hat")
    expect(hats.map(e => [e.subject, (JSON.parse(e.data) as { action: string }).action])).toEqual([["builder", "edited"], ["plain-scribe", "added"]])
  }, 60_000)

  it("the CLI lists, shows, adds and edits hats, with --json, and says what is wrong", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])

    const listed = await cli("hat", "list")
    expect(listed.value, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/builder\s+Builder\s+build\s+default/)
    const added = await cli("hat", "add", "--name", "Devil's Advocate", "--description", "Argues the other side.", "--prompt", "Make the strongest case against the plan.", "--facet", "review", "--json")
    expect(added.value, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout) as CatalogueHat).toMatchObject({ id: "devil-s-advocate", origin: "added", facet: "review" })
    const again = await cli("hat", "add", "--name", "devil's advocate", "--description", "Again.", "--prompt", "Once more, the other side.")
    expect(again.value).not.toBe(0)
    expect(again.stderr).toContain("A hat named Devil's Advocate exists already.")
    const missing = await cli("hat", "add", "--name", "Half")
    expect(missing.value).not.toBe(0)
    expect(missing.stderr).toContain("--description, --prompt are required")
    const badFacet = await cli("hat", "add", "--name", "Odd", "--description", "Odd one.", "--prompt", "Be odd.", "--facet", "juggling")
    expect(badFacet.value).not.toBe(0)
    expect(badFacet.stderr).toContain("facet")

    const edited = await cli("hat", "edit", "Reviewer", "--prompt", "Find what breaks; say how sure you are.", "--json")
    expect(edited.value, edited.stderr).toBe(0)
    expect(JSON.parse(edited.stdout) as CatalogueHat).toMatchObject({ id: "reviewer", origin: "edited", prompt: "Find what breaks; say how sure you are." })
    const shown = await cli("hat", "show", "reviewer")
    expect(shown.stdout).toContain("Reviewer  (reviewer)  edited by")
    expect(shown.stdout).toContain("  | Find what breaks; say how sure you are.")
    const all = JSON.parse((await cli("hat", "list", "--json")).stdout) as CatalogueHat[]
    expect(all.map(h => [h.id, h.origin])).toEqual([
      ["strategist", "default"],
      ["builder", "default"],
      ["reviewer", "edited"],
      ["documenter", "default"],
      ["hatter", "default"],
      ["objectivity", "default"],
      ["devil-s-advocate", "added"],
    ])
    // A plan names the hat each step wears here: the operator's own for a facet before the default.
    const planned = await cli("plan", "add", "--request", "Build the parser, then review it for bugs.")
    expect(planned.value, planned.stderr).toBe(0)
    expect(planned.stdout).toContain("1. [build, Builder] Build the parser")
    expect(planned.stdout).toContain("2. [review, Devil's Advocate] Review it for bugs")
    const nothing = await cli("hat", "edit", "reviewer")
    expect(nothing.stderr).toContain("say what to change")
    expect((await cli("hat", "edit", "pirate", "--prompt", "Arr, matey.")).stderr).toContain("no hat pirate")
  }, 60_000)

  it("the relay gives a skills document from before editable hats its hats map on start", async () => {
    const first = await startTestRelay(teardown)
    const skills = await first.repo.find<SkillsDoc>(first.workspace.root.docs.skills as AutomergeUrl)
    skills.change(d => {
      delete d.hats
    })
    expect(skills.doc().hats).toBeUndefined()
    await first.close()
    const again = await startTestRelay(teardown, { dataDir: first.dataDir })
    const upgraded = await again.repo.find<SkillsDoc>(again.workspace.root.docs.skills as AutomergeUrl)
    expect(upgraded.doc().hats).toEqual({})
  }, 30_000)
})
