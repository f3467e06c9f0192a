/**
 * Forward, don't recompute. automerge-repo answers every change with a fresh sync round per
 * peer: the relay generates a sync message for each of them (bloom filters, the sync state
 * converted to and from WASM with every change it ever sent), so the relay's cost per
 * keystroke grows with the number of editors and with the session's length. Once the relay
 * knows a peer holds exactly what it holds of a document, it needs none of that: it sends
 * that peer the changes it accepts, as they come.
 *
 * A peer becomes live on a document when a sync message from it, without changes or needs,
 * names exactly the relay's heads. From then on the relay's DocSynchronizer no longer speaks
 * to that peer about that document (the share policy stops announcing it there): each change
 * the relay applies (from a live peer, a catching-up one, or the relay's own writes) joins
 * the document's pending batch, and once per window every live peer gets one Automerge sync
 * message with the batch (less its own changes) and the relay's heads. That message says
 * "I have everything up to these heads" (`have.lastSync` = the heads, an empty bloom), so the
 * peer's reply carries only its own new changes; marked `forwarded`, it needs no answer at all
 * (the peer's adapter holds back a reply that would only repeat those heads:
 * src/peer/forwardedBatches.ts). A live peer's messages are applied here, after the change
 * gate accepted them. Ephemeral messages (presence, live task output) reach live peers from
 * here too.
 *
 * Anything out of the ordinary ends live mode for that peer and document and hands the
 * message to the Repo, whose full sync protocol repairs whatever is missing: a request, a
 * message that needs changes or lost its state, changes the relay cannot apply yet.
 *
 * The window widens while the relay falls behind (a flush later than its window: bigger
 * batches, fewer messages) and narrows back when it keeps up, so a busy document costs a
 * bounded number of messages per peer per second. While a window stays wide (`saturated`:
 * three late flushes in a row), the ephemeral gate drops presence first.
 */
import * as A from "@automerge/automerge"
import type { DocHandle, DocumentId, Message, PeerId, Repo } from "@automerge/automerge-repo/slim"
import type { RepoMessage } from "../../schemas/wire.ts"
import { decodeSyncMessageOnce, type DecodedSyncMessage } from "./syncMessages.ts"

export interface LiveForwardingOptions {
  repo: Repo
  /** Sends a message to a peer (through the adapter: read rights and durable acknowledgement apply). */
  send(message: Message): void
  /** The relay's own repo peer id (the sender of what is forwarded). */
  selfId(): PeerId | undefined
  /** Shortest coalescing window per document, ms (default 25). */
  windowMs?: number
  /** Longest window under load, ms (default 400). */
  maxWindowMs?: number
}

/** What /metrics reports of forwarding. */
export interface ForwardingStats {
  /** Peer–document pairs served by forwarding now. */
  livePairs: number
  /** The widest window any document uses now, ms (above the base: the relay is shedding load). */
  windowMs: number
  /** How late the last flushes ran behind their window (smoothed), ms. */
  lagMs: number
  /** Sync messages sent by forwarding, and the changes they carried. */
  messagesSent: number
  changesSent: number
  /** Messages from live peers taken here (the Repo never saw them). */
  messagesTaken: number
  /** Of those, ones that carried nothing new: answers to a batch a peer need not have sent. */
  answersTaken: number
  /** Times a peer left live mode (its message went to the full sync protocol). */
  fallbacks: number
}

interface LiveDocument {
  readonly handle: DocHandle<unknown>
  /** Live peers → the heads (joined) last sent to each ("" until the first). */
  readonly peers: Map<PeerId, string>
  /** Changes applied since the last flush, with the live peer they came from. */
  pending: { change: Uint8Array; from?: PeerId }[]
  /** The document as of the last change seen (the base for changes made elsewhere). */
  seen: A.Doc<unknown>
  windowMs: number
  timer?: NodeJS.Timeout
  dueAt: number
  readonly stopWatching: () => void
}

const EMPTY_BLOOM = new Uint8Array(0)

export class LiveForwarding {
  readonly #opts: LiveForwardingOptions
  readonly #base: number
  readonly #max: number
  readonly #docs = new Map<DocumentId, LiveDocument>()
  /** Set while this class applies a live peer's changes (the change event comes synchronously). */
  #applying?: { documentId: DocumentId; from: PeerId; changes: Uint8Array[] }
  #lagMs = 0
  #messagesSent = 0
  #changesSent = 0
  #messagesTaken = 0
  #answersTaken = 0
  #fallbacks = 0

  constructor(opts: LiveForwardingOptions) {
    this.#opts = opts
    this.#base = opts.windowMs ?? 25
    this.#max = Math.max(this.#base, opts.maxWindowMs ?? 400)
  }

  /** Whether `peerId` is served by forwarding for `documentId` (the Repo must not announce it there). */
  isLive(peerId: PeerId, documentId: string): boolean {
    return this.#docs.get(documentId as DocumentId)?.peers.has(peerId) ?? false
  }

  /**
   * The Repo is about to send `peerId` a sync message about `documentId`: true (drop it) when
   * the peer is live there. The Repo re-added the peer (an announce decided before the peer went
   * live): it is taken off the Repo's list again.
   */
  silence(peerId: PeerId, documentId: string): boolean {
    if (!this.isLive(peerId, documentId)) return false
    this.#opts.repo.synchronizer.docSynchronizers[documentId as DocumentId]?.endSync(peerId)
    return true
  }

  /**
   * A message the gate accepted from `from`: true when it was handled here (the Repo must not
   * see it), false to hand it to the Repo. Never throws for a peer's bytes.
   */
  take(from: PeerId, message: RepoMessage): boolean {
    if (message.type === "ephemeral") {
      // The Repo passes presence and live output on to the peers it syncs with; these are not among them.
      this.#passOn(from, message)
      return false
    }
    if (message.type !== "sync" && message.type !== "request") return false
    const documentId = message.documentId as DocumentId
    const live = this.#docs.get(documentId)
    let decoded: DecodedSyncMessage
    try {
      decoded = decodeSyncMessageOnce(message.data)
    } catch {
      return this.#fallBack(live, from)
    }
    if (!live?.peers.has(from)) return this.#maybeEnter(from, documentId, message.type, decoded)
    if (message.type === "request" || decoded.need.length || decoded.have.some(h => h.lastSync.length === 0)) return this.#fallBack(live, from)
    this.#messagesTaken++
    if (!decoded.changes.length) this.#answersTaken++
    else {
      this.#applying = { documentId, from, changes: decoded.changes }
      try {
        // A sync message's changes may be change chunks, compressed or bundled: loaded as chunks.
        live.handle.update(doc => decoded.changes.reduce((d, chunk) => A.loadIncremental(d, chunk), doc))
      } catch {
        // Bytes the gate passed but Automerge will not apply: the Repo's sync decides.
        return this.#fallBack(live, from)
      } finally {
        this.#applying = undefined
      }
      // Changes waiting for ones the relay lacks: the full protocol asks for those.
      if (!A.hasHeads(live.handle.doc() as A.Doc<unknown>, decoded.heads)) return this.#fallBack(live, from)
    }
    return true
  }

  #passOn(from: PeerId, message: Extract<RepoMessage, { type: "ephemeral" }>): void {
    const live = this.#docs.get(message.documentId as DocumentId)
    if (!live) return
    for (const peerId of live.peers.keys()) if (peerId !== from) this.#opts.send({ ...message, senderId: message.senderId as PeerId, targetId: peerId, documentId: message.documentId as DocumentId })
  }

  /** Hands `peerId` back to the Repo's protocol for `documentId` (after a failure here). */
  release(peerId: PeerId, documentId: string): void {
    this.#fallBack(this.#docs.get(documentId as DocumentId), peerId)
  }

  /** A peer disconnected: it is live nowhere (a new connection starts with a full sync). */
  peerGone(peerId: PeerId): void {
    for (const [documentId, live] of this.#docs) if (live.peers.delete(peerId)) this.#dropIfIdle(documentId, live)
  }

  stats(): ForwardingStats {
    let livePairs = 0
    let windowMs = this.#base
    for (const live of this.#docs.values()) {
      livePairs += live.peers.size
      windowMs = Math.max(windowMs, live.windowMs)
    }
    return { livePairs, windowMs, lagMs: this.#lagMs, messagesSent: this.#messagesSent, changesSent: this.#changesSent, messagesTaken: this.#messagesTaken, answersTaken: this.#answersTaken, fallbacks: this.#fallbacks }
  }

  /** Whether the relay is shedding load: some document's window has widened to 8 times the base (three late flushes in a row). */
  saturated(): boolean {
    for (const live of this.#docs.values()) if (live.windowMs >= Math.min(this.#max, this.#base * 8)) return true
    return false
  }

  close(): void {
    for (const [documentId, live] of this.#docs) {
      live.peers.clear()
      this.#dropIfIdle(documentId, live)
    }
  }

  #maybeEnter(from: PeerId, documentId: DocumentId, type: "sync" | "request", decoded: DecodedSyncMessage): boolean {
    if (type !== "sync" || decoded.changes.length || decoded.need.length || !decoded.heads.length) return false
    const handle = this.#opts.repo.handles[documentId]
    if (!handle?.isReady()) return false
    const heads = A.getHeads(handle.doc() as A.Doc<unknown>)
    if (!sameHeads(heads, decoded.heads)) return false
    // In step: from here this class speaks to the peer about this document, not the Repo.
    this.#opts.repo.synchronizer.docSynchronizers[documentId]?.endSync(from)
    const live = this.#docs.get(documentId) ?? this.#watch(documentId, handle)
    // Nothing told yet: the next flush confirms the relay's heads (the Repo's last reply, which
    // would have, may have been cut off by this switch), so the peer knows its changes arrived.
    live.peers.set(from, "")
    this.#schedule(live)
    this.#messagesTaken++
    return true
  }

  #fallBack(live: LiveDocument | undefined, from: PeerId): false {
    if (live?.peers.delete(from)) {
      this.#fallbacks++
      this.#dropIfIdle(live.handle.documentId, live)
    }
    return false
  }

  #watch(documentId: DocumentId, handle: DocHandle<unknown>): LiveDocument {
    const onHeads = ({ doc }: { doc: A.Doc<unknown> }) => this.#changed(live, doc)
    handle.on("heads-changed", onHeads)
    const live: LiveDocument = {
      handle,
      peers: new Map(),
      pending: [],
      seen: handle.doc() as A.Doc<unknown>,
      windowMs: this.#base,
      dueAt: 0,
      stopWatching: () => handle.off("heads-changed", onHeads),
    }
    this.#docs.set(documentId, live)
    return live
  }

  #dropIfIdle(documentId: DocumentId, live: LiveDocument): void {
    if (live.peers.size) return
    live.stopWatching()
    clearTimeout(live.timer)
    this.#docs.delete(documentId)
  }

  #changed(live: LiveDocument, doc: A.Doc<unknown>): void {
    const applying = this.#applying
    if (applying && applying.documentId === live.handle.documentId) {
      for (const change of applying.changes) live.pending.push({ change, from: applying.from })
    } else {
      // Another path changed the document (a peer still catching up, the relay's own write).
      for (const change of A.getChanges(live.seen, doc)) live.pending.push({ change })
    }
    live.seen = doc
    this.#schedule(live)
  }

  #schedule(live: LiveDocument): void {
    if (live.timer) return
    live.dueAt = performance.now() + live.windowMs
    live.timer = setTimeout(() => this.#flush(live), live.windowMs)
  }

  #flush(live: LiveDocument): void {
    live.timer = undefined
    const lag = Math.max(0, performance.now() - live.dueAt)
    this.#lagMs = this.#lagMs * 0.8 + lag * 0.2
    // Behind: wider batches. Keeping up: back toward the base.
    live.windowMs = lag > live.windowMs ? Math.min(this.#max, live.windowMs * 2) : lag < live.windowMs / 4 ? Math.max(this.#base, live.windowMs / 2) : live.windowMs
    const pending = live.pending
    live.pending = []
    const self = this.#opts.selfId()
    if (!self || !live.handle.isReady()) return
    const heads = A.getHeads(live.handle.doc() as A.Doc<unknown>)
    const key = heads.join(",")
    const encode = (changes: Uint8Array[]) => A.encodeSyncMessage({ heads, need: [], have: [{ lastSync: heads, bloom: EMPTY_BLOOM }], changes })
    const all = pending.map(p => p.change)
    const authors = new Set(pending.map(p => p.from))
    // Every peer that wrote none of the batch gets the same message: encoded once.
    let whole: Uint8Array | undefined
    for (const [peerId, told] of live.peers) {
      const own = authors.has(peerId)
      const changes = own ? pending.filter(p => p.from !== peerId).map(p => p.change) : all
      if (!changes.length && told === key) continue
      live.peers.set(peerId, key)
      this.#messagesSent++
      this.#changesSent += changes.length
      const data = own ? encode(changes) : (whole ??= encode(all))
      // `forwarded` (schemas/wire.ts): the peer need not answer it.
      this.#opts.send({ type: "sync", senderId: self, targetId: peerId, documentId: live.handle.documentId, data, forwarded: true } as Message)
    }
  }
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(a)
  return b.every(h => set.has(h))
}

