/**
 * Audit segments between real peers of a real relay: the owner's chain runs on across a
 * month boundary (the relay adds the segments; the clock is injected), also when the owner
 * was offline as the month began; a reader of the newest page loads the newest segment
 * alone; anyone else writing a segment or the list of segments is refused; and a workspace written by the code before segments
 * (test/fixtures/mainAudit) keeps its log, unchanged, as the first segment.
 */
import { cpSync } from "node:fs"
import { join } from "node:path"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { AuditDoc, PeerRecord } from "../../schemas/index.ts"
import { entryHash } from "../../src/domain/audit/audit.ts"
import { addDueAuditSegments, auditEntries, auditPage, verifyPeerAudit } from "../../src/domain/audit/index.ts"
import { openOwnAuditLog } from "../../src/domain/peers/index.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const HOUR = 3600_000
// Far ahead of any clock these tests run under, so the relay's own pass at start has added none of them.
const FEB_10 = Date.UTC(2099, 1, 10)
const MAR_1 = Date.UTC(2099, 2, 1)

const periodsOf = (peer: Pick<NodePeer, "workspace">, name: string) => (peer.workspace.root.peers[name]?.auditSegments ?? []).map(s => s.period)

async function operator(relay: TestRelay, name: string) {
  return connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
}

describe("audit segments", () => {
  it("the chain runs on across a month boundary, and the newest page reads the newest segment alone", async () => {
    const relay = await startTestRelay(teardown)
    const a = await operator(relay, "alice")
    const b = await operator(relay, "bob")
    let now = Date.now()
    const log = await openOwnAuditLog(a.repo, () => a.workspace.root, a.identity, { now: () => now })
    await log.append("controls", "before segments", {})

    expect(addDueAuditSegments(relay.workspace, FEB_10)).toBeGreaterThan(0)
    await waitFor(() => periodsOf(a, "alice")[0] === "2099-02", { events: [[a.workspace.rootHandle, "change"]], message: "alice to hold February's segment" })
    now = FEB_10
    await log.append("approval", "feb 1", {})
    await log.append("approval", "feb 2", {})
    // March begins: its segment is added; the next entry goes into it and continues February's chain.
    expect(addDueAuditSegments(relay.workspace, MAR_1 + HOUR)).toBeGreaterThan(0)
    await waitFor(() => periodsOf(a, "alice")[0] === "2099-03", { events: [[a.workspace.rootHandle, "change"]], message: "alice to hold March's segment" })
    now = MAR_1 + 2 * HOUR
    await log.append("approval", "mar 1", {})
    // The clock stepping back never writes behind the newest entry.
    now = FEB_10 + HOUR
    await log.append("approval", "mar 2 (clock behind)", {})

    const record = (): PeerRecord => b.workspace.root.peers.alice!
    await waitFor(() => periodsOf(b, "alice")[0] === "2099-03", { events: [[b.workspace.rootHandle, "change"]], message: "bob to see March's segment" })
    const [mar, feb] = record().auditSegments!
    const segment = async (url: string) => auditEntries((await b.repo.find<AuditDoc>(url as AutomergeUrl)).doc())
    await waitFor(async () => (await segment(mar!.url)).length === 2, { timeoutMs: 10_000, message: "bob to hold March's entries" })
    const [first, febs, mars] = [await segment(record().auditUrl), await segment(feb!.url), await segment(mar!.url)]
    expect(first.map(e => e.subject)).toEqual(["before segments"])
    expect(febs.map(e => [e.seq, e.subject])).toEqual([[1, "feb 1"], [2, "feb 2"]])
    expect(mars.map(e => [e.seq, e.subject])).toEqual([[3, "mar 1"], [4, "mar 2 (clock behind)"]])
    expect(febs[0]!.prev).toBe(await entryHash(first[0]!))
    expect(mars[0]!.prev).toBe(await entryHash(febs[1]!))

    // The whole chain verifies; so do the newest segment alone and the newest two with their link.
    expect(await verifyPeerAudit(b.repo, "alice", record())).toEqual({ peer: "alice", ok: true, entries: 5 })
    expect(await verifyPeerAudit(b.repo, "alice", record(), { newestSegments: 1 })).toEqual({ peer: "alice", ok: true, entries: 2 })
    expect(await verifyPeerAudit(b.repo, "alice", record(), { newestSegments: 2 })).toEqual({ peer: "alice", ok: true, entries: 4 })
    const page = await auditPage(b.repo, record(), { minEntries: 2 })
    expect(page.handles.map(h => h.url)).toEqual([mar!.url])
    expect(page.entries.map(e => e.subject)).toEqual(["mar 1", "mar 2 (clock behind)"])
    expect(page.complete).toBe(false)
    expect((await auditPage(b.repo, record())).entries.map(e => e.seq)).toEqual([0, 1, 2, 3, 4])
    // A reopened log (a new process) finds the chain's end in the newest segment.
    const again = await openOwnAuditLog(a.repo, () => a.workspace.root, a.identity, { now: () => MAR_1 + 3 * HOUR })
    expect(await again.append("approval", "mar 3", {})).toMatchObject({ seq: 5, prev: await entryHash(mars[1]!) })
  })

  it("an owner offline when a month begins writes into the segment it holds, and its chain runs on into the new one", async () => {
    const relay = await startTestRelay(teardown)
    const a = await operator(relay, "alice")
    let now = FEB_10
    const log = await openOwnAuditLog(a.repo, () => a.workspace.root, a.identity, { now: () => now })
    expect(addDueAuditSegments(relay.workspace, FEB_10)).toBeGreaterThan(0)
    await waitFor(() => periodsOf(a, "alice")[0] === "2099-02", { events: [[a.workspace.rootHandle, "change"]], message: "alice to hold February's segment" })
    await log.append("approval", "feb", {})

    // Alice goes offline; the relay adds March's segment; her March entry goes into February's.
    a.repo.networkSubsystem.disconnect()
    await waitFor(() => !relay.repo.peers.includes(a.repo.peerId), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]], message: "the relay to see alice leave" })
    expect(addDueAuditSegments(relay.workspace, MAR_1 + HOUR)).toBeGreaterThan(0)
    now = MAR_1 + 2 * HOUR
    await log.append("approval", "mar (offline)", {})
    expect(periodsOf(a, "alice")).toEqual(["2099-02"])

    // Back online she holds March's segment: the next entry goes there, after the offline one.
    a.repo.networkSubsystem.reconnect()
    await waitFor(() => periodsOf(a, "alice")[0] === "2099-03", { events: [[a.workspace.rootHandle, "change"]], timeoutMs: 10_000, message: "alice to see March's segment" })
    now = MAR_1 + 3 * HOUR
    await log.append("approval", "mar (online)", {})
    const record = () => relay.workspace.root.peers.alice!
    const [mar, feb] = record().auditSegments!
    const segment = async (url: string) => auditEntries((await relay.repo.find<AuditDoc>(url as AutomergeUrl)).doc())
    await waitFor(async () => (await segment(mar!.url)).length === 1 && (await segment(feb!.url)).length === 2, { timeoutMs: 10_000, message: "the relay to hold alice's entries" })
    expect((await segment(feb!.url)).map(e => [e.seq, e.subject])).toEqual([[0, "feb"], [1, "mar (offline)"]])
    expect((await segment(mar!.url)).map(e => [e.seq, e.subject])).toEqual([[2, "mar (online)"]])
    expect(await verifyPeerAudit(relay.repo, "alice", record())).toEqual({ peer: "alice", ok: true, entries: 3 })
  })

  it("refuses anyone but the owner writing a segment, and any peer listing segments", async () => {
    const relay = await startTestRelay(teardown)
    const a = await operator(relay, "alice")
    const b = await operator(relay, "bob")
    expect(addDueAuditSegments(relay.workspace, FEB_10)).toBeGreaterThan(0)
    await waitFor(() => periodsOf(b, "alice")[0] === "2099-02", { events: [[b.workspace.rootHandle, "change"]], message: "bob to see alice's segment" })
    const feb = b.workspace.root.peers.alice!.auditSegments![0]!
    const aliceLog = await openOwnAuditLog(a.repo, () => a.workspace.root, a.identity, { now: () => FEB_10 })
    const honest = await aliceLog.append("approval", "feb", {})
    const refused = (reason: string) =>
      waitFor(() => relay.logs.some(l => l.startsWith("refused a change") && l.includes(reason)), { intervalMs: 50, timeoutMs: 10_000, message: `the relay to refuse: ${reason}` })

    // Bob appends a copy of alice's entry to her segment.
    const inBob = await b.repo.find<AuditDoc>(feb.url as AutomergeUrl)
    await waitFor(() => auditEntries(inBob.doc()).length === 1, { events: [[inBob, "change"]], message: "bob to hold alice's entry" })
    inBob.change(d => void d.entries.push({ ...honest, actor: { ...honest.actor }, seq: 1, subject: "forged" }))
    await refused("this is the audit log of alice: only alice writes it")
    // Bob lists a document of his own as alice's newest segment.
    const forged = b.repo.create<AuditDoc>({ schemaVersion: 1, kind: "audit", peer: "alice", period: "2099-03", entries: [] })
    b.workspace.rootHandle.change(d => void d.peers.alice!.auditSegments!.unshift({ period: "2099-03", url: forged.url }))
    await refused("peer alice: the segments of its audit log are listed by the relay only")
    // Alice herself cannot list segments either.
    a.workspace.rootHandle.change(d => void (d.peers.alice!.auditSegments = []))
    await refused("peer alice: the segments of its audit log are listed by the relay only")

    const stored = await relay.repo.find<AuditDoc>(feb.url as AutomergeUrl)
    expect(auditEntries(stored.doc()).map(e => e.subject)).toEqual(["feb"])
    expect(relay.workspace.root.peers.alice!.auditSegments!.map(s => s.url)).toEqual([feb.url])
    expect(await verifyPeerAudit(relay.repo, "alice", relay.workspace.root.peers.alice!)).toMatchObject({ ok: true, entries: 1 })
  })

  it("a workspace written before segments keeps its log as the first segment, unchanged, and the chain runs on", async () => {
    const dataDir = join(makeTempDir(teardown, "vivarium-main-audit-"), ".vivarium")
    cpSync(join(import.meta.dirname, "../fixtures/mainAudit/data"), dataDir, { recursive: true })
    const relay = await startTestRelay(teardown, { dataDir })
    const owner = relay.owner.name
    const record = () => relay.workspace.root.peers[owner]!
    const firstDoc = await relay.repo.find<AuditDoc>(record().auditUrl as AutomergeUrl)
    const heads = firstDoc.heads()
    const before = auditEntries(firstDoc.doc())
    expect(before.map(e => e.subject)).toEqual(Array.from({ length: 40 }, (_, i) => `task-${i}`))
    expect(JSON.parse(before[39]!.data)).toEqual({ i: 39, note: "entry 39 ✓" })
    expect(await verifyPeerAudit(relay.repo, owner, record())).toEqual({ peer: owner, ok: true, entries: 40 })

    // The relay adds a segment; the owner's next entry goes into it, continuing the old chain.
    expect(addDueAuditSegments(relay.workspace, Date.UTC(2099, 0, 10))).toBeGreaterThan(0)
    expect(record().auditUrl).toBe(firstDoc.url)
    const log = await openOwnAuditLog(relay.repo, () => relay.workspace.root, relay.owner, { now: () => Date.UTC(2099, 0, 11) })
    const next = await log.append("controls", "after the upgrade", {})
    expect(next).toMatchObject({ seq: 40, prev: await entryHash(before[39]!) })

    // A fresh peer (its approval is the owner's next entry) reads the same 40 entries and the new ones, and the whole chain verifies.
    const carol = await operator(relay, "carol")
    await waitFor(() => (carol.workspace.root.peers[owner]!.auditSegments ?? []).some(s => s.period === "2099-01"), { events: [[carol.workspace.rootHandle, "change"]], message: "carol to see the segment" })
    const read = await auditPage(carol.repo, carol.workspace.root.peers[owner]!)
    expect(read.entries.slice(0, 40)).toEqual(before)
    expect(read.entries[40]).toEqual(next)
    expect(read.entries.map(e => e.seq)).toEqual(Array.from({ length: read.entries.length }, (_, i) => i))
    expect(await verifyPeerAudit(carol.repo, owner, carol.workspace.root.peers[owner]!)).toEqual({ peer: owner, ok: true, entries: read.entries.length })
    expect(firstDoc.heads()).toEqual(heads)

    // The CLI checks the whole history, or the newest month alone.
    const verify = async (...flags: string[]) => {
      const run = await runCli(["audit", "verify", "--json", ...flags], { cwd: relay.workDir })
      expect(run.code, run.stderr).toBe(0)
      return (JSON.parse(run.stdout) as { peers: { peer: string; ok: boolean; entries: number }[] }).peers.find(p => p.peer === owner)
    }
    expect(await verify()).toEqual({ peer: owner, ok: true, entries: read.entries.length })
    expect(await verify("--months", "1")).toEqual({ peer: owner, ok: true, entries: read.entries.length - 40 })
  })
})
