/**
 * One decode per sync message. The adapter checks that a peer's bytes are a sync message, the
 * change gate judges its changes and live forwarding applies them: all three read the same
 * bytes (the message's `data`), so the first decode is kept for the others, for as long as the
 * message lives. A failed decode is not kept: each caller says no in its own words.
 */
import * as A from "@automerge/automerge"

export type DecodedSyncMessage = ReturnType<typeof A.decodeSyncMessage>

const decoded = new WeakMap<Uint8Array, DecodedSyncMessage>()

/** `A.decodeSyncMessage`, once per `data` (throws as it does on bytes that are no sync message). */
export function decodeSyncMessageOnce(data: Uint8Array): DecodedSyncMessage {
  let message = decoded.get(data)
  if (!message) decoded.set(data, (message = A.decodeSyncMessage(data)))
  return message
}
