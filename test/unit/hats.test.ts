/**
 * Hats operators write: the catalogue (defaults, an operator's edit replacing a default,
 * added hats after them), the hat a facet picks from it, and who may write a hat, judged by
 * the relay's change gate on real sync messages.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { HatRecord, SkillsDoc } from "../../schemas/index.ts"
import { addHat, DEFAULT_HATS, editHat, hatCatalogue, hatForFacet, hatIdOf, hatsOf } from "../../src/domain/hats/index.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { refusals, startGateHarness, type GatePeer } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const record = (id: string, fields: Partial<HatRecord> = {}): HatRecord => ({ id, name: id, description: "a hat for tests", prompt: "Do it this way.", editedBy: "alice", editedAt: 1, ...fields })

function opCtx(peer: GatePeer, name = peer.who.peer): OperatorContext & { audited: unknown[][] } {
  const audited: unknown[][] = []
  const audit = { append: async (...args: unknown[]) => audited.push(args), settled: async () => {} } as unknown as OperatorContext["audit"]
  return { workspace: peer.workspace, actor: { kind: "operator", name }, audit, now: 5, audited }
}

describe("the hat catalogue", () => {
  it("lists the defaults, an operator's edit in its default's place, then added hats by name", () => {
    const edited = record("builder", { name: "Builder", facet: "build", prompt: "Smallest change; say what you touched and why.", editedAt: 9 })
    const catalogue = hatCatalogue(new Map([["zeta", record("zeta", { editedAt: 3 })], ["builder", edited], ["alpha", record("alpha", { editedAt: 4, facet: "build" })]]))
    expect(catalogue.map(h => [h.id, h.origin])).toEqual([...DEFAULT_HATS.map(h => [h.id, h.id === "builder" ? "edited" : "default"]), ["alpha", "added"], ["zeta", "added"]])
    expect(catalogue.find(h => h.id === "builder")?.prompt).toBe(edited.prompt)
    // An operator's own hat for a facet is worn before the default one.
    expect(hatForFacet("build", catalogue)?.id).toBe("alpha")
    expect(hatForFacet("review", catalogue)?.id).toBe("reviewer")
  })

  it("makes an id from a hat's name", () => {
    expect(hatIdOf("Security Reviewer")).toBe("security-reviewer")
    expect(hatIdOf("  Ünïcode hat! ")).toBe("unicode-hat")
    expect(hatIdOf("9 lives")).toBe("hat-9-lives")
  })
})

describe("who may write a hat", () => {
  it("an operator adds and edits hats as itself; a default's edit replaces it; the gate refuses a worker, a deletion and a forged editor", async () => {
    const h = await startGateHarness(teardown)
    const alice = await h.peer("alice", "operator")
    const ctx = opCtx(alice)
    const added = await addHat(ctx, { name: "Security Reviewer", description: "Reads for attacks first.", prompt: "List how this could be abused before anything else.", facet: "review" })
    expect(added).toMatchObject({ id: "security-reviewer", origin: "added", editedBy: "alice" })
    await expect(addHat(ctx, { name: "security reviewer", description: "again", prompt: "again and again" })).rejects.toMatchObject({ code: "hat_exists" })
    await expect(addHat(ctx, { name: "X", description: "no", prompt: "" })).rejects.toMatchObject({ code: "invalid_input" })
    const builder = await editHat(ctx, "builder", { prompt: "Smallest change; say what you touched and why." })
    expect(builder).toMatchObject({ id: "builder", name: "Builder", facet: "build", origin: "edited", prompt: "Smallest change; say what you touched and why." })
    await expect(editHat(ctx, "nobody", { prompt: "whatever you like" })).rejects.toMatchObject({ code: "hat_not_found" })
    await expect(editHat(ctx, "security-reviewer", { name: "reviewer" })).rejects.toMatchObject({ code: "hat_exists" })
    expect(ctx.audited.map(a => a.slice(0, 2))).toEqual([["hat", "security-reviewer"], ["hat", "builder"]])
    expect(refusals(await alice.push())).toEqual([])
    const atRelay = await hatsOf(h.workspace)
    expect(atRelay.find(x => x.id === "builder")).toMatchObject({ origin: "edited", editedBy: "alice" })
    expect(atRelay.find(x => x.id === "security-reviewer")).toMatchObject({ origin: "added", facet: "review" })

    const skillsOf = (p: GatePeer) => p.workspace.repo.find<SkillsDoc>(p.workspace.root.docs.skills as AutomergeUrl)
    const worker = await h.peer("w1", "worker")
    ;(await skillsOf(worker)).change(d => {
      d.hats!.pirate = record("pirate", { editedBy: "w1" })
    })
    expect(refusals(await worker.push())).toEqual([expect.stringContaining("only operators add or edit hats")])
    const bob = await h.peer("bob", "operator")
    ;(await skillsOf(bob)).change(d => {
      delete d.hats!["security-reviewer"]
    })
    expect(refusals(await bob.push())).toEqual([expect.stringContaining("cannot be deleted")])
    const carol = await h.peer("carol", "operator")
    ;(await skillsOf(carol)).change(d => {
      d.hats!.forged = record("forged", { editedBy: "alice" })
    })
    expect(refusals(await carol.push())).toEqual([expect.stringContaining("says alice edited it")])
    expect((await hatsOf(h.workspace)).map(x => x.id)).toEqual([...DEFAULT_HATS.map(d => d.id), "security-reviewer"])
  })
})
