/** Waiting for a document to reach a peer: "the relay has every change we have". */
import type { DocHandle, PeerId, Repo, UrlHeads } from "@automerge/automerge-repo/slim"

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
