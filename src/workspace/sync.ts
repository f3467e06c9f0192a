/** Documents between a peer and the relay: finding one across a lost connection, and waiting until the relay has every change we have. */
import { parseAutomergeUrl, type AutomergeUrl, type DocHandle, type PeerId, type Repo, type UrlHeads } from "@automerge/automerge-repo/slim"

/** How long `findDocument` waits for the relay to come back, by default. */
export const FIND_AFTER_RECONNECT_MS = 30_000

/**
 * `repo.find`, riding out a lost connection. automerge-repo answers "unavailable" at once when
 * the only peer that could have the document is gone as it is asked: the relay dropped this
 * peer (its event loop was blocked past the relay's keep-alive, on a busy machine) or the
 * network blinked. With no peer connected at that moment, this waits up to `timeoutMs` for the
 * document instead (the Repo asks the relay again once it is back). An "unavailable" from a
 * connected relay is its answer, thrown at once.
 */
export async function findDocument<T>(repo: Repo, url: AutomergeUrl, timeoutMs = FIND_AFTER_RECONNECT_MS): Promise<DocHandle<T>> {
  try {
    return await repo.find<T>(url)
  } catch (error) {
    const handle = repo.handles[parseAutomergeUrl(url).documentId] as DocHandle<T> | undefined
    if (repo.peers.length || !handle?.isUnavailable()) throw error
    try {
      await handle.whenReady(["ready"], { signal: AbortSignal.timeout(timeoutMs) })
    } catch {
      throw error
    }
    return handle
  }
}

export class SyncTimeoutError extends Error {
  override readonly name = "SyncTimeoutError"
  constructor(readonly documentUrl: string, readonly timeoutMs: number) {
    super(`${documentUrl} did not reach the relay within ${timeoutMs} ms; is the relay still up? (changes stay on this peer and sync on the next connection)`)
  }
}

/** The remote peer's last known heads of `handle` (as handles encode heads), if it told us. */
export function peerHeads(repo: Repo, handle: DocHandle<unknown>, peerId: PeerId): UrlHeads | undefined {
  const storageId = repo.peerMetadataByPeerId[peerId]?.storageId
  return storageId ? handle.getSyncInfo(storageId)?.lastHeads : undefined
}

/** True when the remote peer's last known heads include all of ours. */
export function peerHasOurHeads(repo: Repo, handle: DocHandle<unknown>, peerId: PeerId): boolean {
  const theirs = peerHeads(repo, handle, peerId)
  if (!theirs) return false
  const known = new Set(theirs)
  return handle.heads().every(h => known.has(h))
}

/** Resolves once `peerId` (a relay with storage) holds every change of `handle`. */
export function whenPeerHas(repo: Repo, handle: DocHandle<unknown>, peerId: PeerId, timeoutMs: number): Promise<void> {
  if (peerHasOurHeads(repo, handle, peerId)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!peerHasOurHeads(repo, handle, peerId)) return
      cleanup()
      resolve()
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new SyncTimeoutError(handle.url, timeoutMs))
    }, timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      repo.synchronizer.off("sync-state", check)
    }
    repo.synchronizer.on("sync-state", check)
  })
}

/** Saves every ready document; a handle that never became available must not stop shutdown. */
export async function flushReady(repo: Repo): Promise<void> {
  const ready = Object.values(repo.handles).filter(h => h.isReady()).map(h => h.documentId)
  await repo.flush(ready)
}
