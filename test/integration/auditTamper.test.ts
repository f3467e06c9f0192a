/**
 * Tampering with a peer's audit log: peer A, enrolled by the relay, writes five signed entries;
 * A's audit document (and, for the registration cases, the root) is then rewritten in the relay's own replica (history written through
 * an older relay, or merged from an offline copy: the relay's gate refuses such a rewrite
 * from a peer); a fresh peer C then verifies the workspace and must name peer A and the
 * first bad seq.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { AuditDoc, AuditEntry } from "../../schemas/index.ts"
import { entryHash, signEntry, type ChainReport } from "../../src/domain/audit/audit.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { verifyWorkspaceAudit } from "../../src/domain/audit/auditVerify.ts"
import { whenPeerHas } from "../../src/workspace/sync.ts"
import { openOwnAuditLog } from "../../src/domain/peers/registerPeer.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const A = "peer-a"
const SYNC_MS = 10_000

const teardown = useTeardown("each")

interface Scene {
  relay: TestRelay
  a: NodePeer
  b: NodePeer
  aKey: CryptoKey
  auditUrl: AutomergeUrl
  /** The relay's replica of A's audit document (where the tampering is written). */
  bAudit: DocHandle<AuditDoc>
}

/** Resolves once the relay holds every local change of `handle`. */
async function flush(peer: NodePeer, handle: DocHandle<unknown>): Promise<void> {
  const relayId = peer.relayPeerId()
  if (!relayId) throw new Error("peer is not connected to the relay")
  await whenPeerHas(peer.repo, handle, relayId, SYNC_MS)
}

function sameHeads(x: DocHandle<unknown>, y: DocHandle<unknown>): boolean {
  const theirs = new Set(y.heads())
  const ours = x.heads()
  return ours.length === theirs.size && ours.every(h => theirs.has(h))
}

/** The relay enrols A (writing its registration and creating its audit log); A writes five entries through AuditLog; the relay gets them. */
async function scene(): Promise<Scene> {
  const relay = await startTestRelay(teardown)
  const identity = await approvedIdentity(relay, "worker", A)
  const a = await connectTestPeer(teardown, relay, { identity })
  const b = await connectTestPeer(teardown, relay)

  const aKey = identity.key
  const log = await openOwnAuditLog(a.repo, a.workspace.root, identity)
  const audit = log.handle
  const appended = await Promise.all([
    log.append("lease", "task-1", { lease: "taken" }),
    log.append("transition", "task-1", { from: "queued", to: "claimed" }),
    log.append("llm_call", "task-1", { model: "llama-3.1-8b-instant", tokens: 120 }),
    log.append("transition", "task-1", { from: "claimed", to: "running" }),
    log.append("transition", "task-1", { from: "running", to: "pending_review" }),
  ])
  expect(appended.map(e => e.seq)).toEqual([0, 1, 2, 3, 4])
  expect(audit.doc().head?.seq).toBe(4)
  await flush(a, audit as DocHandle<unknown>)

  const bAudit = await relay.repo.find<AuditDoc>(audit.url)
  await waitFor(() => sameHeads(bAudit as DocHandle<unknown>, audit as DocHandle<unknown>), {
    timeoutMs: SYNC_MS,
    message: "the relay has A's audit log",
  })
  expect(bAudit.doc().entries).toHaveLength(5)
  expect(bAudit.doc().head?.seq).toBe(4)
  return { relay, a, b, aKey, auditUrl: audit.url, bAudit }
}

/** A fresh peer C syncs everything from the relay and verifies. */
async function verifyFromFreshPeer(s: Scene): Promise<ChainReport[]> {
  await flush(s.b, s.b.workspace.rootHandle as DocHandle<unknown>)
  await flush(s.b, s.b.workspace.queueHandle as DocHandle<unknown>)
  const c = await connectTestPeer(teardown, s.relay)
  const relayRoot = s.relay.workspace.rootHandle as DocHandle<unknown>
  await waitFor(() => sameHeads(c.workspace.rootHandle as DocHandle<unknown>, relayRoot), { timeoutMs: SYNC_MS, message: "C has the root" })
  // Tasks name peers too (a task's creator): C must hold the relay's queue before it verifies.
  await waitFor(() => sameHeads(c.workspace.queueHandle as DocHandle<unknown>, s.relay.workspace.queueHandle as DocHandle<unknown>), {
    timeoutMs: SYNC_MS,
    message: "C has the relay's queue",
  })
  const cAudit = await c.repo.find<AuditDoc>(s.auditUrl)
  await waitFor(() => sameHeads(cAudit as DocHandle<unknown>, s.bAudit as DocHandle<unknown>), {
    timeoutMs: SYNC_MS,
    message: "C has the relay's version of A's audit log",
  })
  return verifyWorkspaceAudit(c.repo, c.workspace.root, { rootDoc: c.workspace.rootHandle.doc(), tasks: c.workspace.tasks.entries.values() })
}

/** A plain copy of a document entry (Automerge objects cannot be re-inserted as they are). */
function copy(entry: AuditEntry): AuditEntry {
  return JSON.parse(JSON.stringify(entry)) as AuditEntry
}

/** A's report; every other registered log (the relay registers its own) must verify. */
function reportOf(reports: ChainReport[], peer: string): ChainReport | undefined {
  for (const r of reports) if (r.peer !== peer && r.peer !== "peer-z") expect(r, JSON.stringify(r)).toMatchObject({ ok: true })
  return reports.find(r => r.peer === peer)
}

function expectTamper(reports: ChainReport[], seq: number, reason: RegExp): void {
  const report = reportOf(reports, A)
  expect(report, JSON.stringify(report)).toMatchObject({ ok: false, peer: A, seq })
  if (report && !report.ok) expect(report.reason).toMatch(reason)
}

describe("audit log tampering through the relay", () => {
  it("an untampered log verifies on a fresh peer", async () => {
    const s = await scene()
    const reports = await verifyFromFreshPeer(s)
    expect(reportOf(reports, A)).toEqual({ peer: A, ok: true, entries: 5 })
  })

  it("a changed byte in one entry is caught at that seq", async () => {
    const s = await scene()
    s.bAudit.change(d => {
      const e = d.entries[2]!
      e.data = String(e.data).replace("120", "121")
    })
    expectTamper(await verifyFromFreshPeer(s), 2, /bad signature on entry at seq 2/)
  })

  it("two reordered entries are caught", async () => {
    const s = await scene()
    s.bAudit.change(d => {
      const e2 = copy(d.entries[2]!)
      const e3 = copy(d.entries[3]!)
      d.entries.splice(2, 2, e3, e2)
    })
    expect(s.bAudit.doc().entries.map(e => e.seq)).toEqual([0, 1, 3, 2, 4])
    expectTamper(await verifyFromFreshPeer(s), 2, /expected seq 2, found 3/)
  })

  it("a deleted entry is caught", async () => {
    const s = await scene()
    s.bAudit.change(d => {
      d.entries.splice(1, 1)
    })
    expectTamper(await verifyFromFreshPeer(s), 1, /seq gap: expected seq 1, found 2/)
  })

  it("truncation of the newest entries is caught through A's signed head, left in the audit document", async () => {
    const s = await scene()
    s.bAudit.change(d => {
      d.entries.splice(3, 2)
    })
    expect(s.bAudit.doc().entries).toHaveLength(3)
    expect(s.bAudit.doc().head?.seq).toBe(4)
    expectTamper(await verifyFromFreshPeer(s), 3, /truncated: the signed head is at seq 4/)
  })

  it("truncation together with deleting A's signed head is caught from the document's history", async () => {
    const s = await scene()
    s.bAudit.change(d => {
      d.entries.splice(3, 2)
      delete d.head
    })
    expectTamper(await verifyFromFreshPeer(s), 3, /head deleted: peer-a signed a head at seq 4/)
  })

  it("a deleted head alone is caught", async () => {
    const s = await scene()
    s.bAudit.change(d => {
      delete d.head
    })
    expectTamper(await verifyFromFreshPeer(s), 5, /head deleted/)
  })

  it("a head rewound to an older one A really signed, with the tail truncated to match, is caught", async () => {
    const s = await scene()
    const older = s.bAudit
      .history()!
      .map(h => s.bAudit.view(h).doc().head)
      .find(h => h?.seq === 2)!
    expect(older).toBeDefined()
    s.bAudit.change(d => {
      d.entries.splice(3, 2)
      d.head = JSON.parse(JSON.stringify(older)) as typeof older
    })
    expectTamper(await verifyFromFreshPeer(s), 2, /head rewound: the log's head is at seq 2, but peer-a signed a head at seq 4/)
  })

  it("a deleted peer registration is reported, with the audit log it had", async () => {
    const s = await scene()
    s.relay.workspace.rootHandle.change(d => {
      delete d.peers[A]
    })
    const reports = await verifyFromFreshPeer(s)
    expectTamper(reports, 0, new RegExp(`registration deleted from the root \\(it was registered with audit log ${s.auditUrl}\\)`))
  })

  it("a peer named in a task but never registered is reported", async () => {
    const s = await scene()
    s.relay.workspace.addTask({ command: "ls" }, { kind: "operator", name: "ghost" })
    const reports = await verifyFromFreshPeer(s)
    expect(reportOf(reports, "ghost")).toMatchObject({ ok: false, peer: "ghost", reason: expect.stringMatching(/^not registered, but named in task task-.* \(created by\)$/) })
  })

  it("a fork (a second entry signed with A's key on the same prev) is caught", async () => {
    // B stands in for a second writer holding A's key (a copied key, an equivocating A).
    const s = await scene()
    const entries = s.bAudit.doc().entries
    const fork = await signEntry(
      { ...copy(entries[3]!), subject: "task-2", data: JSON.stringify({ from: "claimed", to: "cancelled" }) },
      s.aKey,
    )
    expect(fork.prev).toBe(await entryHash(copy(entries[2]!)))
    s.bAudit.change(d => {
      d.entries.splice(4, 0, fork)
    })
    expectTamper(await verifyFromFreshPeer(s), 4, /^fork: entries at seq 3 and 3 share prev$/)
  })

  it("an entry appended with B's own (unregistered) key is caught", async () => {
    const s = await scene()
    const bKeys = await generateSigningKey()
    const bKey = await importPrivateKey(bKeys.privateKeyPkcs8)
    const entries = s.bAudit.doc().entries
    const forged = await signEntry(
      {
        seq: 5,
        prev: await entryHash(copy(entries[4]!)),
        at: Date.now(),
        actor: { kind: "worker", name: A },
        kind: "approval",
        subject: "task-1",
        data: JSON.stringify({ approvedBy: A }),
      },
      bKey,
    )
    s.bAudit.change(d => {
      d.entries.push(forged)
    })
    expectTamper(await verifyFromFreshPeer(s), 5, /bad signature on entry at seq 5/)
  })

  it("a registered peer whose audit URL points at another peer's log is reported", async () => {
    // (A URL nobody holds is covered in test/unit/audit.test.ts on a local Repo: asking
    // this relay for one leaves an unavailable handle that makes relay.close() throw.)
    const s = await scene()
    const { publicKeyHex } = await generateSigningKey()
    s.relay.workspace.rootHandle.change(d => {
      d.peers["peer-z"] = { name: "peer-z", role: "worker", publicKey: publicKeyHex, state: "approved", registeredAt: Date.now(), auditUrl: s.auditUrl }
    })
    const reports = await verifyFromFreshPeer(s)
    expect(reportOf(reports, A)).toEqual({ peer: A, ok: true, entries: 5 })
    expect(reportOf(reports, "peer-z")).toEqual({
      peer: "peer-z",
      ok: false,
      seq: 0,
      entries: 0,
      reason: 'audit document belongs to "peer-a", not to peer-z',
    })
  })
})
