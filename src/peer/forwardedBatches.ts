/**
 * A relay that serves a document by live forwarding marks its batches `forwarded`
 * (peer-server/transport/liveForwarding.ts): they need no answer. automerge-repo answers every
 * sync message it applies with one of its own, since its heads moved; with many editors each
 * client would answer every batch, and the relay would decode and drop every answer.
 *
 * This remembers, per document, the heads the last forwarded batch named while no other sync
 * message from the relay came after it. An outgoing sync message with no changes and no needs
 * that names exactly those heads tells the relay nothing it does not know: it is not sent.
 * Anything else (a peer's own changes, a need, any message of the full protocol) goes out as
 * before.
 */
import { decodeSyncMessage } from "@automerge/automerge/slim"

export class ForwardedBatches {
  /** documentId → the heads (sorted, joined) of the last forwarded batch from the relay. */
  readonly #heads = new Map<string, string>()

  /** A sync message from the relay about `documentId` (`forwarded`: marked as a batch). */
  received(documentId: string, data: Uint8Array, forwarded: boolean): void {
    const heads = forwarded ? headsOf(data) : undefined
    if (heads === undefined) this.#heads.delete(documentId)
    else this.#heads.set(documentId, heads)
  }

  /** Whether an outgoing sync message about `documentId` only repeats the heads of the batch it answers. */
  needless(documentId: string, data: Uint8Array): boolean {
    const heads = this.#heads.get(documentId)
    if (heads === undefined) return false
    try {
      const message = decodeSyncMessage(data)
      return !message.changes.length && !message.need.length && joined(message.heads) === heads
    } catch {
      return false
    }
  }

  /** A new connection: the relay starts every document over with the full protocol. */
  clear(): void {
    this.#heads.clear()
  }
}

function headsOf(data: Uint8Array): string | undefined {
  try {
    return joined(decodeSyncMessage(data).heads)
  } catch {
    return undefined
  }
}

const joined = (heads: readonly string[]) => [...heads].sort().join()
