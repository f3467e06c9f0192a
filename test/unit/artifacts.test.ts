/**
 * The artifact rules and who may write artifacts: ids fixed by where an artifact comes from,
 * content told by its first bytes and held to its limits, the line diff between versions, the
 * Markdown the panel renders (nothing a peer wrote runs), the room post's links, the readers'
 * checks, and every refusal of the authority rules checked for its own reason; then the same
 * rules at the relay's real change gate, with a worker's writes made by the real action code.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { ArtifactVersion, type ArtifactDoc, type ArtifactEntry, type ArtifactIdentity, type ArtifactsDoc, type QueueDoc, type Task } from "../../schemas/index.ts"
import type { AuthorityVerdict } from "../../src/core/authority/verdict.ts"
import type { Principal, PrincipalRole } from "../../src/core/principal.ts"
import { sha256Hex } from "../../src/core/signing.ts"
import {
  artifactContent,
  artifactId,
  artifactsLine,
  authorizeArtifactEntryChange,
  authorizeArtifactVersionChange,
  checksumProblem,
  compareVersions,
  filterArtifacts,
  identityMismatch,
  imageMimeOf,
  isSafeLink,
  jailFileId,
  latestNote,
  lineDiff,
  operatorFileId,
  recordTaskArtifacts,
  renderMarkdown,
  reportId,
  rollupId,
  showArtifact,
  type ArtifactContext,
} from "../../src/domain/artifacts/index.ts"
import { messageParts } from "../../src/domain/rooms/index.ts"
import { refusals, startGateHarness } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const principal = (peer: string, role: PrincipalRole): Principal => ({ peer, role, publicKeyHex: "ab".repeat(32) })
const w1 = principal("w1", "worker")
const w2 = principal("w2", "worker")
const alice = principal("alice", "operator")
const bob = principal("bob", "operator")

const KiB = 1024
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const bytesOf = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap(p => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)))

/** A refusal whose reason matches `re`: a refusal for some other reason fails the test. */
function expectRefused(v: AuthorityVerdict, re: RegExp): void {
  expect(v.ok, "expected a refusal").toBe(false)
  if (!v.ok) expect(v.reason).toMatch(re)
}
const ALLOWED = { ok: true }

describe("artifact ids", () => {
  it("are the scope and the name, with a hash where the name would not read back faithfully", () => {
    expect(reportId("task-1")).toBe("task-1.report")
    expect(jailFileId("task-1", "out/notes.md")).toBe("task-1.files:out:notes.md")
    expect(operatorFileId("alice", "plan.md")).toBe("alice.plan.md")
    expect(operatorFileId("alice", "plan.md", "task-1")).toBe("alice.task-1:plan.md")
    // "a b" and "a_b" would both read a_b: each gets its own hash.
    const spaced = jailFileId("task-1", "a b.md")
    const underscored = jailFileId("task-1", "a_b.md")
    expect(underscored).toBe("task-1.files:a_b.md")
    expect(spaced).toMatch(/^task-1\.files:a_b\.md-[0-9a-f]{12}$/)
    const long = artifactId("t".repeat(100), "files/" + "deep/".repeat(20) + "x.md")
    expect(long.length).toBeLessThanOrEqual(120)
    expect(long).not.toBe(artifactId("t".repeat(100), "files/" + "deep/".repeat(20) + "y.md"))
    expect(long).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/)
  })
})

describe("artifact content", () => {
  it("tells the four image types by their first bytes, whatever the file is called", async () => {
    expect(imageMimeOf(bytesOf(PNG, "rest"))).toBe("image/png")
    expect(imageMimeOf(bytesOf([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg")
    expect(imageMimeOf(bytesOf("GIF89a..."))).toBe("image/gif")
    expect(imageMimeOf(bytesOf("RIFF", [1, 2, 3, 4], "WEBPVP8 "))).toBe("image/webp")
    expect(imageMimeOf(bytesOf("RIFF", [1, 2, 3, 4], "WAVEfmt "))).toBeUndefined()
    const png = await artifactContent("chart.txt", bytesOf(PNG, "pixels"))
    expect(png).toMatchObject({ mime: "image/png", bytes: 14, base64: "iVBORw0KGgpwaXhlbHM=" })
    expect(png.sha256).toBe(await sha256Hex(bytesOf(PNG, "pixels")))
  })

  it("keeps UTF-8 text typed by its extension, and refuses what is neither text nor one of the images", async () => {
    expect(await artifactContent("notes.md", bytesOf("# Notes"))).toMatchObject({ mime: "text/markdown", text: "# Notes", bytes: 7 })
    expect(await artifactContent("data.json", bytesOf("{}"))).toMatchObject({ mime: "application/json" })
    expect(await artifactContent("table.CSV", bytesOf("a,b"))).toMatchObject({ mime: "text/csv" })
    // An SVG or an HTML page is kept as plain text: the panel never renders it.
    expect(await artifactContent("logo.svg", bytesOf("<svg onload=alert(1)/>"))).toMatchObject({ mime: "text/plain" })
    await expect(artifactContent("photo.png", bytesOf("not a png"))).rejects.toMatchObject({ code: "artifact_type", message: expect.stringContaining("named as a png image, but its bytes are not") })
    await expect(artifactContent("bundle.zip", bytesOf([0x50, 0x4b, 0x03, 0x04, 0xc3, 0x28]))).rejects.toMatchObject({ code: "artifact_type", message: expect.stringContaining("neither UTF-8 text nor") })
    await expect(artifactContent("blob.bin", bytesOf("abc", [0], "def"))).rejects.toMatchObject({ code: "artifact_type", message: expect.stringContaining("NUL bytes") })
  })

  it("holds text to 256 KiB and images to 512 KiB", async () => {
    expect(await artifactContent("big.txt", new Uint8Array(256 * KiB).fill(0x61))).toMatchObject({ bytes: 256 * KiB })
    await expect(artifactContent("big.txt", new Uint8Array(256 * KiB + 1).fill(0x61))).rejects.toMatchObject({
      code: "artifact_too_large",
      message: "The file big.txt is 257 KiB: a text artifact holds at most 256 KiB.",
    })
    const image = (size: number) => bytesOf(PNG, new Array<number>(size - PNG.length).fill(7))
    expect(await artifactContent("big.png", image(512 * KiB))).toMatchObject({ mime: "image/png", bytes: 512 * KiB })
    await expect(artifactContent("big.png", image(512 * KiB + 1))).rejects.toMatchObject({ code: "artifact_too_large", message: expect.stringContaining("an image artifact holds at most 512 KiB") })
  })

  it("a stored version must hold the content its type, size and hash say", async () => {
    const content = await artifactContent("notes.md", bytesOf("héllo"))
    const v = { version: 1, at: 1, by: { kind: "operator", name: "alice" }, ...content }
    expect(ArtifactVersion.safeParse(v).success).toBe(true)
    expect(content.bytes).toBe(6)
    expect(ArtifactVersion.safeParse({ ...v, bytes: 5 }).error?.issues[0]?.message).toBe("the content is 6 bytes, not 5")
    expect(ArtifactVersion.safeParse({ ...v, mime: "image/png" }).error?.issues[0]?.message).toMatch(/holds its content as base64/)
    expect(await checksumProblem(ArtifactVersion.parse(v))).toBeUndefined()
    expect(await checksumProblem(ArtifactVersion.parse({ ...v, text: "hallo", bytes: 5 }))).toMatch(/does not match its SHA-256/)
  })
})

describe("diffs between versions", () => {
  it("lists the added and removed lines in hunks with three lines of context", () => {
    const lines = (...l: string[]) => l.map(x => `${x}\n`).join("")
    const diff = lineDiff(lines("a", "b", "c", "d", "e", "f", "g", "h"), lines("a", "b", "c", "D", "e", "f", "g", "h", "i"))
    expect(diff).toMatchObject({ added: 2, removed: 1, tooDifferent: false })
    expect(diff.hunks).toHaveLength(1)
    expect(diff.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 8, newStart: 1, newLines: 9 })
    const marks = { added: "+", removed: "-", context: " " }
    expect(diff.hunks[0]!.lines.map(l => `${marks[l.kind]}${l.text}`)).toEqual([" a", " b", " c", "-d", "+D", " e", " f", " g", " h", "+i"])
    expect(lineDiff("same\n", "same\n").hunks).toEqual([])
  })

  it("compares images by their bytes, and gives up on two texts that share nothing", () => {
    const base = { at: 1, by: { kind: "operator" as const, name: "alice" }, mime: "image/png" as const, bytes: 3, base64: "AAAA" }
    expect(compareVersions({ ...base, version: 1, sha256: "a".repeat(64) }, { ...base, version: 2, sha256: "a".repeat(64) })).toEqual({ kind: "binary", same: true })
    expect(compareVersions({ ...base, version: 1, sha256: "a".repeat(64) }, { ...base, version: 2, sha256: "b".repeat(64) })).toEqual({ kind: "binary", same: false })
    const lines = (prefix: string) => Array.from({ length: 3_000 }, (_, i) => `${prefix}${i}`).join("\n")
    expect(lineDiff(lines("x"), lines("y"))).toMatchObject({ tooDifferent: true, hunks: [] })
  })
})

describe("Markdown in the panel", () => {
  it("renders Markdown, and keeps a peer's HTML and scripts as text", () => {
    const html = renderMarkdown("# Notes\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n**bold** [site](https://example.org) [here](/artifacts/a)")
    expect(html).toContain("<h1>Notes</h1>")
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
    expect(html).not.toMatch(/<script|<img|<[^>]*\sonerror=/i)
    expect(html).toContain('<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>')
    expect(html).toContain('<a href="/artifacts/a"')
    expect(html).toContain("<strong>bold</strong>")
  })

  it("links only http(s) and relative addresses, and names images instead of fetching them", () => {
    const html = renderMarkdown("[a](javascript:alert(1)) [b](data:text/html,x) [c](//evil.example) [d](vbscript:x) ![chart](https://tracker.example/p.png)")
    expect(html).not.toContain("<a ")
    expect(html).toContain("[image: chart]")
    expect(["https://x", "http://x", "/a", "a/b", "#top", "?q=1"].every(isSafeLink)).toBe(true)
    expect(["javascript:x", "JAVASCRIPT:x", "data:x", "//x", "file:///etc/passwd", " mailto:a@b"].some(isSafeLink)).toBe(false)
  })
})

const identity = (over: Partial<ArtifactIdentity> = {}): ArtifactIdentity => ({ id: "task-1.report", by: { kind: "worker", name: "w1" }, author: "ada", task: "task-1", ...over })
const summary = { at: 5, mime: "text/markdown" as const, sha256: "c".repeat(64), bytes: 3 }
const version = (n: number, over: Partial<ArtifactVersion> = {}): ArtifactVersion => ({ version: n, by: { kind: "worker", name: "w1" }, run: { taskId: "task-1", leaseId: "lease-1" }, ...summary, text: "abc", ...over })
const entry = (over: Partial<ArtifactEntry> = {}): ArtifactEntry => ({
  ...identity(),
  title: "Greenhouse notes",
  kind: "report",
  url: "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ",
  createdAt: 5,
  latest: { version: 1, at: 5, by: { kind: "worker", name: "w1" }, run: { taskId: "task-1", leaseId: "lease-1" }, mime: "text/markdown", sha256: "c".repeat(64), bytes: 3 },
  ...over,
})

/** Task task-1 is aimed at ada and was run by w1 under lease-1 (as the relay's queue says). */
function ctx(key: string, over: Partial<ArtifactContext> = {}): ArtifactContext {
  return {
    key,
    residentHolder: () => undefined,
    runWorker: run => (run.taskId === "task-1" && run.leaseId === "lease-1" ? "w1" : run.taskId === "task-2" && run.leaseId === "lease-2" ? "w2" : undefined),
    taskTarget: id => (id === "task-1" ? { resident: "ada" } : id === "task-2" ? { resident: undefined } : undefined),
    artifact: identity(),
    versions: [],
    ...over,
  }
}

describe("who may write an artifact's versions", () => {
  it("lets the worker that ran the task append for the task's resident, and an operator append to its own", () => {
    expect(authorizeArtifactVersionChange(undefined, version(1), w1, ctx("0"))).toEqual(ALLOWED)
    expect(authorizeArtifactVersionChange(undefined, version(2), w1, ctx("1", { versions: [version(1)] }))).toEqual(ALLOWED)
    const mine = identity({ id: "alice.plan.md", by: { kind: "operator", name: "alice" }, author: undefined, task: undefined })
    const byAlice = version(1, { by: { kind: "operator", name: "alice" }, run: undefined })
    expect(authorizeArtifactVersionChange(undefined, byAlice, alice, ctx("0", { artifact: mine }))).toEqual(ALLOWED)
    // Another worker re-running the same task appends to the same artifact.
    const rerun = identity({ task: "task-2", author: undefined, id: "task-2.report" })
    expect(authorizeArtifactVersionChange(undefined, version(2, { by: { kind: "worker", name: "w2" }, run: { taskId: "task-2", leaseId: "lease-2" } }), w2, ctx("1", { artifact: { ...rerun, by: { kind: "worker", name: "w1" } }, versions: [version(1)] }))).toEqual(ALLOWED)
  })

  it("refuses a worker writing under a run it did not make, or under none", () => {
    const theirs = version(2, { by: { kind: "worker", name: "w2" } })
    expectRefused(authorizeArtifactVersionChange(undefined, theirs, w2, ctx("1", { versions: [version(1)] })), /names run lease-1 of task task-1, which w1 ran, not w2/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(2, { run: undefined }), w1, ctx("1", { versions: [version(1)] })), /names no run: a worker writes an artifact only under a run/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1, { run: { taskId: "task-2", leaseId: "lease-2" }, by: { kind: "worker", name: "w2" } }), w2, ctx("0", { artifact: identity({ by: { kind: "worker", name: "w2" } }) })), /names a run of task task-2, but artifact task-1.report belongs to task task-1/)
  })

  it("refuses a worker writing for a resident other than its task's, or an operator's artifact", () => {
    expectRefused(authorizeArtifactVersionChange(undefined, version(1), w1, ctx("0", { artifact: identity({ author: "bo" }) })), /written as resident bo's, but task task-1 is ada's: a worker writes artifacts only for the resident of the task it ran/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1), w1, ctx("0", { artifact: identity({ author: undefined }) })), /written as no resident's, but task task-1 is ada's/)
    const alices = identity({ by: { kind: "operator", name: "alice" } })
    expectRefused(authorizeArtifactVersionChange(undefined, version(2), w1, ctx("1", { artifact: alices, versions: [version(1)] })), /was made by operator alice: a worker writes only the artifacts of the tasks it runs/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1, { by: { kind: "worker", name: "w2" } }), w1, ctx("0")), /says it was written by worker w2, but w1 wrote it/)
  })

  it("refuses an operator writing another's artifact, a resident's, or under a run", () => {
    const mine = identity({ id: "alice.plan.md", by: { kind: "operator", name: "alice" }, author: undefined, task: undefined })
    const bobs = version(2, { by: { kind: "operator", name: "bob" }, run: undefined })
    expectRefused(authorizeArtifactVersionChange(undefined, bobs, bob, ctx("1", { artifact: mine, versions: [version(1)] })), /was made by operator alice: an operator adds versions only to the artifacts it made/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1, { by: { kind: "operator", name: "alice" }, run: undefined }), alice, ctx("0", { artifact: { ...mine, author: "ada" } })), /is by resident ada: an operator writes no resident's artifacts but the journal roll-up it keeps/)
    // The roll-up an operator keeps of a resident is its own: under the id naming both, and only by its maker.
    const rollup = identity({ id: rollupId("alice", "ada"), by: { kind: "operator", name: "alice" }, author: "ada", task: undefined })
    expect(authorizeArtifactVersionChange(undefined, version(1, { by: { kind: "operator", name: "alice" }, run: undefined }), alice, ctx("0", { artifact: rollup }))).toEqual(ALLOWED)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1, { by: { kind: "operator", name: "alice" }, run: undefined }), alice, ctx("0", { artifact: { ...rollup, author: "bo" } })), /is by resident bo: an operator writes no resident's artifacts but the journal roll-up/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(2, { by: { kind: "operator", name: "bob" }, run: undefined }), bob, ctx("1", { artifact: rollup, versions: [version(1)] })), /was made by operator alice: an operator adds versions only to the artifacts it made/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1, { by: { kind: "operator", name: "alice" } }), alice, ctx("0", { artifact: mine })), /only the worker that ran a task writes under its run/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1, { by: { kind: "operator", name: "bob" }, run: undefined }), bob, ctx("0", { artifact: mine })), /version 1 is written by the artifact's maker \(operator alice\), not by bob/)
  })

  it("refuses rewriting a version, removing one, misnumbering one and putting one before the last", () => {
    expectRefused(authorizeArtifactVersionChange(version(1), version(1, { text: "changed" }), w1, ctx("0")), /version 1 of artifact task-1.report never changes: a change is a new version/)
    expectRefused(authorizeArtifactVersionChange(version(1), undefined, w1, ctx("0")), /version 1 of artifact task-1.report is never removed or rewritten/)
    expectRefused(authorizeArtifactVersionChange(version(1), undefined, alice, ctx("0")), /is never removed or rewritten/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(3), w1, ctx("1", { versions: [version(1)] })), /the version at position 2 is numbered 2, not 3/)
    const other = version(2, { sha256: "d".repeat(64) })
    expectRefused(authorizeArtifactVersionChange(undefined, other, w1, ctx("1", { versions: [version(1), version(2)] })), /goes after the last one, never in the place of version 2/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1), principal("w1", "pending"), ctx("0")), /a pending peer writes nothing/)
    expectRefused(authorizeArtifactVersionChange(undefined, version(1), w1, ctx("0", { artifact: undefined })), /has no valid id, maker, resident and task/)
  })
})

describe("who may write the artifacts index", () => {
  const ictx = (key = "task-1.report") => ctx(key)
  it("lists an artifact once, for its maker, and moves only its latest version forward", () => {
    expect(authorizeArtifactEntryChange(undefined, entry(), w1, ictx())).toEqual(ALLOWED)
    const next = entry({ latest: { ...entry().latest, version: 2, sha256: "d".repeat(64) } })
    expect(authorizeArtifactEntryChange(entry(), next, w1, ictx())).toEqual(ALLOWED)
  })

  it("refuses removing an entry, changing what identifies it, going back, or a stranger's run", () => {
    expectRefused(authorizeArtifactEntryChange(entry(), undefined, alice, ictx()), /artifact task-1.report is never removed from the index/)
    expectRefused(authorizeArtifactEntryChange(entry(), entry({ title: "Other", latest: { ...entry().latest, version: 2 } }), w1, ictx()), /artifact task-1.report: title never changes/)
    expectRefused(authorizeArtifactEntryChange(entry(), entry({ url: "automerge:3j9knpCseyhnK8izDmLpGP5WMdZQ", author: "bo" }), w1, ictx()), /author, url never change;/)
    const ahead = entry({ latest: { ...entry().latest, version: 3 } })
    expectRefused(authorizeArtifactEntryChange(ahead, entry({ latest: { ...entry().latest, version: 2 } }), w1, ictx()), /the index lists version 3; it moves on to a later version, never to 2/)
    expectRefused(authorizeArtifactEntryChange(undefined, entry(), w1, ictx("other")), /stored under the key other/)
    const byW2 = entry({ by: { kind: "worker", name: "w2" }, latest: { ...entry().latest, by: { kind: "worker", name: "w2" } } })
    expectRefused(authorizeArtifactEntryChange(undefined, byW2, w2, ictx()), /names run lease-1 of task task-1, which w1 ran, not w2/)
  })
})

describe("readers' checks and lists", () => {
  it("note an index that lags or disagrees, and an entry pointing at another artifact's document", () => {
    expect(latestNote(entry(), [version(1)])).toBeUndefined()
    expect(latestNote(entry(), [version(1), version(2)])).toBe("the index still lists version 1; the artifact holds 2")
    expect(latestNote(entry({ latest: { ...entry().latest, version: 2 } }), [version(1)])).toMatch(/lists version 2, which has not reached this copy/)
    expect(latestNote(entry(), [version(1, { sha256: "e".repeat(64) })])).toMatch(/does not match the version itself/)
    expect(identityMismatch(entry(), identity())).toBeUndefined()
    expect(identityMismatch(entry(), identity({ id: "x", by: { kind: "worker", name: "w9" } }))).toBe("its index entry and its document disagree on id, by")
  })

  it("filter by task, resident and kind, newest first; the room post links what fits", () => {
    const a = entry({ id: "a", latest: { ...entry().latest, at: 1 } })
    const b = entry({ id: "b", kind: "file", latest: { ...entry().latest, at: 3 } })
    const c = entry({ id: "c", task: "task-2", author: "bo", latest: { ...entry().latest, at: 2 } })
    expect(filterArtifacts([a, b, c], {}).map(x => x.id)).toEqual(["b", "c", "a"])
    expect(filterArtifacts([a, b, c], { task: "task-1" }).map(x => x.id)).toEqual(["b", "a"])
    expect(filterArtifacts([a, b, c], { author: "bo" }).map(x => x.id)).toEqual(["c"])
    expect(filterArtifacts([a, b, c], { kind: "file" }).map(x => x.id)).toEqual(["b"])
    expect(artifactsLine([], 100)).toBe("")
    expect(artifactsLine(["t.report", "t.files:a.md"], 100)).toBe("artifacts: /artifacts/t.report /artifacts/t.files:a.md")
    expect(artifactsLine(["t.report", "t.files:a.md", "t.files:b.md"], 50)).toBe("artifacts: /artifacts/t.report and 2 more")
    // The panel makes each of them a link.
    expect(messageParts("— /tasks/t · artifacts: /artifacts/t.report /artifacts/t.files:out:a.md").filter(p => p.to).map(p => p.to)).toEqual(["/tasks/t", "/artifacts/t.report", "/artifacts/t.files:out:a.md"])
  })
})

describe("artifacts at the relay's change gate", () => {
  /** The relay's queue holds task-1, aimed at ada, run by w1 under lease-1 (the relay's own writes). */
  async function withRunTask() {
    const h = await startGateHarness(teardown)
    const task: Task = {
      id: "task-1",
      title: "Write the greenhouse notes",
      mode: "llm",
      prompt: "Write the notes.",
      model: "auto",
      minBudgetUsd: 0,
      maxBudgetUsd: 0.01,
      priority: 0,
      dependsOn: [],
      targetIdentity: "ada",
      status: "running",
      attempts: 0,
      errors: 0,
      executions: [{ leaseId: "lease-1", worker: "w1", startedAt: 1 }],
      createdBy: "alice",
      createdAt: 1,
      updatedAt: 1,
      history: [],
    }
    await h.relayChange<QueueDoc>(h.workspace.root.docs.queue, d => {
      d.tasks["task-1"] = task
    })
    return { h, task }
  }

  it("takes a worker's report and file, made as new documents by the real action code, and shows them to readers", async () => {
    const { h, task } = await withRunTask()
    const worker = await h.peer("w1", "worker")
    const kept = await recordTaskArtifacts(worker.workspace, {
      task,
      run: { taskId: "task-1", leaseId: "lease-1" },
      by: { kind: "worker", name: "w1" },
      report: "# Notes\n\nThe tomatoes are ripe.",
      files: [
        { path: "out/chart.png", bytes: bytesOf(PNG, "pixels") },
        { path: "out/archive.zip", bytes: bytesOf([0x50, 0x4b, 0x03, 0x04, 0xc3, 0x28]) },
      ],
    })
    expect(kept.written.map(w => [w.id, w.version, w.mime])).toEqual([
      ["task-1.report", 1, "text/markdown"],
      ["task-1.files:out:chart.png", 1, "image/png"],
    ])
    expect(kept.skipped).toEqual([{ path: "out/archive.zip", reason: expect.stringContaining("neither UTF-8 text nor a PNG") }])
    expect(refusals(await worker.push())).toEqual([])
    const shown = await showArtifact(h.workspace, "task-1.report")
    expect(shown).toMatchObject({ entry: { author: "ada", task: "task-1", kind: "report", by: { kind: "worker", name: "w1" } }, version: { version: 1, text: "# Notes\n\nThe tomatoes are ripe." }, notes: [] })

    // The same run again with a changed report: version 2 of the same artifact; the unchanged image makes none.
    const again = await recordTaskArtifacts(worker.workspace, { task, run: { taskId: "task-1", leaseId: "lease-1" }, by: { kind: "worker", name: "w1" }, report: "# Notes\n\nThe tomatoes are picked.", files: [{ path: "out/chart.png", bytes: bytesOf(PNG, "pixels") }] })
    expect(again.written.map(w => [w.id, w.version])).toEqual([["task-1.report", 2]])
    expect(refusals(await worker.push())).toEqual([])
    expect((await showArtifact(h.workspace, "task-1.report")).versions.map(v => v.version)).toEqual([1, 2])
  })

  it("refuses a worker that did not run the task, and a rewritten version, each for its own reason", async () => {
    const { h, task } = await withRunTask()
    const stranger = await h.peer("w2", "worker")
    await recordTaskArtifacts(stranger.workspace, { task, run: { taskId: "task-1", leaseId: "lease-1" }, by: { kind: "worker", name: "w2" }, report: "mine now", files: [] })
    const refused = refusals(await stranger.push())
    expect(refused.length).toBeGreaterThan(0)
    for (const reason of refused) expect(reason).toMatch(/names run lease-1 of task task-1, which w1 ran, not w2/)
    const atRelay = await h.relay.find<ArtifactsDoc>(h.workspace.root.docs.artifacts as AutomergeUrl)
    expect(atRelay.doc().artifacts).toEqual({})

    const worker = await h.peer("w1", "worker")
    await recordTaskArtifacts(worker.workspace, { task, run: { taskId: "task-1", leaseId: "lease-1" }, by: { kind: "worker", name: "w1" }, report: "the first words", files: [] })
    expect(refusals(await worker.push())).toEqual([])
    const index = await worker.workspace.repo.find<ArtifactsDoc>(worker.workspace.root.docs.artifacts as AutomergeUrl)
    const doc = await worker.workspace.repo.find<ArtifactDoc>(index.doc().artifacts["task-1.report"]!.url as AutomergeUrl)
    doc.change(d => {
      d.versions[0]!.bytes = 3
    })
    expect(refusals(await worker.push())).toEqual([expect.stringMatching(/^versions\.0: version 1 of artifact task-1\.report is never removed or rewritten/)])
    // A fresh copy (the refused change stays in the first one's document).
    const again = await h.peer("w1", "worker")
    const entries = await again.workspace.repo.find<ArtifactsDoc>(again.workspace.root.docs.artifacts as AutomergeUrl)
    entries.change(d => {
      delete d.artifacts["task-1.report"]
    })
    expect(refusals(await again.push())).toEqual([expect.stringContaining("artifact task-1.report is never removed from the index")])
    expect(Object.keys(atRelay.doc().artifacts)).toEqual(["task-1.report"])
  })
})
