/**
 * Which documents the relay offers to whom. It announces to a peer exactly the documents that
 * peer has asked for or sent, so a peer that rejoins (after a silently dropped connection)
 * restarts sync with fresh state for its documents, and no peer learns of a document it never
 * named; and it serves a document only to a principal that may read it. A follower relay
 * shares every document with its upstream relay (`upstream`). A peer that live forwarding
 * serves for a document (`live`) is not announced it again: forwarding speaks for the Repo there.
 */
import type { PeerId, Repo, RepoConfig } from "@automerge/automerge-repo"

type ShareConfig = NonNullable<RepoConfig["shareConfig"]>

/** How long a disconnected peer's list is kept for its return. */
const FORGET_AFTER_MS = 10 * 60_000

export class SharePolicy {
  readonly #named = new Map<PeerId, Set<string>>()
  readonly #forget = new Map<PeerId, NodeJS.Timeout>()
  readonly #mayRead: (peerId: PeerId, documentId: string) => boolean
  readonly #upstream: (peerId: PeerId) => boolean
  readonly #live: (peerId: PeerId, documentId: string) => boolean

  constructor(
    mayRead: (peerId: PeerId, documentId: string) => boolean,
    upstream: (peerId: PeerId) => boolean = () => false,
    live: (peerId: PeerId, documentId: string) => boolean = () => false,
  ) {
    this.#mayRead = mayRead
    this.#upstream = upstream
    this.#live = live
  }

  readonly shareConfig: ShareConfig = {
    announce: async (peerId, documentId) =>
      this.#upstream(peerId) ||
      (documentId !== undefined && (this.#named.get(peerId)?.has(documentId) ?? false) && this.#mayRead(peerId, documentId) && !this.#live(peerId, documentId)),
    access: async (peerId, documentId) => this.#upstream(peerId) || (documentId !== undefined && this.#mayRead(peerId, documentId)),
  }

  /** Follows what each peer names, from the Repo's network subsystem. */
  watch(repo: Repo): void {
    const network = repo.networkSubsystem
    network.on("message", msg => {
      if (!("documentId" in msg) || !msg.documentId) return
      let docs = this.#named.get(msg.senderId)
      if (!docs) this.#named.set(msg.senderId, (docs = new Set()))
      docs.add(msg.documentId)
    })
    // A rejoining peer keeps its id, so its list outlives a disconnect, but not forever.
    network.on("peer-disconnected", ({ peerId }) => {
      const timer = setTimeout(() => (this.#named.delete(peerId), this.#forget.delete(peerId)), FORGET_AFTER_MS)
      timer.unref()
      this.#forget.set(peerId, timer)
    })
    network.on("peer", ({ peerId }) => {
      clearTimeout(this.#forget.get(peerId))
      this.#forget.delete(peerId)
    })
  }

  close(): void {
    for (const timer of this.#forget.values()) clearTimeout(timer)
  }
}
