/**
 * Whether the relay's storage can take writes now, and which stored documents were found
 * damaged. The durable adapter reports into it; /healthz, /metrics and the change gate read it.
 */
import { EventEmitter } from "node:events"

export type StorageState = "ok" | { failing: string; since: number }

/** A storage file that could not be read back as Automerge data, moved aside at load. */
export interface DamagedChunk {
  documentId: string
  /** Where the file was. */
  file: string
  /** Where it is now (kept for a human to inspect), or undefined if it could not be moved. */
  movedTo?: string
  problem: string
}

export class StorageHealth extends EventEmitter<{ change: [] }> {
  #state: StorageState = "ok"
  #damaged: DamagedChunk[] = []
  /** Write attempts that failed (each retry counts). */
  failedWrites = 0

  get state(): StorageState {
    return this.#state
  }

  get failing(): boolean {
    return this.#state !== "ok"
  }

  get damaged(): readonly DamagedChunk[] {
    return this.#damaged
  }

  /** Why a new write must be refused now, or undefined while storage works. */
  refusal(): string | undefined {
    if (this.#state === "ok") return undefined
    return `the relay cannot save changes now (${this.#state.failing}); nothing was stored: retry once the relay's operator has freed disk space or fixed the disk`
  }

  /** Why /healthz should say not ok (empty while storage works). */
  reasons(): string[] {
    if (this.#state === "ok") return []
    return [`storage failing since ${new Date(this.#state.since).toISOString()}: ${this.#state.failing}`]
  }

  /** Damaged documents, for /healthz and the log (the relay serves the rest). */
  warnings(): string[] {
    return this.#damaged.map(d => `document ${d.documentId}: damaged storage chunk ${d.file} (${d.problem})${d.movedTo ? `, moved to ${d.movedTo}` : ""}`)
  }

  writeFailed(reason: string, now = Date.now()): void {
    this.failedWrites++
    const state = this.#state
    if (state === "ok") this.#state = { failing: reason, since: now }
    else if (state.failing !== reason) this.#state = { failing: reason, since: state.since }
    this.emit("change")
  }

  writeSucceeded(): void {
    if (this.#state === "ok") return
    this.#state = "ok"
    this.emit("change")
  }

  chunkDamaged(chunk: DamagedChunk): void {
    this.#damaged.push(chunk)
    this.emit("change")
  }
}
