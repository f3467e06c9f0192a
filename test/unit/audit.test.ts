/**
 * The audit chain on plain arrays, with real Ed25519 keys: every kind of tampering is
 * reported as ok:false at the first bad seq, and an honest chain verifies.
 */
import { ImmutableString } from "@automerge/automerge"
import { generateAutomergeUrl, Repo } from "@automerge/automerge-repo"
import { beforeAll, describe, expect, it } from "vitest"
import { LIMITS, SignedHead as SignedHeadSchema, type AuditEntry } from "../../schemas/index.ts"
import { entryHash, signEntry, signHead, signingText, verifyAuditChain, type ChainReport, type SignedHead } from "../../src/domain/audit/audit.ts"
import { generateSigningKey, importPrivateKey, publicKeyHexOf, sha256Hex, signHex, verifyHex } from "../../src/core/signing.ts"
import { AuditLog, truncateText } from "../../src/domain/audit/auditLog.ts"
import { verifyWorkspaceAudit } from "../../src/domain/audit/auditVerify.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const PEER = "worker-a"

interface Keys {
  key: CryptoKey
  publicKeyHex: string
}

let owner: Keys
let other: Keys

async function newKeys(): Promise<Keys> {
  const { privateKeyPkcs8, publicKeyHex } = await generateSigningKey()
  return { key: await importPrivateKey(privateKeyPkcs8), publicKeyHex }
}

/** An honest chain of `n` entries signed by `owner`, and its signed head. */
async function chain(n: number, keys: Keys = owner, peer = PEER): Promise<{ entries: AuditEntry[]; head: SignedHead }> {
  const entries: AuditEntry[] = []
  let prev = ""
  for (let seq = 0; seq < n; seq++) {
    const entry = await signEntry(
      {
        seq,
        prev,
        at: 1_700_000_000_000 + seq,
        actor: { kind: "worker", name: peer },
        kind: "transition",
        subject: `task-${seq}`,
        data: JSON.stringify({ from: "queued", to: "claimed", n: seq }),
      },
      keys.key,
    )
    entries.push(entry)
    prev = await entryHash(entry)
  }
  const last = entries[n - 1]!
  return { entries, head: await signHead(peer, last.seq, await entryHash(last), keys.key) }
}

function expectFail(report: ChainReport, seq: number, reason: RegExp): void {
  expect(report, JSON.stringify(report)).toMatchObject({ ok: false, peer: PEER, seq })
  if (!report.ok) expect(report.reason).toMatch(reason)
}

/** Flips one hex digit / character at `index` of a string. */
function flip(text: string, index = 0): string {
  const c = text[index]!
  const replacement = c === "0" ? "1" : c === "a" ? "b" : c === "x" ? "y" : "0"
  return text.slice(0, index) + replacement + text.slice(index + 1)
}

beforeAll(async () => {
  owner = await newKeys()
  other = await newKeys()
})

describe("signing", () => {
  it("signs and verifies with WebCrypto Ed25519 and rejects malformed input without throwing", async () => {
    const { privateKeyPkcs8, publicKeyHex } = await generateSigningKey()
    expect(publicKeyHex).toMatch(/^[0-9a-f]{64}$/)
    expect(await publicKeyHexOf(privateKeyPkcs8)).toBe(publicKeyHex)
    const key = await importPrivateKey(privateKeyPkcs8)
    const sig = await signHex(key, "hello")
    expect(sig).toMatch(/^[0-9a-f]{128}$/)
    expect(await verifyHex(publicKeyHex, "hello", sig)).toBe(true)
    expect(await verifyHex(publicKeyHex, "hellO", sig)).toBe(false)
    expect(await verifyHex(other.publicKeyHex, "hello", sig)).toBe(false)
    expect(await verifyHex(publicKeyHex, "hello", flip(sig, 5))).toBe(false)
    expect(await verifyHex("zz", "hello", sig)).toBe(false)
    expect(await verifyHex(publicKeyHex.slice(2), "hello", sig)).toBe(false)
    expect(await verifyHex(publicKeyHex, "hello", sig.slice(1))).toBe(false)
    expect(await verifyHex(publicKeyHex, "hello", sig.toUpperCase())).toBe(false)
    expect(await verifyHex(undefined as unknown as string, "hello", sig)).toBe(false)
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  })

  it("signingText is canonical JSON in the fixed key order, whatever the input order", () => {
    const text = signingText({
      data: "{}",
      subject: "s",
      kind: "lease",
      actor: { name: PEER, kind: "worker" },
      at: 5,
      prev: "",
      seq: 0,
    })
    expect(text).toBe(`{"seq":0,"prev":"","at":5,"actor":{"kind":"worker","name":"${PEER}"},"kind":"lease","subject":"s","data":"{}"}`)
  })

  it("truncateText keeps surrogate pairs whole", () => {
    expect(truncateText("abc", 5)).toBe("abc")
    expect(truncateText("abcdef", 4)).toBe("abc…")
    const cut = truncateText("ab😀def", 4)
    expect(cut).toBe("ab…")
    expect(cut.length).toBeLessThanOrEqual(4)
  })
})

describe("verifyAuditChain", () => {
  it("accepts an honest chain, with and without its head, and an empty log", async () => {
    const { entries, head } = await chain(5)
    expect(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head)).toEqual({ peer: PEER, ok: true, entries: 5 })
    expect(await verifyAuditChain(PEER, entries, owner.publicKeyHex)).toEqual({ peer: PEER, ok: true, entries: 5 })
    expect(await verifyAuditChain(PEER, [], owner.publicKeyHex)).toEqual({ peer: PEER, ok: true, entries: 0 })
  })

  it("accepts entries beyond the signed head (not yet published)", async () => {
    const { entries } = await chain(5)
    const head = await signHead(PEER, 2, await entryHash(entries[2]!), owner.key)
    expect(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head)).toMatchObject({ ok: true, entries: 5 })
  })

  for (const field of ["data", "subject", "at", "sig", "prev", "kind", "actor.kind"] as const) {
    it(`catches a changed ${field} (signature fails at that seq)`, async () => {
      const { entries, head } = await chain(5)
      const e = { ...entries[2]!, actor: { ...entries[2]!.actor } }
      if (field === "data") e.data = e.data.replace("claimed", "claimee")
      if (field === "subject") e.subject = flip(e.subject, 5)
      if (field === "at") e.at += 1
      if (field === "sig") e.sig = flip(e.sig, 17)
      if (field === "prev") e.prev = flip(e.prev, 3)
      if (field === "kind") e.kind = "approval"
      if (field === "actor.kind") e.actor.kind = "operator"
      entries[2] = e
      expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 2, /bad signature/)
    })
  }

  it("catches two reordered entries", async () => {
    const { entries, head } = await chain(5)
    ;[entries[2], entries[3]] = [entries[3]!, entries[2]!]
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 2, /expected seq 2, found 3/)
  })

  it("catches a moved-back entry as out of order", async () => {
    const { entries, head } = await chain(5)
    const [moved] = entries.splice(1, 1)
    entries.splice(3, 0, moved!) // 0, 2, 3, 1, 4
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 1, /expected seq 1, found 2/)
  })

  it("catches a deleted middle entry", async () => {
    const { entries, head } = await chain(5)
    entries.splice(2, 1)
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 2, /seq gap: expected seq 2, found 3/)
  })

  it("catches an entry whose seq was renumbered to hide a deletion (prev mismatch; re-signing is impossible)", async () => {
    // Even a writer holding the key who re-signs seq 3 as seq 2 cannot match prev.
    const { entries } = await chain(5)
    const third = entries[3]!
    const resigned = await signEntry({ ...third, seq: 2 }, owner.key)
    const tampered = [entries[0]!, entries[1]!, resigned]
    expectFail(await verifyAuditChain(PEER, tampered, owner.publicKeyHex), 2, /prev of seq 2/)
  })

  it("catches truncation below the signed head", async () => {
    const { entries, head } = await chain(5)
    expect(head.seq).toBe(4)
    const truncated = entries.slice(0, 3)
    expectFail(await verifyAuditChain(PEER, truncated, owner.publicKeyHex, head), 3, /truncated: the signed head is at seq 4 but the log ends at seq 2/)
    expectFail(await verifyAuditChain(PEER, [], owner.publicKeyHex, head), 0, /truncated/)
    // Without the head, a truncated chain is indistinguishable from a short one.
    expect(await verifyAuditChain(PEER, truncated, owner.publicKeyHex)).toMatchObject({ ok: true })
  })

  it("catches a head that does not match the log, and a forged head", async () => {
    const { entries, head } = await chain(5)
    const other5 = (await chain(5)).entries.map(e => ({ ...e, at: e.at + 1 }))
    const forgedHead = { ...head, hash: flip(head.hash, 0) }
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, forgedHead), 4, /signed head .* bad signature/)
    const headFromElsewhere = await signHead(PEER, 4, await entryHash(other5[4]!), owner.key)
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, headFromElsewhere), 4, /does not match the signed head/)
  })

  it("catches a fork: two entries signed by the owner on the same prev", async () => {
    const { entries, head } = await chain(5)
    const fork = await signEntry(
      { ...entries[3]!, subject: "a different history", at: entries[3]!.at + 100 },
      owner.key,
    )
    entries.splice(4, 0, fork) // 0 1 2 3 3' 4
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 4, /^fork: entries at seq 3 and 3 share prev$/)
  })

  it("catches a replayed (duplicated) entry as a fork", async () => {
    const { entries, head } = await chain(5)
    entries.push({ ...entries[1]! })
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 5, /^fork: entries at seq 1 and 1 share prev$/)
  })

  it("catches an entry signed with another (unregistered) key", async () => {
    const { entries, head } = await chain(5)
    const intruder = await signEntry(
      { seq: 5, prev: await entryHash(entries[4]!), at: 1, actor: { kind: "worker", name: PEER }, kind: "approval", subject: "x", data: "{}" },
      other.key,
    )
    entries.push(intruder)
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 5, /bad signature on entry at seq 5/)
    // A whole log signed by another key fails at its first entry.
    const foreign = await chain(3, other)
    expectFail(await verifyAuditChain(PEER, foreign.entries, owner.publicKeyHex, foreign.head), 0, /bad signature/)
  })

  it("catches an entry whose actor is not the log's peer (even if validly signed by the owner's key)", async () => {
    const { entries, head } = await chain(5)
    entries[3] = await signEntry({ ...entries[3]!, actor: { kind: "worker", name: "worker-b" } }, owner.key)
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 3, /claims actor "worker-b"/)
  })

  it("reports a log of an unregistered peer", async () => {
    const { entries, head } = await chain(3)
    expectFail(await verifyAuditChain(PEER, entries, undefined, head), 0, /^peer not registered$/)
    expectFail(await verifyAuditChain(PEER, [], undefined), 0, /^peer not registered$/)
  })

  it("names only the FIRST bad entry", async () => {
    const { entries, head } = await chain(6)
    entries[4] = { ...entries[4]!, data: "{}" }
    entries[1] = { ...entries[1]!, subject: "changed" }
    expectFail(await verifyAuditChain(PEER, entries, owner.publicKeyHex, head), 1, /bad signature on entry at seq 1/)
  })
})

describe("verifyAuditChain on a segment", () => {
  it("checks a stretch from the seq and prev it must start with, or from its own first entry", async () => {
    const { entries } = await chain(6)
    const tail = entries.slice(3)
    const start = { seq: 3, prev: await entryHash(entries[2]!) }
    const head = await signHead(PEER, 5, await entryHash(entries[5]!), owner.key)
    expect(await verifyAuditChain(PEER, tail, owner.publicKeyHex, head, undefined, start)).toEqual({ peer: PEER, ok: true, entries: 3 })
    expect(await verifyAuditChain(PEER, tail, owner.publicKeyHex, head, undefined, "own")).toEqual({ peer: PEER, ok: true, entries: 3 })
    // Linked to the wrong entry before it, or read as a whole log: caught at its first seq.
    expect(await verifyAuditChain(PEER, tail, owner.publicKeyHex, undefined, undefined, { seq: 3, prev: await entryHash(entries[1]!) })).toMatchObject({ ok: false, seq: 3, reason: "prev of seq 3 does not match the hash of seq 2" })
    expect(await verifyAuditChain(PEER, tail, owner.publicKeyHex)).toMatchObject({ ok: false, seq: 0, reason: expect.stringMatching(/seq gap: expected seq 0, found 3/) })
    // A head for an entry of an earlier segment is not this segment's.
    const early = await signHead(PEER, 1, await entryHash(entries[1]!), owner.key)
    expect(await verifyAuditChain(PEER, tail, owner.publicKeyHex, early, undefined, start)).toMatchObject({ ok: false, reason: "entry at seq 1 does not match the signed head" })
  })
})

describe("AuditLog storage", () => {
  it("stores an entry's strings as immutable values, and hashes and reads them as plain strings", async () => {
    const repo = new Repo({ network: [] })
    const handle = AuditLog.createAuditDoc(repo, PEER)
    const log = new AuditLog(handle, { actor: { kind: "worker", name: PEER }, key: owner.key })
    const first = await log.append("transition", "task-1", { to: "claimed" })
    const second = await log.append("approval", "task-1", {})
    const raw = handle.doc().entries[1]! as unknown as Record<string, unknown>
    for (const field of ["prev", "kind", "subject", "data", "sig"]) expect(raw[field], field).toBeInstanceOf(ImmutableString)
    expect(second.prev).toBe(await entryHash(first))
    expect(auditEntries(handle.doc())).toEqual([first, second])
    expect(await log.entries()).toEqual([first, second])
    expect(await verifyAuditChain(PEER, auditEntries(handle.doc()), owner.publicKeyHex, SignedHeadSchema.parse(handle.doc().head))).toMatchObject({ ok: true, entries: 2 })
    await repo.shutdown()
  })
})

describe("AuditLog and verifyWorkspaceAudit on a local Repo", () => {
  async function setup() {
    const repo = new Repo({ network: [] })
    const rootHandle = createWorkspace(repo, { name: "t", workspaceId: "ws-audit-unit", createdBy: "test", now: 1 })
    const audit = AuditLog.createAuditDoc(repo, PEER)
    rootHandle.change(d => {
      d.peers[PEER] = { name: PEER, role: "worker", publicKey: owner.publicKeyHex, state: "approved", registeredAt: 1, auditUrl: audit.url }
    })
    let t = 1_000
    const log = new AuditLog(audit, { actor: { kind: "worker", name: PEER }, key: owner.key }, { now: () => t++ })
    return { repo, rootHandle, audit, log }
  }

  it("serializes concurrent appends into one chain and keeps the signed head current", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    const appended = await Promise.all(Array.from({ length: 8 }, (_, i) => log.append("transition", `task-${i}`, { i })))
    expect(appended.map(e => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(auditEntries(audit.doc()).map(e => e.subject)).toEqual(appended.map(e => e.subject))
    const head = SignedHeadSchema.parse(audit.doc().head)
    expect(head).toMatchObject({ seq: 7, hash: await entryHash(appended[7]!) })
    expect(await verifyHex(owner.publicKeyHex, `head:${PEER}:7:${head.hash}`, head.sig)).toBe(true)
    expect(await verifyWorkspaceAudit(repo, rootHandle.doc())).toEqual([{ peer: PEER, ok: true, entries: 8 }])
    await repo.shutdown()
  })

  it("writes each entry and its signed head in one change of the audit document, and never touches the root", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    const rootHeads = rootHandle.heads()
    const seen: { entries: number; head: number | undefined }[] = []
    audit.on("change", ({ doc }) => seen.push({ entries: doc.entries.length, head: doc.head?.seq }))
    for (let i = 0; i < 4; i++) await log.append("transition", `task-${i}`, { i })
    expect(seen).toEqual([
      { entries: 1, head: 0 },
      { entries: 2, head: 1 },
      { entries: 3, head: 2 },
      { entries: 4, head: 3 },
    ])
    expect(rootHandle.heads()).toEqual(rootHeads)
    await repo.shutdown()
  })

  it("catches truncation of the newest entries through the signed head left in the audit document", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    for (let i = 0; i < 5; i++) await log.append("transition", `t${i}`, {})
    audit.change(d => {
      d.entries.splice(3, 2)
    })
    expect(audit.doc().head?.seq).toBe(4)
    const [report] = await verifyWorkspaceAudit(repo, rootHandle.doc())
    expect(report).toEqual({
      ok: false,
      peer: PEER,
      seq: 3,
      entries: 3,
      reason: "truncated: the signed head is at seq 4 but the log ends at seq 2",
    })
    await repo.shutdown()
  })

  it("truncating the entries AND deleting the signed head is caught from the audit document's history", async () => {
    // The hash chain alone cannot show a cut tail; the document's history still holds the head.
    const { repo, rootHandle, audit, log } = await setup()
    for (let i = 0; i < 5; i++) await log.append("transition", `t${i}`, {})
    audit.change(d => {
      d.entries.splice(3, 2)
      delete d.head
    })
    expect(await verifyWorkspaceAudit(repo, rootHandle.doc())).toEqual([
      { peer: PEER, ok: false, seq: 3, entries: 3, reason: `head deleted: ${PEER} signed a head at seq 4 in this log's history, and none is left` },
    ])
    await repo.shutdown()
  })

  it("reports a signed head that is not a valid head record", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    for (let i = 0; i < 2; i++) await log.append("transition", `t${i}`, {})
    audit.change(d => {
      ;(d.head as { hash: unknown }).hash = "not-a-hash"
    })
    const [report] = await verifyWorkspaceAudit(repo, rootHandle.doc())
    expect(report).toMatchObject({ ok: false, peer: PEER, seq: 2, entries: 2, reason: expect.stringMatching(/^invalid signed head at head\.hash/) })
    await repo.shutdown()
  })

  it("stores data as JSON cut to LIMITS.auditData, and a rejected kind writes nothing", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    const entry = await log.append("llm_call", "x".repeat(300), { text: "y".repeat(LIMITS.auditData) })
    expect(entry.data.length).toBe(LIMITS.auditData)
    expect(entry.data.endsWith("…")).toBe(true)
    expect(entry.subject.length).toBe(200)
    await expect(log.append("nonsense" as "lease", "s", {})).rejects.toThrow()
    const next = await log.append("lease", "s", { ok: true })
    expect(next).toMatchObject({ seq: 1, data: '{"ok":true}' })
    expect(audit.doc().entries).toHaveLength(2)
    expect(await verifyWorkspaceAudit(repo, rootHandle.doc())).toEqual([{ peer: PEER, ok: true, entries: 2 }])
    await repo.shutdown()
  })

  it("keeps extending its own chain after someone else tampers with the document", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    for (let i = 0; i < 3; i++) await log.append("transition", `t${i}`, {})
    audit.change(d => {
      d.entries.splice(2, 1)
    })
    await log.append("transition", "t3", {})
    expect(auditEntries(audit.doc()).map(e => e.seq)).toEqual([0, 1, 3])
    const [report] = await verifyWorkspaceAudit(repo, rootHandle.doc())
    expect(report).toMatchObject({ ok: false, peer: PEER, seq: 2, reason: expect.stringMatching(/seq gap/) })
    await repo.shutdown()
  })

  it("reports a missing audit document, a document of another kind and a schema-invalid entry", async () => {
    const { repo, rootHandle, audit, log } = await setup()
    await log.append("lease", "s", {})
    await log.append("lease", "s", {})
    const notAudit = repo.create({ schemaVersion: 1, kind: "queue", tasks: {} })
    rootHandle.change(d => {
      const base = { role: "worker" as const, publicKey: other.publicKeyHex, state: "approved" as const, registeredAt: 1 }
      d.peers["peer-ghost"] = { ...base, name: "peer-ghost", auditUrl: generateAutomergeUrl() }
      d.peers["peer-queue"] = { ...base, name: "peer-queue", auditUrl: notAudit.url }
    })
    audit.change(d => {
      ;(d.entries[1] as { seq: unknown }).seq = "one"
    })
    const reports = await verifyWorkspaceAudit(repo, rootHandle.doc(), { findTimeoutMs: 2_000 })
    expect(reports.map(r => r.peer)).toEqual(["peer-ghost", "peer-queue", PEER])
    expect(reports[0]).toMatchObject({ ok: false, seq: 0, reason: expect.stringMatching(/^audit document automerge:\S+ not found/) })
    expect(reports[1]).toMatchObject({ ok: false, seq: 0, reason: expect.stringMatching(/^not an audit document: .*kind: expected "audit"/) })
    expect(reports[2]).toMatchObject({ ok: false, seq: 1, entries: 2, reason: expect.stringMatching(/^invalid entry at entries\.1\.seq/) })
    await repo.shutdown()
  })
})
