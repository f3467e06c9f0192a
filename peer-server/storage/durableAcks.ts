/**
 * Acknowledged means durable: a sync message the relay sends about a document carries the
 * relay's heads, and a peer takes those heads as "the relay has it" (the CLI's flushToRelay,
 * the PWA's "changes waiting"). `beforeSend` holds such a message until everything the relay
 * holds of that document is saved by the durable storage (fsynced).
 *
 * Saves are grouped per document: while one save runs, every message that arrives waits for
 * the one next save, which starts when the running one ends and covers them all. A document
 * whose heads were saved already costs nothing.
 */
import type { DocumentId, Repo } from "@automerge/automerge-repo"
import createDebug from "debug"
import type { RelayExtension } from "../extension.ts"

const debug = createDebug("app:durable")

interface DocSaves {
  /** Heads (joined) of the last save that finished. */
  saved?: string
  running?: Promise<void>
  /** The save that starts when `running` ends, shared by everyone who asked meanwhile. */
  next?: Promise<void>
}

export class DurableAcks {
  readonly #repo: Repo
  readonly #docs = new Map<DocumentId, DocSaves>()

  constructor(repo: Repo) {
    this.#repo = repo
  }

  /** Resolves once the heads a message to a peer could acknowledge are on disk. */
  async beforeSend(message: { type: string; documentId?: string }): Promise<void> {
    if ((message.type !== "sync" && message.type !== "request") || !message.documentId) return
    // automerge-repo generates its reply inside the update that applies the peer's changes,
    // before the handle holds the document the reply describes: let that update finish.
    await Promise.resolve()
    await this.#whenSaved(message.documentId as DocumentId)
  }

  /** Resolves once everything the relay holds of `documentId` now is on disk. */
  #whenSaved(documentId: DocumentId): Promise<void> {
    const handle = this.#repo.handles[documentId]
    if (!handle?.isReady()) return Promise.resolve()
    let docs = this.#docs.get(documentId)
    if (!docs) this.#docs.set(documentId, (docs = {}))
    const state = docs
    if (!state.running) return state.saved === handle.heads().join(",") ? Promise.resolve() : this.#start(documentId, state)
    // The running save may have taken the document before these heads arrived.
    return (state.next ??= state.running
      .catch(() => {})
      .then(() => {
        state.next = undefined
        return this.#start(documentId, state)
      }))
  }

  #start(documentId: DocumentId, state: DocSaves): Promise<void> {
    const heads = this.#repo.handles[documentId]!.heads().join(",")
    // flush saves the document as it is now; the durable storage resolves once it is on disk.
    debug("saving %s at %s", documentId, heads)
    const run = this.#repo.flush([documentId]).then(() => {
      debug("saved %s at %s", documentId, heads)
      state.saved = heads
    })
    state.running = run
    void run
      .finally(() => {
        if (state.running === run) state.running = undefined
      })
      .catch(() => {})
    return run
  }
}

/** Durability as a relay extension: no reply that acknowledges heads leaves before they are fsynced. */
export function durableAcknowledgements(): RelayExtension {
  let acks: DurableAcks | undefined
  return {
    name: "durable-acks",
    onStart(ctx) {
      acks = new DurableAcks(ctx.repo)
    },
    beforeSend: message => acks?.beforeSend(message) ?? Promise.resolve(),
  }
}
