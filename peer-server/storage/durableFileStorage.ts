/**
 * automerge-repo storage in local files that survives a crash or power cut: each save writes
 * a temporary file, fsyncs it, renames it over the key's file and fsyncs the directory, so a
 * save that resolved is on disk. The file layout is NodeFSStorageAdapter's, so existing data
 * directories keep working.
 *
 * A failing write (disk full, I/O error, read-only file system) is recorded in the
 * StorageHealth and retried with backoff until it succeeds: a save resolves only once its
 * bytes are durable, and automerge-repo (which starts saves without awaiting them) never sees
 * a rejection. After `stopRetrying()` (shutdown) a failing write gets one attempt, is logged
 * and given up: what it held was never acknowledged, and the peers that sent it still have it.
 *
 * Loading checks every document chunk: a damaged one is moved aside into `damagedDir` and
 * reported, and the document loads from its other chunks — unless the document is essential
 * (the workspace root), which fails the load with a DamagedStorageError naming the file.
 */
import { mkdir, open, readFile, readdir, rename, rm, unlink } from "node:fs/promises"
import { basename, dirname, join, relative, sep } from "node:path"
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo"
import { backoffDelay, type BackoffOptions } from "../../src/core/backoff.ts"
import { chunkProblem } from "./chunkCheck.ts"
import type { StorageHealth } from "./storageHealth.ts"

/** Fault injection for tests: an error returned here fails that write as the disk would. */
export interface WriteFaults {
  beforeWrite(path: string): NodeJS.ErrnoException | undefined
}

export interface DurableFileStorageOptions {
  health: StorageHealth
  /** Where damaged chunks are moved (default: `<baseDirectory>-damaged`). */
  damagedDir?: string
  /** Documents the relay cannot start without: a damaged chunk of one fails its load. */
  essential?: (documentId: string) => boolean
  /** Delay between retries of a failing write. */
  retry?: BackoffOptions
  faults?: WriteFaults
  log?: (line: string) => void
}

export const STORAGE_RETRY: BackoffOptions = { baseMs: 250, capMs: 5_000 }

export class DamagedStorageError extends Error {
  override readonly name = "DamagedStorageError"
  constructor(
    readonly documentId: string,
    readonly file: string,
    readonly problem: string,
  ) {
    super(
      `document ${documentId} is damaged on disk: ${file} (${problem}). The relay cannot start without this document. ` +
        `Restore the data directory from a backup, or copy this document's files from a worker's storage directory ` +
        `(same layout), or move ${file} out of the storage directory to start from the document's remaining chunks ` +
        `(peers that hold the document push their copy back when they connect).`,
    )
  }
}

/** automerge-repo names a document's chunks [documentId, "snapshot" | "incremental", sha256 hex]. */
const isDocumentChunk = (key: StorageKey) => (key[1] === "snapshot" || key[1] === "incremental") && /^[0-9a-f]{64}$/.test(key[2] ?? "")
const TEMP_SUFFIX = ".tmp"

export class DurableFileStorage implements StorageAdapterInterface {
  readonly #base: string
  readonly #damagedDir: string
  readonly #health: StorageHealth
  readonly #essential: (documentId: string) => boolean
  readonly #retry: BackoffOptions
  readonly #faults: WriteFaults | undefined
  readonly #log: (line: string) => void
  /** Directories known to exist durably (created and their parent fsynced). */
  readonly #dirs = new Set<string>()
  readonly #inFlight = new Set<Promise<unknown>>()
  readonly #wake = new Set<() => void>()
  #retrying = true
  /** Writes that failed and are being retried. */
  #retryingWrites = 0
  #closed = false
  #tempCounter = 0

  constructor(baseDirectory: string, opts: DurableFileStorageOptions) {
    this.#base = baseDirectory
    this.#damagedDir = opts.damagedDir ?? `${baseDirectory}-damaged`
    this.#health = opts.health
    this.#essential = opts.essential ?? (() => false)
    this.#retry = opts.retry ?? STORAGE_RETRY
    this.#faults = opts.faults
    this.#log = opts.log ?? (() => {})
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#path(key)))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
      throw error
    }
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const chunks: Chunk[] = []
    for (const file of await walk(this.#path(keyPrefix))) {
      const parts = relative(this.#base, file).split(sep)
      const key = [`${parts[0]}${parts[1]}`, ...parts.slice(2)]
      const data = new Uint8Array(await readFile(file))
      const problem = isDocumentChunk(key) ? chunkProblem(data) : undefined
      if (problem) await this.#damaged(key[0]!, file, problem)
      else chunks.push({ key, data })
    }
    return chunks
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    const path = this.#path(key)
    return this.#durably(`save ${path}`, () => this.#writeFile(path, data))
  }

  remove(key: StorageKey): Promise<void> {
    const path = this.#path(key)
    return this.#durably(`remove ${path}`, () => unlink(path).catch(ignoreMissing))
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    const dir = this.#path(keyPrefix)
    return this.#durably(`remove ${dir}`, async () => {
      await rm(dir, { recursive: true, force: true })
      for (const known of this.#dirs) if (known === dir || known.startsWith(dir + sep)) this.#dirs.delete(known)
    })
  }

  /** From now on each write gets one attempt: shutdown must not wait for a disk to recover. */
  stopRetrying(): void {
    this.#retrying = false
    for (const wake of [...this.#wake]) wake()
  }

  /** Stops retrying, waits for writes in flight and ignores later ones (saves after shutdown). */
  async close(): Promise<void> {
    this.stopRetrying()
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
  }

  #path(key: StorageKey): string {
    const [first, ...rest] = key
    return join(this.#base, first!.slice(0, 2), first!.slice(2), ...rest)
  }

  /** Runs a write until it succeeds, reporting each failure; see the class comment. */
  #durably(what: string, write: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.resolve()
    const run = (async () => {
      let failed = false
      for (let attempt = 1; ; attempt++) {
        try {
          const fault = this.#faults?.beforeWrite(what)
          if (fault) throw fault
          await write()
          if (failed) this.#retryingWrites--
          // Healthy again once no write is left failing (a small write may pass while a large one cannot).
          if (!this.#retryingWrites) this.#health.writeSucceeded()
          return
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (typeof code !== "string") {
            if (failed) this.#retryingWrites--
            throw error
          }
          if (!failed) this.#retryingWrites++
          failed = true
          const wasOk = !this.#health.failing
          this.#health.writeFailed(`${code} on ${what}`)
          if (wasOk) this.#log(`storage: ${what} failed (${code}: ${(error as Error).message}); retrying until it succeeds`)
          if (!this.#retrying) {
            this.#retryingWrites--
            this.#log(`storage: gave up on ${what} while stopping (${code}); its peers push those changes again`)
            return
          }
          await this.#sleep(backoffDelay(attempt, this.#retry))
        }
      }
    })()
    this.#inFlight.add(run)
    void run.finally(() => this.#inFlight.delete(run)).catch(() => {})
    return run
  }

  #sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const done = () => {
        clearTimeout(timer)
        this.#wake.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wake.add(done)
    })
  }

  async #writeFile(path: string, data: Uint8Array): Promise<void> {
    const dir = dirname(path)
    await this.#ensureDir(dir)
    const temp = `${path}.${process.pid}.${++this.#tempCounter}${TEMP_SUFFIX}`
    const file = await open(temp, "w", 0o644)
    try {
      await file.writeFile(data)
      await file.sync()
      await file.close()
      await rename(temp, path)
    } catch (error) {
      await file.close().catch(() => {})
      await unlink(temp).catch(() => {})
      throw error
    }
    await fsyncDir(dir)
  }

  /** Creates `dir` (and missing parents), fsyncing each parent so the new entry survives a crash. */
  async #ensureDir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return
    if (dir !== this.#base) await this.#ensureDir(dirname(dir))
    try {
      await mkdir(dir)
      await fsyncDir(dirname(dir))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    }
    this.#dirs.add(dir)
  }

  async #damaged(documentId: string, file: string, problem: string): Promise<void> {
    if (this.#essential(documentId)) throw new DamagedStorageError(documentId, file, problem)
    const target = join(this.#damagedDir, documentId, `${basename(dirname(file))}-${basename(file)}`)
    let movedTo: string | undefined
    try {
      await mkdir(dirname(target), { recursive: true })
      await rename(file, target)
      movedTo = target
    } catch (error) {
      this.#log(`storage: could not move ${file} aside: ${(error as Error).message}`)
    }
    this.#health.chunkDamaged({ documentId, file, problem, ...(movedTo ? { movedTo } : {}) })
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r")
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error
}

/** Every file under `dir` (none if it does not exist), leaving out unfinished temporary files. */
async function walk(dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return []
    throw error
  }
  const nested = await Promise.all(
    entries.map(entry => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return walk(path)
      return entry.name.endsWith(TEMP_SUFFIX) ? [] : [path]
    }),
  )
  return nested.flat()
}
