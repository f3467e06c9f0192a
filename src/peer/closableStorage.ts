/**
 * A storage adapter that can be closed. automerge-repo throttles saves, so a save can land
 * after `repo.shutdown()` resolved — after the data dir was moved or deleted, which the
 * write then re-creates. Closing waits for writes in flight and refuses later ones (the
 * owner flushes everything it wants kept before closing).
 */
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo"

export class ClosableStorageAdapter implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  readonly #inFlight = new Set<Promise<unknown>>()
  #closed = false

  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }

  #write(run: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.resolve()
    const write = run()
    this.#inFlight.add(write)
    void write.finally(() => this.#inFlight.delete(write)).catch(() => {})
    return write
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }
  loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    return this.#inner.loadRange(keyPrefix)
  }
  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.#write(() => this.#inner.save(key, data))
  }
  remove(key: StorageKey): Promise<void> {
    return this.#write(() => this.#inner.remove(key))
  }
  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#write(() => this.#inner.removeRange(keyPrefix))
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
  }
}
