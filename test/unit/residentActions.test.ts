/** Identity and memory writes on a network-less, in-memory Repo. */
import { Repo, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, AuditDoc, IdentitiesDoc, Identity, JournalDoc, RootDoc } from "../../schemas/index.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { auditEntries, AuditLog } from "../../src/domain/audit/auditLog.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { readJournalEntries } from "../../src/workspace/documentReaders.ts"
import {
  forgeIdentity,
  MUTABLE_KEYS,
  recallMemory,
  updateMutable,
  updateProfile,
  writeJournal,
} from "../../src/domain/residents/actions.ts"
import { OperatorActionError, type OperatorContext } from "../../src/workspace/actionContext.ts"
import { Workspace } from "../../src/workspace/workspace.ts"

const alice: Actor = { kind: "operator", name: "alice" }
const NOW = 1_764_000_000_000
let repo: Repo
let root: DocHandle<RootDoc>
let ws: Workspace
let audit: DocHandle<AuditDoc>
let ctx: OperatorContext

beforeEach(async () => {
  repo = new Repo({ network: [] })
  root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-unit-0001", createdBy: "alice", now: 1 })
  ws = await Workspace.open(repo, root.url)
  const pair = await generateSigningKey()
  audit = AuditLog.createAuditDoc(repo, "alice")
  const log = new AuditLog(audit, { actor: alice, key: await importPrivateKey(pair.privateKeyPkcs8) }, { now: () => NOW })
  ctx = { workspace: ws, audit: log, actor: alice, now: NOW }
})
afterEach(async () => {
  ws.close()
  await repo.shutdown()
})

const identitiesHandle = () => repo.find<IdentitiesDoc>(ws.root.docs.identities as AutomergeUrl)
const stored = async () => (await identitiesHandle()).doc()
const written = () => auditEntries(audit.doc())

/** Expects an OperatorActionError matching `message` and that nothing was written anywhere. */
async function refused(fn: () => Promise<unknown>, message: RegExp): Promise<void> {
  const handle = await identitiesHandle()
  const heads = handle.heads()
  const docs = Object.keys(repo.handles).length
  const audits = written().length
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OperatorActionError)
  expect((error as Error).message).toMatch(message)
  expect(handle.heads()).toEqual(heads)
  expect(Object.keys(repo.handles)).toHaveLength(docs)
  expect(written()).toHaveLength(audits)
}

describe("forgeIdentity", () => {
  it("writes the resident, its journal document, the used seed and an audit entry", async () => {
    const ada = await forgeIdentity(ctx, {
      name: " Ada Lovelace ",
      summary: "A patient mathematician.",
      statement: "I build careful proofs.",
      seed: "ab-1234-cd",
      traits: [" curious", "Curious", "exact", ""],
      values: ["care"],
      activities: ["proofs"],
      bio: "counts things",
    })
    expect(ada).toMatchObject({
      id: "ada-lovelace",
      name: "Ada Lovelace",
      createdAt: NOW,
      createdBy: "alice",
      summary: "A patient mathematician.",
      statement: "I build careful proofs.",
      seed: "AB-1234-CD",
      preferredActivities: ["proofs"],
      core: { traits: ["curious", "exact"], values: ["care"] },
      mutable: {},
      profile: { bio: "counts things" },
      continuity: { sessions: 0, tasksCompleted: 0, tasksFailed: 0, level: 1 },
    })
    const doc = await stored()
    expect(doc.identities["ada-lovelace"]).toEqual(ada)
    expect(doc.seedsUsed).toEqual({ "AB-1234-CD": { identity: "ada-lovelace", at: NOW } })
    const journal = await repo.find<JournalDoc>(ada.journalUrl as AutomergeUrl)
    expect(journal.doc()).toEqual({ schemaVersion: 1, kind: "journal", identity: "ada-lovelace", entries: [] })
    expect(written()).toHaveLength(1)
    expect(written()[0]).toMatchObject({ kind: "social", subject: "ada-lovelace", actor: alice })
    expect(JSON.parse(written()[0]!.data)).toEqual({ action: "forge", name: "Ada Lovelace", seed: "AB-1234-CD", journalUrl: ada.journalUrl })
  })

  it("draws a fresh seed when none is given and leaves blank texts out", async () => {
    const bo = await forgeIdentity(ctx, { name: "Bo", summary: "  ", statement: "" }, () => 0)
    expect(bo.seed).toBe("AA-0000-AA")
    expect(bo.summary).toBeUndefined()
    expect(bo.statement).toBeUndefined()
    // The next draw would give the same seed: it is skipped because it is used.
    const draws = [0, 0, 0, 0, 0, 0, 0, 0]
    const cy = await forgeIdentity(ctx, { name: "Cy" }, () => draws.shift() ?? 0.5)
    expect(cy.seed).toBe("NN-5555-NN")
    expect(Object.keys((await stored()).seedsUsed ?? {}).sort()).toEqual(["AA-0000-AA", "NN-5555-NN"])
  })

  it("refuses a banned word in plain words, writing nothing", async () => {
    await refused(() => forgeIdentity(ctx, { name: "Agent Smith" }), /^The name "Agent Smith" contains "agent", and a resident's name must not name a role\.$/)
    await expect(forgeIdentity(ctx, { name: "Agent Smith" })).rejects.toMatchObject({ code: "name_banned_word", next: expect.stringMatching(/^Choose a name without any of these words: resident, /) })
    await refused(() => forgeIdentity(ctx, { name: "my NPC friend" }), /contains "npc"/)
  })

  it("refuses duplicate and near-duplicate names, naming the resident", async () => {
    await forgeIdentity(ctx, { name: "Ada Lovelace" })
    await refused(() => forgeIdentity(ctx, { name: "ada lovelace!" }), /already taken by "Ada Lovelace" \(ada-lovelace\)/)
    await refused(() => forgeIdentity(ctx, { name: "Ada Lovelaces" }), /too close to "Ada Lovelace" \(ada-lovelace\): 96 % alike\./)
    await forgeIdentity(ctx, { name: "Ada Byron" })
  })

  it("refuses a near-duplicate statement or summary", async () => {
    await forgeIdentity(ctx, { name: "Ada", statement: "I build careful proofs and kind tools.", summary: "A patient mathematician who writes everything down twice." })
    await refused(() => forgeIdentity(ctx, { name: "Grace", statement: "I build careful proofs and kind tools!" }), /statement is too close to that of "Ada" \(ada\)/)
    await refused(() => forgeIdentity(ctx, { name: "Grace", summary: "A patient mathematician who writes everything down twice!" }), /summary is too close/)
  })

  it("refuses a used seed, whether seedsUsed or only an identity records it", async () => {
    await forgeIdentity(ctx, { name: "Ada", seed: "AB-1234-CD" })
    await refused(() => forgeIdentity(ctx, { name: "Grace", seed: "AB-1234-CD" }), /seed AB-1234-CD already belongs to ada/)
    // A merge may lose a seedsUsed entry (see src/domain/residents/actions.ts); the identity's own seed still counts.
    ;(await identitiesHandle()).change(d => {
      delete d.seedsUsed
    })
    await refused(() => forgeIdentity(ctx, { name: "Grace", seed: "AB-1234-CD" }), /seed AB-1234-CD already belongs to ada/)
    await refused(() => forgeIdentity(ctx, { name: "Grace", seed: "AI-1234-CD" }), /Seed: a creativity seed looks like AB-1234-CD/)
  })

  it("refuses bad input: blank name, more than 10 distinct traits, unknown fields", async () => {
    await refused(() => forgeIdentity(ctx, { name: "  " }), /^Name: a resident needs a name\.$/)
    await refused(() => forgeIdentity(ctx, { name: "Ada", traits: Array.from({ length: 11 }, (_, i) => `t${i}`) }), /Traits: at most 10 traits/)
    await refused(() => forgeIdentity(ctx, { name: "Ada", extra: 1 } as never), /Unrecognized key/)
    // Repeats do not count against the cap.
    const ada = await forgeIdentity(ctx, { name: "Ada", values: [...Array.from({ length: 10 }, (_, i) => `v${i}`), "V0", " v1 "] })
    expect(ada.core.values).toHaveLength(10)
  })

  it("makes ids unique, also against an entry it cannot read", async () => {
    ;(await identitiesHandle()).change(d => {
      ;(d.identities as Record<string, unknown>).grace = { broken: true }
    })
    expect((await forgeIdentity(ctx, { name: "Grace" })).id).toBe("grace-2")
    // "Zoë" and "Zoe" are different names (67 % alike) with the same slug.
    expect((await forgeIdentity(ctx, { name: "Zoë" })).id).toBe("zoe")
    expect((await forgeIdentity(ctx, { name: "Zoe" })).id).toBe("zoe-2")
  })

  it("offline: two peers forging the same id keep one identity after the merge, and both seeds stay used", async () => {
    // seedsUsed must exist before peers diverge: two peers each creating the map would
    // conflict on the key and keep one map (createWorkspace should create it empty).
    ;(await identitiesHandle()).change(d => {
      d.seedsUsed = {}
    })
    // A second peer's view: same workspace, its own (forked) copy of the identities document.
    const theirsIdentities = repo.clone(await identitiesHandle())
    const theirRoot = repo.clone(root)
    theirRoot.change(d => {
      d.docs.identities = theirsIdentities.url
    })
    const theirWs = await Workspace.open(repo, theirRoot.url)
    const mine = await forgeIdentity(ctx, { name: "Ada", seed: "AB-1111-CD", bio: "mine" })
    const theirs = await forgeIdentity({ ...ctx, workspace: theirWs, actor: { kind: "operator", name: "bob" } }, { name: "Ada", seed: "AB-2222-CD", bio: "theirs" })
    expect(theirs.id).toBe(mine.id) // neither could see the other
    ;(await identitiesHandle()).merge(theirsIdentities)
    const doc = await stored()
    expect(Object.keys(doc.identities)).toEqual(["ada"])
    expect(["mine", "theirs"]).toContain(doc.identities.ada!.profile.bio)
    expect(Object.keys(doc.seedsUsed ?? {}).sort()).toEqual(["AB-1111-CD", "AB-2222-CD"])
    theirWs.close()
  })
})

describe("updateProfile", () => {
  let ada: Identity
  beforeEach(async () => {
    ada = await forgeIdentity(ctx, { name: "Ada", bio: "old" })
  })

  it("stores the bio and the sanitized page; empty HTML or CSS removes it", async () => {
    const profile = await updateProfile(ctx, ada.id, { bio: " new bio ", html: '<h1 class="t">Ada</h1><p>I <em>count</em>.</p>', css: "h1 { color: navy; position: fixed }" })
    expect(profile).toEqual({ bio: "new bio", html: "<h1>Ada</h1><p>I <em>count</em>.</p>", css: "h1 { color: navy }" })
    expect((await stored()).identities.ada!.profile).toEqual(profile)
    expect(JSON.parse(written().at(-1)!.data)).toEqual({ action: "profile", fields: ["bio", "html", "css"] })
    await updateProfile(ctx, ada.id, { html: "" })
    expect((await stored()).identities.ada!.profile).toEqual({ bio: "new bio", css: "h1 { color: navy }" })
  })

  it("refuses forbidden content with the list of problems, writing nothing", async () => {
    await refused(
      () => updateProfile(ctx, ada.id, { html: "<img src=x onerror=alert(1)><script>x</script>", css: "p { background: url(javascript:x) }" }),
      /The profile was refused: forbidden tag <img>; forbidden tag <script>; event handler onerror= is not allowed; url\( is not allowed in the CSS; javascript: is not allowed in the CSS/,
    )
    await refused(() => updateProfile(ctx, ada.id, { css: "p { background: \\75 rl(x) }" }), /url\( is not allowed in the CSS/)
    await refused(() => updateProfile(ctx, ada.id, { html: "x".repeat(4001) }), /^Html: /)
    await refused(() => updateProfile(ctx, "ghost", { bio: "x" }), /no resident ghost/)
  })

  it("refuses HTML that grows past 4000 characters once escaped", async () => {
    await refused(() => updateProfile(ctx, ada.id, { html: "&".repeat(4000) }), /The page's HTML \(once sanitized\) is longer than 4000 characters\./)
  })
})

describe("updateMutable", () => {
  it("sets and removes mutable attributes; refuses unknown keys and empty edits", async () => {
    const ada = await forgeIdentity(ctx, { name: "Ada" })
    expect(MUTABLE_KEYS).toContain("mood")
    expect(await updateMutable(ctx, ada.id, { mood: " curious ", focus: "proofs", likes: "tea, chalk" })).toEqual({ mood: "curious", focus: "proofs", likes: "tea, chalk" })
    expect(await updateMutable(ctx, ada.id, { focus: null, likes: "" , quirks: "hums" })).toEqual({ mood: "curious", quirks: "hums" })
    expect((await stored()).identities.ada!.mutable).toEqual({ mood: "curious", quirks: "hums" })
    expect(JSON.parse(written().at(-1)!.data)).toMatchObject({ action: "mutable" })
    await refused(() => updateMutable(ctx, ada.id, { rank: "boss" } as never), /Unrecognized key/)
    await refused(() => updateMutable(ctx, ada.id, {}), /nothing to change/)
    await refused(() => updateMutable(ctx, "ghost", { mood: "x" }), /no resident ghost/)
  })
})

describe("journal and recall", () => {
  it("writeJournal appends entries with their tier; recallMemory packs what matches", async () => {
    const ada = await forgeIdentity(ctx, { name: "Ada" })
    const first = await writeJournal(repo, ada, { kind: "learning", content: "Planted tomatoes in the garden." }, NOW)
    const long = `${"word ".repeat(150)}I realized a pattern in the tomatoes.`
    const second = await writeJournal(repo, ada, { kind: "reflection", content: long }, NOW + 1000)
    expect(first).toMatchObject({ id: expect.stringMatching(/^journal-/), at: NOW, kind: "learning", tier: "basic" })
    expect(second.tier).toBe("exceptional")
    const journal = await repo.find<JournalDoc>(ada.journalUrl as AutomergeUrl)
    expect(readJournalEntries(journal.doc(), "journal", [])).toEqual([first, second])
    const text = await recallMemory(repo, ada, "garden tomatoes", { limit: 2, maxChars: 300 })
    expect(text.split("\n")[0]).toContain("Planted tomatoes in the garden.")
    expect(text.length).toBeLessThanOrEqual(300)
    expect(await recallMemory(repo, ada, "astronomy")).toBe("")
  })

  it("refuses an empty entry, an unknown kind, and a resident without a journal", async () => {
    const ada = await forgeIdentity(ctx, { name: "Ada" })
    await expect(writeJournal(repo, ada, { kind: "note", content: "   " })).rejects.toThrow(/^Content: the journal entry is empty\.$/)
    await expect(writeJournal(repo, ada, { kind: "gossip" as never, content: "x" })).rejects.toThrow(/^Kind: /)
    const { journalUrl: _, ...orphan } = ada
    await expect(writeJournal(repo, orphan, { kind: "note", content: "x" })).rejects.toMatchObject({ code: "journal_missing", message: "Resident ada has no journal." })
    await expect(recallMemory(repo, orphan, "x")).rejects.toThrow(/has no journal/)
  })
})
