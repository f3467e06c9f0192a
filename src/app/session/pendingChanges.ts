/**
 * The rule behind "N changes waiting": the changes this device made to a document that the
 * relay has not acknowledged. Automerge gives every loaded document a fresh random actor, so
 * a change is this device's when its actor is the document's current one or one this device
 * remembered from an earlier start (while those changes were still waiting). Changes from
 * the relay or other peers never count, nor does a document loaded from storage that was
 * never edited here. Pure: the session feeds it documents and keeps what it returns.
 */
import { decodeHeads, type UrlHeads } from "@automerge/automerge-repo/slim"
import { getActorId, getChangesMetaSince, hasHeads, type Doc } from "@automerge/automerge/slim"

/** What this device remembers per document URL, across reloads (IndexedDB). */
export interface AckState {
  /** Heads the relay is known to hold. */
  acked: Record<string, string[]>
  /** Actors of this device with changes the relay has not acknowledged yet. */
  actors: Record<string, string[]>
}

export interface DocumentSync {
  url: string
  doc: Doc<unknown>
  heads: UrlHeads
  /** The relay's last known heads of the document (while connected), if it told us. */
  relayHeads?: UrlHeads | undefined
}

/**
 * Counts `doc`'s unacknowledged changes by this device and moves `state` forward (in place):
 * acknowledged heads advance to what the relay holds, and the current actor is remembered once
 * it has a waiting change. Returns the count and whether `state` changed (to be saved).
 */
export function countWaiting(state: AckState, { url, doc, heads, relayHeads }: DocumentSync): { waiting: number; moved: boolean } {
  let moved = false
  if (relayHeads && heads.every(h => relayHeads.includes(h))) {
    moved = !same(state.acked[url], heads) || url in state.actors
    state.acked[url] = [...heads]
    delete state.actors[url]
    return { waiting: 0, moved }
  }
  // The relay holds more than we last recorded (its heads are all in our document): a newer baseline.
  if (relayHeads?.length && !same(state.acked[url], relayHeads) && hasHeads(doc, decodeHeads(relayHeads))) {
    state.acked[url] = [...relayHeads]
    moved = true
  }
  const acked = state.acked[url] ?? []
  // A baseline this document does not hold (its copy was replaced) says nothing: count from the start.
  const since = acked.length && hasHeads(doc, decodeHeads(acked as UrlHeads)) ? decodeHeads(acked as UrlHeads) : []
  const current = getActorId(doc)
  const mine = new Set([...(state.actors[url] ?? []), current])
  const changes = getChangesMetaSince(doc, since).filter(c => mine.has(c.actor))
  if (changes.some(c => c.actor === current) && !state.actors[url]?.includes(current)) {
    state.actors[url] = [...(state.actors[url] ?? []), current]
    moved = true
  }
  return { waiting: changes.length, moved }
}

function same(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every(h => b.includes(h))
}
