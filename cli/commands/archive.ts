/**
 * `vivarium export`, `import` and `backup`: a signed, hashed archive of every document of the
 * workspace (src/workspace/workspaceArchive.ts); an import into a new data directory that
 * checks the whole archive before it writes anything; backups to a directory, now or every
 * so often, keeping the newest few.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Repo } from "@automerge/automerge-repo"
import { z } from "zod"
import { UserError } from "../../src/core/errors.ts"
import { archiveWorkspace, verifyArchive } from "../../src/workspace/workspaceArchive.ts"
import type { WorkspaceArchive } from "../../schemas/workspaceArchive.ts"
import { dataDirPaths, ensureDataDir, readWorkspacePointer, writeWorkspacePointer } from "../../peer-server/dataDir.ts"
import { DurableFileStorage } from "../../peer-server/storage/durableFileStorage.ts"
import { StorageHealth } from "../../peer-server/storage/storageHealth.ts"
import { numberFlag, parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { clearProgress, showProgress } from "../progress.ts"

/** What a backup file is called: sortable by time, so the newest are the last by name. */
const BACKUP_FILE = /^vivarium-backup-.+-\d{8}T\d{9}Z\.json$/

/** The workspace as a signed archive, read through a short-lived peer. */
function takeArchive(flags: ConnectionInput): Promise<WorkspaceArchive> {
  return withPeer(flags, (peer, me) =>
    archiveWorkspace(peer.repo, peer.workspace.rootHandle, me.identity, {
      onProgress: (done, total) => showProgress(`vivarium: archiving document ${done} of ${total}…`),
    }),
  )
}

/** Writes `archive` to `path` whole or not at all (a temporary file renamed), readable by its owner only. */
function writeArchive(path: string, archive: WorkspaceArchive): number {
  const text = JSON.stringify(archive)
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, text, { mode: 0o600 })
  renameSync(temp, path)
  return Buffer.byteLength(text)
}

function summary(archive: WorkspaceArchive, path: string, bytes: number) {
  return { file: path, workspace: archive.manifest.name, documents: archive.manifest.documents.length, bytes, signer: archive.signature.signer, missing: archive.manifest.missing }
}

function partialNote(archive: WorkspaceArchive): string {
  const m = archive.manifest.missing
  return `${m.length} document(s) could not be read in time (${m.slice(0, 3).map(d => `${d.kind} ${d.url}`).join(", ")}): the archive is partial and import refuses it; try again once every peer has synced`
}

const EXPORT_FLAGS = { ...CONNECTION_FLAGS, out: { type: "string" }, json: { type: "boolean", default: false } } as const
const ExportInput = ConnectionInput.extend({ out: z.string().min(1, "expected a file name"), json: z.boolean() })

async function runExport(argv: string[]): Promise<number> {
  const flags = parseFlags("export", argv, EXPORT_FLAGS, ExportInput)
  const path = resolve(flags.out)
  const archive = await takeArchive(flags)
  const bytes = writeArchive(path, archive)
  clearProgress()
  const out = summary(archive, path, bytes)
  if (flags.json) console.log(JSON.stringify(out))
  else console.log(`wrote ${path}: ${out.documents} documents of "${out.workspace}", ${(bytes / 1048576).toFixed(1)} MiB, signed by ${out.signer}`)
  if (!archive.manifest.missing.length) return 0
  console.error(`vivarium: export: ${partialNote(archive)}`)
  return 1
}

const IMPORT_FLAGS = { data: { type: "string" }, "keys-from": { type: "string" }, json: { type: "boolean", default: false } } as const
const ImportInput = z.object({ data: z.string().min(1, "expected the new data directory"), "keys-from": z.string().min(1).optional(), json: z.boolean() })
/** The keys a relay's data directory holds besides its documents: the owner's and the relay's. */
const KEY_DIRS = ["owner-identity", "relay-identity"] as const

async function runImport(argv: string[]): Promise<number> {
  const [[file], rest] = takePositionals("import", argv, ["FILE"])
  const flags = parseFlags("import", rest, IMPORT_FLAGS, ImportInput)
  const dir = resolve(flags.data)
  const paths = dataDirPaths(dir)
  if (readWorkspacePointer(paths) || (existsSync(paths.storage) && readdirSync(paths.storage).length)) throw new UserError("archive_target_taken", { dir })
  const keysFrom = flags["keys-from"] ? resolve(flags["keys-from"]) : undefined
  if (keysFrom && !KEY_DIRS.some(k => existsSync(join(keysFrom, k)))) throw new CliError(`import: ${keysFrom} holds neither owner-identity/ nor relay-identity/`)
  let text: string
  try {
    text = readFileSync(resolve(file!), "utf8")
  } catch (error) {
    throw new CliError(`import: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UserError("archive_refused", { file: file!, reason: "it is not whole JSON (cut short or damaged)" })
  }
  showProgress("vivarium: checking the archive…")
  const verified = await verifyArchive(value, file!)
  // Checked whole: now write, documents first and the pointer last (a relay starts only once it is there).
  ensureDataDir(dir)
  const storage = new DurableFileStorage(paths.storage, { health: new StorageHealth() })
  const repo = new Repo({ storage, network: [] })
  for (const doc of verified.documents) repo.import(doc.binary, { docId: doc.documentId })
  await repo.flush()
  await repo.shutdown()
  await storage.close()
  if (keysFrom) for (const k of KEY_DIRS) if (existsSync(join(keysFrom, k))) cpSync(join(keysFrom, k), join(dir, k), { recursive: true, preserveTimestamps: true })
  writeWorkspacePointer(paths, { rootUrl: verified.manifest.rootUrl, workspaceId: verified.manifest.workspaceId, createdAt: Date.now() })
  clearProgress()
  const keys = keysFrom ? KEY_DIRS.filter(k => existsSync(join(dir, k))) : []
  const out = { dir, workspace: verified.manifest.name, documents: verified.documents.length, signer: verified.signer, exportedAt: verified.manifest.exportedAt, keys }
  if (flags.json) console.log(JSON.stringify(out))
  else
    console.log(
      [
        `imported ${out.documents} documents of "${out.workspace}" (exported ${out.exportedAt}, signed by ${out.signer}) into ${dir}`,
        keys.length
          ? `with the keys of ${keys.join(" and ")}; start it with: vivarium relay --data ${dir}`
          : `no keys came with it: copy owner-identity/ and relay-identity/ from the old data directory into ${dir} before 'vivarium relay --data ${dir}', or it cannot act as the workspace's owner and relay`,
      ].join("\n"),
    )
  return 0
}

const BACKUP_FLAGS = { ...CONNECTION_FLAGS, to: { type: "string" }, keep: { type: "string", default: "7" }, every: { type: "string" }, json: { type: "boolean", default: false } } as const
const KEEP = "--keep must be a whole number of backups from 1 to 10000"
/** `30m`, `6h`, `1d`: how often a running backup takes the next one. */
const Every = z
  .string()
  .regex(/^\d+(m|h|d)$/, "expected minutes, hours or days, as 30m, 6h or 1d")
  .transform(s => Number(s.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[s.slice(-1) as "m" | "h" | "d"])
  .pipe(z.number().min(60_000, "at least every minute").max(30 * 86_400_000, "at most every 30 days"))
const BackupInput = ConnectionInput.extend({ to: z.string().min(1, "expected a directory"), keep: numberFlag({ min: 1, max: 10_000, nan: KEEP, int: KEEP }), every: Every.optional(), json: z.boolean() })

/** Takes one backup into `dir` and removes the oldest beyond `keep`; a partial one is not kept. */
async function backupOnce(flags: z.infer<typeof BackupInput>, dir: string): Promise<{ file?: string; removed: string[]; error?: string }> {
  const archive = await takeArchive(flags)
  if (archive.manifest.missing.length) return { removed: [], error: partialNote(archive) }
  // To the millisecond: two backups never share a name.
  const stamp = archive.manifest.exportedAt.replace(/[-:.]/g, "")
  const name = archive.manifest.name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|-+$/g, "").slice(0, 60) || "workspace"
  const file = join(dir, `vivarium-backup-${name}-${stamp}.json`)
  writeArchive(file, archive)
  const backups = readdirSync(dir).filter(f => BACKUP_FILE.test(f)).sort((a, b) => stampOf(a).localeCompare(stampOf(b)))
  const removed = backups.slice(0, Math.max(0, backups.length - flags.keep))
  for (const old of removed) rmSync(join(dir, old))
  return { file, removed }
}

const stampOf = (file: string) => /(\d{8}T\d{9}Z)\.json$/.exec(file)![1]!

async function runBackup(argv: string[]): Promise<number> {
  const flags = parseFlags("backup", argv, BACKUP_FLAGS, BackupInput)
  const dir = resolve(flags.to)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const report = (r: Awaited<ReturnType<typeof backupOnce>>) => {
    clearProgress()
    if (flags.json) console.log(JSON.stringify(r))
    else if (r.error) console.error(`vivarium: backup: ${r.error}; the earlier backups are kept`)
    else console.log(`wrote ${r.file}${r.removed.length ? `; removed ${r.removed.length} older (keeping ${flags.keep})` : ""}`)
    return r.error ? 1 : 0
  }
  const attempt = () => backupOnce(flags, dir).then(report, (error: Error) => report({ removed: [], error: error.message }))
  if (!flags.every) return attempt()
  const every = flags.every
  return new Promise(done => {
    let timer: NodeJS.Timeout | undefined
    let stopped = false
    let running: Promise<number> = attempt()
    const next = () => {
      if (stopped) return
      timer = setTimeout(() => {
        running = attempt()
        void running.then(next)
      }, every)
    }
    void running.then(next)
    const stop = (signal: string) => {
      stopped = true
      clearTimeout(timer)
      console.error(`[backup] ${signal}: finishing the backup in progress and stopping…`)
      void running.then(() => done(0))
    }
    process.once("SIGINT", () => stop("SIGINT"))
    process.once("SIGTERM", () => stop("SIGTERM"))
  })
}

export { runBackup, runExport, runImport }
