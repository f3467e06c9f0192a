/**
 * Export, import and backup through the built CLI against a real relay: the archive holds
 * every document with its whole history; one changed byte, a cut-short file or a partial
 * archive is refused before anything is written; an import's documents are the exported
 * ones to the last change, and a relay started on it passes `audit verify`.
 */
import * as A from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { WorkspaceArchive } from "../../schemas/workspaceArchive.ts"
import { canonicalJson } from "../../src/core/authority/verdict.ts"
import { signHex } from "../../src/core/signing.ts"
import { addTask } from "../../src/domain/tasks/index.ts"
import { loadIdentity } from "../../src/peer/peerIdentity.ts"
import { verifyArchive } from "../../src/workspace/workspaceArchive.ts"
import { DurableFileStorage } from "../../peer-server/storage/durableFileStorage.ts"
import { StorageHealth } from "../../peer-server/storage/storageHealth.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()

async function workspaceWithHistory() {
  const relay = await startTestRelay(teardown)
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "alice") })
  const alice = await peerOperator(peer)
  for (let i = 0; i < 5; i++) await addTask(alice, { command: `echo kept ${i}` })
  return { relay, peer }
}

/** The documents a data directory's storage holds, loaded as a relay would. */
async function storedDocuments(storageDir: string, ids: string[]): Promise<Map<string, A.Doc<unknown>>> {
  const storage = new DurableFileStorage(storageDir, { health: new StorageHealth() })
  const repo = new Repo({ storage, network: [] })
  const out = new Map<string, A.Doc<unknown>>()
  for (const id of ids) out.set(id, (await repo.find<unknown>(`automerge:${id}` as never)).doc())
  await repo.shutdown()
  await storage.close()
  return out
}

describe("export, import and backup", () => {
  it("exports every document signed; a changed byte or a cut-short file is refused and writes nothing; the import holds the same documents, and audit verify passes on it", async () => {
    const { relay } = await workspaceWithHistory()
    const dir = makeTempDir(teardown, "vivarium-archive-")
    const file = join(dir, "ws.json")
    const exported = await runCli(["export", "--out", file, "--data", relay.dataDir, "--json"], { timeoutMs: 60_000 })
    expect(exported.code, exported.stderr).toBe(0)
    const out = JSON.parse(exported.stdout) as { documents: number; signer: string; missing: unknown[] }
    expect(out.missing).toEqual([])
    expect(out.signer).toBe("owner")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const archive = JSON.parse(readFileSync(file, "utf8")) as WorkspaceArchive
    const kinds = new Set(archive.manifest.documents.map(d => d.kind))
    for (const kind of ["root", "queue", "identities", "rooms", "quests", "bounties", "mailbox", "skills", "audit"]) expect(kinds, kind).toContain(kind)
    expect(out.documents).toBe(archive.manifest.documents.length)

    // One byte changed in the queue's binary: refused with the reason, and the target stays empty.
    const queue = archive.manifest.documents.find(d => d.kind === "queue")!
    const bytes = Buffer.from(archive.documents[queue.url]!, "base64")
    const at = Math.floor(bytes.length / 2)
    bytes[at] = bytes[at]! ^ 0x01
    const tampered = join(dir, "tampered.json")
    writeFileSync(tampered, JSON.stringify({ ...archive, documents: { ...archive.documents, [queue.url]: bytes.toString("base64") } }))
    const target = join(dir, "imported")
    const refused = await runCli(["import", tampered, "--data", target])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`the queue document ${queue.url} is not the one exported (its SHA-256 differs)`)
    expect(refused.stderr).toContain("Nothing was written")
    expect(() => readdirSync(target)).toThrow()
    // Cut short, as a copy interrupted halfway.
    const cut = join(dir, "cut.json")
    writeFileSync(cut, readFileSync(file, "utf8").slice(0, 5_000))
    const cutShort = await runCli(["import", cut, "--data", target, "--json"])
    expect(cutShort.code).toBe(2)
    expect(JSON.parse(cutShort.stdout)).toMatchObject({ error: { code: "archive_refused" } })
    expect(() => readdirSync(target)).toThrow()

    // The genuine archive, with the keys from the old data directory.
    const imported = await runCli(["import", file, "--data", target, "--keys-from", relay.dataDir, "--json"])
    expect(imported.code, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ documents: archive.manifest.documents.length, keys: ["owner-identity", "relay-identity"] })
    const ids = archive.manifest.documents.map(d => d.url.slice("automerge:".length))
    const stored = await storedDocuments(join(target, "automerge"), ids)
    for (const entry of archive.manifest.documents) {
      const original = A.load(Buffer.from(archive.documents[entry.url]!, "base64"))
      const copy = stored.get(entry.url.slice("automerge:".length))!
      expect(A.getHeads(copy), entry.kind).toEqual(A.getHeads(original))
      expect(canonicalJson(copy)).toBe(canonicalJson(original))
    }
    const again = await runCli(["import", file, "--data", target])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("holds a workspace already")

    // A relay on the imported directory serves the same workspace, and its audit verifies.
    await relay.close()
    const moved = await startTestRelay(teardown, { dataDir: target })
    expect(moved.workspace.root.workspaceId).toBe(archive.manifest.workspaceId)
    expect(moved.workspace.tasks.entries.size).toBe(5)
    const verify = await runCli(["audit", "verify", "--data", target], { timeoutMs: 60_000 })
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(verify.stdout).toContain("every authority record verifies")
  }, 120_000)

  it("refuses a partial archive, one signed by a key the workspace does not approve, and one whose manifest changed", async () => {
    const { relay } = await workspaceWithHistory()
    const dir = makeTempDir(teardown, "vivarium-archive-")
    const file = join(dir, "ws.json")
    expect((await runCli(["export", "--out", file, "--data", relay.dataDir], { timeoutMs: 60_000 })).code).toBe(0)
    const archive = JSON.parse(readFileSync(file, "utf8")) as WorkspaceArchive
    const owner = (await loadIdentity(join(relay.dataDir, "owner-identity")))!
    const resign = async (a: WorkspaceArchive, key = owner) => ({ ...a, signature: { signer: key.name, publicKeyHex: key.publicKeyHex, sig: await signHex(key.key, canonicalJson(a.manifest)) } })
    await expect(verifyArchive(archive, "ws.json")).resolves.toMatchObject({ signer: "owner" })

    const missing = { ...archive.manifest, missing: [{ kind: "room" as const, url: "automerge:2uoXq9dDbbQdhGPSb1gTLEkNG1Nv", reason: "not found in 10 s" }] }
    await expect(verifyArchive(await resign({ ...archive, manifest: missing }), "ws.json")).rejects.toThrow(/it is partial: 1 document\(s\) could not be exported/)
    const renamed = { ...archive, manifest: { ...archive.manifest, name: "Someone else's" } }
    await expect(verifyArchive(renamed, "ws.json")).rejects.toThrow(/changed after the export/)
    const stranger = (await loadIdentity(join(relay.dataDir, "relay-identity")))!
    await expect(verifyArchive(await resign(archive, stranger), "ws.json")).rejects.toThrow(/not an approved operator of the workspace/)
    const dropped = { ...archive.documents }
    delete dropped[archive.manifest.documents.find(d => d.kind === "skills")!.url]
    await expect(verifyArchive({ ...archive, documents: dropped }, "ws.json")).rejects.toThrow(/the skills document .* is missing from it/)
  }, 60_000)

  it("reset archives the workspace from a stopped relay's storage and keeps it; the next start is a new, empty workspace; the archive imports", async () => {
    const { relay } = await workspaceWithHistory()
    const before = relay.workspace.root.workspaceId
    const unconfirmed = await runCli(["reset", "--data", relay.dataDir])
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain("run again with --yes")
    const running = await runCli(["reset", "--data", relay.dataDir, "--yes"])
    expect(running.code).toBe(2)
    expect(running.stderr).toContain("is running; stop it first")
    await relay.close()

    const reset = await runCli(["reset", "--data", relay.dataDir, "--yes", "--json"], { timeoutMs: 60_000 })
    expect(reset.code, reset.stderr).toBe(0)
    const out = JSON.parse(reset.stdout) as { kept: string; archive: string; missing: number }
    expect(out.missing).toBe(0)
    expect(readdirSync(out.kept).sort()).toEqual(["automerge", "workspace-archive.json", "workspace.json"])

    const fresh = await startTestRelay(teardown, { dataDir: relay.dataDir })
    expect(fresh.workspace.root.workspaceId).not.toBe(before)
    expect(fresh.workspace.tasks.entries.size).toBe(0)
    expect(fresh.workspace.root.peers.owner?.state).toBe("approved")

    const target = join(makeTempDir(teardown, "vivarium-reset-back-"), "data")
    const back = await runCli(["import", out.archive, "--data", target, "--keys-from", relay.dataDir, "--json"])
    expect(back.code, back.stderr).toBe(0)
    await fresh.close()
    const restored = await startTestRelay(teardown, { dataDir: target })
    expect(restored.workspace.root.workspaceId).toBe(before)
    expect(restored.workspace.tasks.entries.size).toBe(5)
  }, 120_000)

  it("backup keeps the newest N archives in the directory", async () => {
    const { relay } = await workspaceWithHistory()
    const dir = makeTempDir(teardown, "vivarium-backups-")
    const runs: string[] = []
    for (let i = 0; i < 3; i++) {
      const run = await runCli(["backup", "--to", dir, "--keep", "2", "--data", relay.dataDir, "--json"], { timeoutMs: 60_000 })
      expect(run.code, run.stderr).toBe(0)
      runs.push((JSON.parse(run.stdout) as { file: string }).file)
    }
    const kept = readdirSync(dir).sort()
    expect(kept).toHaveLength(2)
    expect(kept.map(f => join(dir, f))).toEqual(runs.slice(1).sort())
    await expect(verifyArchive(JSON.parse(readFileSync(runs[2]!, "utf8")), runs[2]!)).resolves.toBeDefined()
  }, 120_000)
})
