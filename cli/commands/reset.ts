/**
 * `vivarium reset --data DIR`: a fresh start that keeps everything. With the relay stopped, it
 * archives the workspace from the data directory's own storage (signed by the owner, as
 * `export` writes it), moves the documents and the workspace pointer into
 * `DIR/before-reset-<time>/`, and leaves the keys and the join secret: the next start creates a
 * new, empty workspace owned by the same owner. Nothing is deleted.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Repo, type AutomergeUrl } from "@automerge/automerge-repo"
import { z } from "zod"
import { archiveWorkspace } from "../../src/workspace/workspaceArchive.ts"
import { loadIdentity } from "../../src/peer/peerIdentity.ts"
import { dataDirPaths, localRelayHost, readRelayAddress, readWorkspacePointer } from "../../peer-server/dataDir.ts"
import { DurableFileStorage } from "../../peer-server/storage/durableFileStorage.ts"
import { StorageHealth } from "../../peer-server/storage/storageHealth.ts"
import { parseFlags } from "../args.ts"
import { DEFAULT_DATA_DIR } from "../connection.ts"
import { CliError } from "../errors.ts"

const FLAGS = { data: { type: "string", default: DEFAULT_DATA_DIR }, yes: { type: "boolean", default: false }, json: { type: "boolean", default: false } } as const
const Input = z.object({ data: z.string().min(1), yes: z.boolean(), json: z.boolean() })

/** Whether a relay answers for this data directory now (its recorded address, on this machine). */
async function relayRunning(dir: string): Promise<boolean> {
  const address = readRelayAddress(dir)
  if (!address) return false
  try {
    const res = await fetch(`http://${localRelayHost(address)}:${address.port}/healthz`, { signal: AbortSignal.timeout(1_500) })
    await res.body?.cancel()
    return true
  } catch {
    return false
  }
}

export async function runReset(argv: string[]): Promise<number> {
  const flags = parseFlags("reset", argv, FLAGS, Input)
  const dir = resolve(flags.data)
  const paths = dataDirPaths(dir)
  const pointer = readWorkspacePointer(paths)
  if (!pointer) throw new CliError(`reset: ${dir} holds no workspace (nothing to reset)`)
  if (!flags.yes) throw new CliError(`reset: this starts a new, empty workspace in ${dir} (the old one is archived and kept beside it); run again with --yes`)
  if (await relayRunning(dir)) throw new CliError(`reset: the relay for ${dir} is running; stop it first (Ctrl+C, or systemctl stop vivarium-relay)`)
  const owner = await loadIdentity(paths.ownerIdentity)
  if (!owner) throw new CliError(`reset: ${paths.ownerIdentity} holds no owner key: only the owner resets a workspace`)

  // The archive, from this directory's storage alone (no relay, no network).
  const storage = new DurableFileStorage(paths.storage, { health: new StorageHealth() })
  const repo = new Repo({ storage, network: [] })
  let archive
  try {
    const root = await repo.find<unknown>(pointer.rootUrl as AutomergeUrl)
    archive = await archiveWorkspace(repo, root, owner, { findTimeoutMs: 5_000 })
  } finally {
    await repo.shutdown()
    await storage.close()
  }
  const stamp = archive.manifest.exportedAt.replace(/[-:.]/g, "")
  const kept = join(dir, `before-reset-${stamp}`)
  mkdirSync(kept, { mode: 0o700 })
  const archiveFile = join(kept, "workspace-archive.json")
  writeFileSync(archiveFile, JSON.stringify(archive), { mode: 0o600 })
  // The documents and the pointer move aside together: the next start finds neither and creates a workspace.
  renameSync(paths.storage, join(kept, "automerge"))
  renameSync(paths.workspace, join(kept, "workspace.json"))
  if (existsSync(`${paths.storage}-damaged`)) renameSync(`${paths.storage}-damaged`, join(kept, "automerge-damaged"))
  const out = { dir, kept, archive: archiveFile, documents: archive.manifest.documents.length, missing: archive.manifest.missing.length, workspace: archive.manifest.name }
  if (flags.json) console.log(JSON.stringify(out))
  else
    console.log(
      [
        `"${out.workspace}" is archived (${out.documents} documents${out.missing ? `, ${out.missing} not in this storage` : ""}) and kept in ${kept}`,
        `the next 'vivarium start --data ${dir}' creates a new, empty workspace owned by the same owner; browsers join it again, workers enrol again`,
        `to go back: stop the relay and 'vivarium import ${archiveFile} --data NEW_DIR --keys-from ${dir}'`,
      ].join("\n"),
    )
  return 0
}
