/**
 * Artifacts over a real relay, with a real worker (the real groq-sdk against the fake Groq
 * server): a resident's task keeps its answer as the resident's report, a command's run keeps
 * the files it wrote in the worker's jail (one too large and one of no supported type are
 * skipped, each with its reason); the approval's room post links them; a second run of the
 * task adds version 2 of the same report; the CLI lists, shows, diffs and writes an image out
 * with --json; a file the rules refuse is refused with a clear error, writing nothing; and a
 * workspace from before artifacts gets its index from its relay's next start.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { ArtifactEntry, ArtifactsDoc, RoomDoc, RoomIndexDoc, RootDoc } from "../../schemas/index.ts"
import { DEFAULT_LOCAL_POLICY } from "../../src/core/safety.ts"
import { jailFileId, reportId, type ArtifactDiff, type ShownArtifact } from "../../src/domain/artifacts/index.ts"
import { updateControls } from "../../src/domain/peers/actions.ts"
import { readArtifactIndex } from "../../src/workspace/documentReaders.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { runMain } from "../helpers/cli.ts"
import { relayJournalEntry } from "../helpers/journalFixture.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { startTestRelay, until, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { relayWithWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const KiB = 1024
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const png = (size: number) => Buffer.from([...PNG_SIGNATURE, ...new Array<number>(size - PNG_SIGNATURE.length).fill(0x2a)])
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0xc3, 0x28, 0xff, 0xfe])

async function townHall(relay: TestRelay) {
  const rooms = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
  return relay.repo.find<RoomDoc>(rooms.doc().rooms.town_hall!.url as AutomergeUrl)
}

describe("artifacts", () => {
  it("keeps a resident's report and the files a run wrote, links them from the approval's post, and versions a re-run; the CLI reads them", async () => {
    let round = 1
    const fake = await startFakeGroq({ kind: "answer", text: () => `# Cave notes\n\nThe north cave is mapped.\n\n- water: yes\n- bats: ${round === 1 ? "a few" : "hundreds"}\n- depth: 40 m\n` })
    teardown.add(() => fake.close())
    // The worker's jail holds what its command copies: a map, a chart, one image too large, one archive.
    const dataDir = makeTempDir(teardown, "vivarium-w1-")
    const seed = join(dataDir, "workspace", "seed")
    mkdirSync(seed, { recursive: true })
    writeFileSync(join(seed, "map.md"), "# Map\n\nnorth: done\n")
    writeFileSync(join(seed, "chart.png"), png(2 * KiB))
    writeFileSync(join(seed, "huge.png"), png(600 * KiB))
    writeFileSync(join(seed, "bundle.zip"), ZIP)
    const lines: string[] = []
    const policy = { ...DEFAULT_LOCAL_POLICY, allow: [...DEFAULT_LOCAL_POLICY.allow, "cp"] }
    const { relay, op, ctx } = await relayWithWorker(teardown, fake, { dataDir, policy, playAllResidents: true, log: line => lines.push(line) })
    const mira = await forgeIdentity(ctx, { name: "Mira Vale", statement: "I map caves carefully and write down what I learn." })
    await updateControls(ctx, { reviewEverything: true })

    const notes = op.workspace.addTask({ title: "Write the cave notes", prompt: "Write the cave notes.", targetIdentity: mira.id, maxBudgetUsd: 0.1 }, ctx.actor)
    await until(relay, notes.id, "pending_review", 20_000)
    const copy = op.workspace.addTask({ title: "Copy the survey", command: "cp -r seed out", targetIdentity: mira.id }, ctx.actor)
    await until(relay, copy.id, "pending_review", 20_000)

    // The worker handed each result in after the relay had its artifacts.
    const index = await relay.repo.find<ArtifactsDoc>(relay.workspace.root.docs.artifacts as AutomergeUrl)
    const listed = () => Object.fromEntries(readArtifactIndex(index.doc(), "artifacts", []))
    const report = listed()[reportId(notes.id)]!
    expect(report).toMatchObject({ kind: "report", title: "Write the cave notes", author: mira.id, task: notes.id, by: { kind: "worker", name: "w1" }, latest: { version: 1, mime: "text/markdown", run: { taskId: notes.id } } })
    expect(Object.keys(listed()).filter(id => id.startsWith(copy.id)).sort()).toEqual([jailFileId(copy.id, "out/chart.png"), jailFileId(copy.id, "out/map.md")])
    expect(listed()[jailFileId(copy.id, "out/chart.png")]).toMatchObject({ kind: "file", source: "out/chart.png", author: mira.id, latest: { mime: "image/png", bytes: 2 * KiB } })
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`task ${copy.id}: out/huge.png is not kept as an artifact: it is 600 KiB; an artifact holds at most 512 KiB`),
        expect.stringContaining(`task ${copy.id}: out/bundle.zip is not kept as an artifact: The file out/bundle.zip cannot be kept as an artifact: it is neither UTF-8 text nor`),
      ]),
    )

    // Approved: the room post links the run's artifacts.
    const hall = await townHall(relay)
    const posted = (taskId: string) => hall.doc().messages.find(m => m.id === `update-${taskId}`)?.content
    const reviewable = (id: string) => waitFor(() => op.workspace.tasks.get(id)?.status === "pending_review", { events: [[op.workspace.tasks, "change"]], message: `task ${id} in review at the operator` })
    await reviewable(copy.id)
    await decideTask(ctx, copy.id, "approve")
    await waitFor(() => !!posted(copy.id), { events: [[hall, "change"]], timeoutMs: 15_000, message: "the update of the copy" })
    expect(String(posted(copy.id))).toMatch(new RegExp(`^Approved: “Copy the survey” — /tasks/${copy.id} · artifacts: `))
    for (const path of ["out/chart.png", "out/map.md"]) expect(String(posted(copy.id))).toContain(`/artifacts/${jailFileId(copy.id, path)}`)

    // A second run of the notes: version 2 of the same report, then approved and linked.
    round = 2
    await reviewable(notes.id)
    await decideTask(ctx, notes.id, "requeue")
    await waitFor(() => listed()[reportId(notes.id)]?.latest.version === 2, { events: [[index, "change"]], timeoutMs: 20_000, message: "version 2 of the report" })
    await until(relay, notes.id, "pending_review", 20_000)
    await reviewable(notes.id)
    await decideTask(ctx, notes.id, "approve")
    await waitFor(() => !!posted(notes.id), { events: [[hall, "change"]], timeoutMs: 15_000, message: "the update of the notes" })
    expect(String(posted(notes.id))).toContain(`artifacts: /artifacts/${reportId(notes.id)}`)

    // The CLI: lists (filtered), shows a version, diffs two and writes an image out.
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const json = async <T>(...args: string[]): Promise<T> => {
      const r = await cli(...args, "--json")
      expect(r.value, r.stderr || r.stdout).toBe(0)
      return JSON.parse(r.stdout) as T
    }
    expect((await json<ArtifactEntry[]>("artifact", "list")).map(a => a.id).sort()).toEqual([reportId(notes.id), jailFileId(copy.id, "out/chart.png"), jailFileId(copy.id, "out/map.md")].sort())
    expect((await json<ArtifactEntry[]>("artifact", "list", "--task", copy.id, "--kind", "file")).map(a => a.source).sort()).toEqual(["out/chart.png", "out/map.md"])
    expect((await json<ArtifactEntry[]>("artifact", "list", "--author", mira.id, "--kind", "report")).map(a => a.id)).toEqual([reportId(notes.id)])
    const table = await cli("artifact", "list", "--kind", "report")
    expect(table.stdout).toMatch(new RegExp(`${reportId(notes.id).replace(/\./g, "\\.")}\\s+report\\s+2\\s+\\S+ B\\s+${mira.id}\\s+Write the cave notes`))

    const shown = await json<ShownArtifact>("artifact", "show", reportId(notes.id))
    expect(shown).toMatchObject({ version: { version: 2, text: expect.stringContaining("- bats: hundreds") }, notes: [] })
    expect(shown.versions.map(v => [v.version, v.by.name])).toEqual([[1, "w1"], [2, "w1"]])
    expect((await json<ShownArtifact>("artifact", "show", reportId(notes.id), "--version", "1")).version.text).toContain("- bats: a few")
    const human = await cli("artifact", "show", reportId(notes.id), "--version", "1")
    expect(human.stdout).toContain("version 1 of 2")
    expect(human.stdout).toContain("# Cave notes\n\nThe north cave is mapped.")
    const diff = await json<ArtifactDiff>("artifact", "show", reportId(notes.id), "--diff-from", "1")
    expect(diff).toMatchObject({ from: { version: 1 }, to: { version: 2 }, comparison: { kind: "text", diff: { added: 1, removed: 1 } } })
    const diffText = (await cli("artifact", "show", reportId(notes.id), "--diff-from", "1")).stdout
    expect(diffText).toContain("version 1 → 2 (+1 −1)")
    expect(diffText).toContain("\n-- bats: a few\n+- bats: hundreds\n")
    const image = await cli("artifact", "show", jailFileId(copy.id, "out/chart.png"))
    expect(image.stdout).toContain("image/png")
    expect(image.stdout).toContain("(an image: write its bytes with --out FILE)")
    const out = join(makeTempDir(teardown, "vivarium-out-"), "chart.png")
    expect((await cli("artifact", "show", jailFileId(copy.id, "out/chart.png"), "--out", out)).value).toBe(0)
    expect(readFileSync(out).equals(png(2 * KiB))).toBe(true)
    const missing = await cli("artifact", "show", "nothing-here", "--json")
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: "artifact_not_found" } })
    const noVersion = await cli("artifact", "show", reportId(notes.id), "--version", "7")
    expect(noVersion.stderr).toContain(`Artifact ${reportId(notes.id)} has no version 7: it has versions 1 to 2.`)
  }, 120_000)

  it("an operator adds a file and its next version from the CLI; one too large or of no supported type is refused and nothing is written", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const dir = makeTempDir(teardown, "vivarium-files-")
    const file = (name: string, bytes: Buffer | string) => {
      writeFileSync(join(dir, name), bytes)
      return join(dir, name)
    }
    const index = await relay.repo.find<ArtifactsDoc>(relay.workspace.root.docs.artifacts as AutomergeUrl)
    const listed = () => Object.fromEntries(readArtifactIndex(index.doc(), "artifacts", []))

    const big = await cli("artifact", "add", "--file", file("survey.png", png(600 * KiB)))
    expect(big.value).toBe(2)
    expect(big.stderr).toBe("vivarium: The file survey.png is 600 KiB: an image artifact holds at most 512 KiB. Nothing was written. Make it smaller, or split it, and add it again.\n")
    const zip = await cli("artifact", "add", "--file", file("bundle.zip", ZIP), "--json")
    expect(JSON.parse(zip.stdout)).toEqual({ error: { code: "artifact_type", message: "The file bundle.zip cannot be kept as an artifact: it is neither UTF-8 text nor a PNG, JPG, GIF or WebP image.", next: expect.stringContaining("Nothing was written.") } })
    const fake = await cli("artifact", "add", "--file", file("photo.jpg", "just text"))
    expect(fake.stderr).toContain("it is named as a jpg image, but its bytes are not a PNG, JPG, GIF or WebP image")
    const bigText = await cli("artifact", "add", "--file", file("log.txt", "x".repeat(300 * KiB)))
    expect(bigText.stderr).toContain("The file log.txt is 300 KiB: a text artifact holds at most 256 KiB.")
    expect(listed()).toEqual({})

    const path = file("plan.md", "# Plan\n\n1. map the caves\n")
    const added = await cli("artifact", "add", "--file", path, "--title", "The survey plan", "--json")
    expect(added.value, added.stderr).toBe(0)
    const first = JSON.parse(added.stdout) as { id: string; version: number }
    expect(first).toMatchObject({ version: 1, mime: "text/markdown" })
    const same = await cli("artifact", "add", "--file", path)
    expect(same.stderr).toContain(`This is what version 1 of artifact ${first.id} holds already.`)
    writeFileSync(path, "# Plan\n\n1. map the caves\n2. chart the river\n")
    expect((await cli("artifact", "add", "--file", path)).stdout).toContain(`version 2 of artifact ${first.id} added`)
    await waitFor(() => listed()[first.id]?.latest.version === 2, { events: [[index, "change"]] })
    expect(listed()[first.id]).toMatchObject({ kind: "document", title: "The survey plan", source: "plan.md", by: { kind: "operator" } })
    expect(listed()[first.id]!.author).toBeUndefined()
    const diff = await cli("artifact", "show", first.id, "--diff-from", "1")
    expect(diff.stdout).toContain("+2. chart the river")
    const unknownTask = await cli("artifact", "add", "--file", path, "--task", "task-nope")
    expect(unknownTask.stderr).toContain("There is no task task-nope in the live queue.")
  }, 60_000)

  it("an operator keeps a resident's journal roll-ups as an artifact from the CLI: refused while the journal is empty, a new version only after new entries", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const peer = await connectTestPeer(teardown, relay)
    const mira = await forgeIdentity(await peerOperator(peer), { name: "Mira Vale", statement: "I map caves carefully and write down what I learn." })
    // The CLI is another peer: the resident must be at the relay first.
    await peer.flushToRelay()

    const empty = await cli("artifact", "rollup", "--resident", mira.id)
    expect(empty.value).toBe(2)
    expect(empty.stderr).toContain(`Resident ${mira.id}'s journal has no entries yet.`)

    await relayJournalEntry(relay, peer, mira.id, "Mapped the north cave: three exits, one flooded.")
    const kept = await cli("artifact", "rollup", "--resident", mira.id, "--json")
    expect(kept.value, kept.stderr).toBe(0)
    const first = JSON.parse(kept.stdout) as { id: string; version: number }
    expect(first).toMatchObject({ version: 1, mime: "text/markdown" })
    const shown = JSON.parse((await cli("artifact", "show", first.id, "--json")).stdout) as ShownArtifact
    expect(shown.entry).toMatchObject({ kind: "journal_rollup", author: mira.id, title: "Journal roll-up: Mira Vale", by: { kind: "operator" } })
    expect(shown.version.text).toContain("# Journal of Mira Vale")
    expect(shown.version.text).toContain("three exits, one flooded")
    const listed = JSON.parse((await cli("artifact", "list", "--author", mira.id, "--kind", "journal_rollup", "--json")).stdout) as ArtifactEntry[]
    expect(listed.map(a => a.id)).toEqual([first.id])

    expect((await cli("artifact", "rollup", "--resident", mira.id)).stderr).toContain(`This is what version 1 of artifact ${first.id} holds already.`)
    await relayJournalEntry(relay, peer, mira.id, "Charted the underground river as far as the second bend.")
    expect((await cli("artifact", "rollup", "--resident", mira.id)).stdout).toContain(`journal roll-up kept as version 2 of artifact ${first.id}`)
    const diff = await cli("artifact", "show", first.id, "--diff-from", "1")
    expect(diff.stdout).toContain("the underground river")
  }, 60_000)

  it("a workspace from before artifacts says so, and its relay adds the index on its next start", async () => {
    const first = await startTestRelay(teardown)
    first.workspace.rootHandle.change((d: RootDoc) => {
      delete d.docs.artifacts
    })
    const before = await runMain(["artifact", "list", "--json", "--data", first.dataDir])
    expect(JSON.parse(before.stdout)).toMatchObject({ error: { code: "artifacts_missing", message: "This workspace has no artifacts index yet." } })
    await first.close()
    const again = await startTestRelay(teardown, { dataDir: first.dataDir })
    const index = await again.repo.find<ArtifactsDoc>(again.workspace.root.docs.artifacts as AutomergeUrl)
    expect(index.doc()).toMatchObject({ kind: "artifacts", artifacts: {} })
    const after = await runMain(["artifact", "list", "--json", "--data", again.dataDir])
    expect(JSON.parse(after.stdout)).toEqual([])
    // A room post's link opened in a fresh tab: the page, although the id reads like a file name.
    for (const path of ["/artifacts/task-1.files:out:chart.png", "/artifacts/alice.notes.md", "/artifacts/task-1.report"]) {
      const page = await fetch(`${again.httpUrl}${path}`)
      expect([path, page.status, page.headers.get("content-type")]).toEqual([path, 200, expect.stringContaining("text/html")])
    }
    expect((await fetch(`${again.httpUrl}/assets/nothing-here.js`)).status).toBe(404)
  }, 30_000)
})
