/**
 * The offline copy: while the relay is connected, the session fetches every document an
 * operator's views read (src/workspace/workspaceDocuments.ts), so automerge-repo keeps each
 * in IndexedDB and every view opens offline, also one never opened before. Then it saves them
 * and records what this device holds. It runs at each connection and again when the root or
 * an index (rooms, quests, residents, artifacts) changes, so new rooms, quests, journals and
 * artifacts are copied too.
 *
 * Bounded: the monthly archives stay on the relay (history grows without end and no view
 * reads them; the queue carries their spend), and of each index only the newest
 * OFFLINE_PER_INDEX documents are copied (rooms before DMs).
 */
import { type DocHandle, type DocumentId, type Repo } from "@automerge/automerge-repo/slim"
import { EventEmitter } from "eventemitter3"
import type { DocumentKind } from "../../../schemas/index.ts"
import { walkWorkspace, type WorkspaceDocument } from "../../workspace/workspaceDocuments.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { saveOfflineRecord, type OfflineRecord } from "./localStore.ts"

export const OFFLINE_PER_INDEX = 200

/** Indexes whose changes can name new documents to copy. */
const INDEX_KINDS: ReadonlySet<DocumentKind> = new Set(["rooms", "quests", "identities", "artifacts"])

/** How long after the root or an index changed the copy looks for new documents. */
const SETTLE_MS = 5_000
/** How long one document may take to arrive from the relay before it counts as missing. */
const FIND_TIMEOUT_MS = 15_000

export class OfflineCopy extends EventEmitter<{ progress: () => void }> {
  copying = false
  done = 0
  total = 0
  /** What the last finished copy held (undefined before the first one on this device). */
  record: OfflineRecord | undefined
  /** Why the last copy could not be saved (e.g. the browser's storage is full). */
  error: string | undefined
  #running = false
  #again = false
  #timer?: ReturnType<typeof setTimeout>
  #closed = false
  readonly #watched = new Map<DocumentId, DocHandle<unknown>>()

  constructor(
    readonly repo: Repo,
    readonly workspace: Workspace,
    readonly workspaceId: string,
    record: OfflineRecord | undefined,
  ) {
    super()
    this.record = record
  }

  start(): void {
    if (this.#closed) return
    this.repo.networkSubsystem.on("peer", this.#onConnect)
    this.#watch(this.workspace.rootHandle as DocHandle<unknown>)
    if (this.repo.peers.length) void this.#run()
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.repo.networkSubsystem.off("peer", this.#onConnect)
    for (const handle of this.#watched.values()) handle.off("change", this.#onIndexChange)
    this.#watched.clear()
  }

  readonly #onConnect = () => void this.#run()

  /** At most one walk per SETTLE_MS while the root or an index keeps changing (heartbeats, leases). */
  readonly #onIndexChange = () => {
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#run()
    }, SETTLE_MS)
  }

  #watch(handle: DocHandle<unknown>): void {
    if (this.#watched.has(handle.documentId)) return
    this.#watched.set(handle.documentId, handle)
    handle.on("change", this.#onIndexChange)
  }

  async #run(): Promise<void> {
    if (this.#closed || !this.repo.peers.length) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = true
    this.copying = true
    this.emit("progress")
    try {
      const ids: DocumentId[] = [this.workspace.rootHandle.documentId]
      const walked = await walkWorkspace(this.repo, this.workspace.root, {
        archives: false,
        perIndex: OFFLINE_PER_INDEX,
        findTimeoutMs: FIND_TIMEOUT_MS,
        onProgress: (done, total) => {
          // The root, already here, counts as the first document.
          this.done = done + 1
          this.total = total + 1
          this.emit("progress")
        },
        onFound: ({ kind }: WorkspaceDocument, handle) => {
          ids.push(handle.documentId)
          if (INDEX_KINDS.has(kind)) this.#watch(handle)
        },
      })
      // Written to IndexedDB now, not after the Repo's save debounce: the device may go offline next.
      await this.repo.flush(ids)
      if (this.#closed) return
      const record: OfflineRecord = {
        copiedAt: Date.now(),
        documents: ids.length,
        missing: walked.missing.map(({ kind, url }) => ({ kind, url })),
        skipped: Object.values(walked.skipped).reduce((n, k) => n + k, 0),
      }
      this.record = record
      this.error = undefined
      await saveOfflineRecord(this.workspaceId, record)
    } catch (error) {
      this.error = (error as Error).message
    } finally {
      this.#running = false
      this.copying = false
      this.emit("progress")
    }
    if (this.#again) {
      this.#again = false
      void this.#run()
    }
  }
}
