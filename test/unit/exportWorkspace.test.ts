/** exportWorkspace on a network-less, in-memory Repo. */
import { generateAutomergeUrl, Repo, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { RootDoc } from "../../schemas/index.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { AuditLog } from "../../src/domain/audit/auditLog.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { exportFileName, exportWorkspace } from "../../src/workspace/exportWorkspace.ts"

let repo: Repo
let root: DocHandle<RootDoc>

beforeEach(async () => {
  repo = new Repo({ network: [] })
  root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-export-0001", createdBy: "alice", now: 1 })
  const pair = await generateSigningKey()
  const audit = AuditLog.createAuditDoc(repo, "alice")
  root.change(d => {
    d.peers.alice = { name: "alice", role: "operator", publicKey: pair.publicKeyHex, state: "approved", registeredAt: 1, auditUrl: audit.url }
  })
  const log = new AuditLog(audit, { actor: { kind: "operator", name: "alice" }, key: await importPrivateKey(pair.privateKeyPkcs8) })
  await log.append("controls", "controls", { spendCapUsd: 5 })
})
afterEach(async () => {
  await repo.shutdown()
})

function addQuest(): string {
  const quest = repo.create({ schemaVersion: 1, kind: "quest", id: "q1", title: "Map the cave", objective: "", budgetUsd: 1, upfrontTip: 0, completionReward: 0, state: "active", createdBy: "alice", createdAt: 1, updatedAt: 1 })
  return quest.url
}

describe("exportWorkspace", () => {
  it("exports every document keyed by kind and URL, as plain JSON", async () => {
    const archive = repo.create({ schemaVersion: 1, kind: "archive", period: "2026-01", tasks: {} })
    root.change(d => {
      d.docs.archives["2026-01"] = archive.url
    })
    const questUrl = addQuest()
    const questIndex = await repo.find<{ quests: Record<string, unknown> }>(root.doc().docs.quests as AutomergeUrl)
    questIndex.change(d => {
      d.quests.q1 = { id: "q1", title: "Map the cave", url: questUrl, createdAt: 1 }
    })
    const progress: [number, number][] = []

    const out = await exportWorkspace(repo, root, { now: Date.UTC(2026, 0, 2), onProgress: (done, total) => progress.push([done, total]) })

    const rootDoc = root.doc()
    expect(out).toMatchObject({ format: "vivarium-workspace-export", version: 1, workspaceId: "ws-export-0001", name: "Lab", rootUrl: root.url })
    expect(out.exportedAt).toBe("2026-01-02T00:00:00.000Z")
    expect(out.missing).toEqual([])
    expect(out.issues).toEqual([])
    expect(Object.keys(out.documents.root!)).toEqual([root.url])
    for (const kind of ["queue", "identities", "wallets", "rooms", "quests", "bounties"] as const)
      expect(Object.keys(out.documents[kind]!)).toEqual([rootDoc.docs[kind]])
    expect(Object.keys(out.documents.archive!)).toEqual([archive.url])
    expect(Object.keys(out.documents.audit!)).toEqual([rootDoc.peers.alice!.auditUrl])
    const roomIndex = (await repo.find<{ rooms: Record<string, { url: string }> }>(rootDoc.docs.rooms as AutomergeUrl)).doc()
    expect(Object.keys(out.documents.room!).sort()).toEqual(Object.values(roomIndex.rooms).map(r => r.url).sort())
    expect(out.documents.quest).toEqual({ [questUrl]: expect.objectContaining({ kind: "quest", id: "q1", title: "Map the cave" }) })
    expect(out.documents.audit![rootDoc.peers.alice!.auditUrl]).toMatchObject({ kind: "audit", peer: "alice", entries: [{ seq: 0, kind: "controls" }] })

    // Plain data: it survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(out))).toEqual(out)
    const documents = Object.values(out.documents).reduce((n, byUrl) => n + Object.keys(byUrl).length, 0)
    expect(progress.at(-1)).toEqual([documents, documents])
  })

  it("lists a document it cannot find under `missing` with the reason, and exports the rest", async () => {
    const ghost = generateAutomergeUrl()
    root.change(d => {
      d.docs.archives["2025-12"] = ghost
    })

    const out = await exportWorkspace(repo, root, { findTimeoutMs: 2_000 })

    expect(out.missing).toEqual([{ kind: "archive", url: ghost, reason: expect.stringMatching(/unavailable|abort|timeout/i) }])
    expect(out.documents.archive).toBeUndefined()
    expect(Object.keys(out.documents.queue!)).toEqual([root.doc().docs.queue])
    expect(out.documents.audit).toBeDefined()
  })

  it("reports an invalid index entry as an issue and exports the valid ones", async () => {
    const rooms = await repo.find<{ rooms: Record<string, unknown> }>(root.doc().docs.rooms as AutomergeUrl)
    rooms.change(d => {
      d.rooms.evil = { id: "evil", kind: "room", title: "x", members: [], url: "javascript:alert(1)", createdAt: 1 }
    })
    const out = await exportWorkspace(repo, root)
    expect(out.issues).toEqual([expect.objectContaining({ path: "rooms.evil.url" })])
    expect(out.missing).toEqual([])
    expect(Object.keys(out.documents.room!)).toHaveLength(Object.keys(rooms.doc().rooms).length - 1)
  })
})

describe("exportFileName", () => {
  it("makes a dated, file-safe name", () => {
    expect(exportFileName("My Lab / 2", Date.UTC(2026, 4, 7))).toBe("workspace-My-Lab-2-2026-05-07.json")
    expect(exportFileName("../..", 0)).toBe("workspace-workspace-1970-01-01.json")
  })
})
