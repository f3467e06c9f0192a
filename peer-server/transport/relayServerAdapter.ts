/**
 * The relay's side of the sync connections: an automerge-repo NetworkAdapter over
 * WebSockets that the relay has already authenticated. Each socket is bound to the
 * Principal it proved at upgrade. Every frame is size- and rate-checked, CBOR-decoded and
 * shape-checked before anything reads it; a frame that fails closes that one connection with
 * a code and a reason, and the relay and every other peer go on.
 */
import { cbor, NetworkAdapter, type Message, type PeerId, type PeerMetadata } from "@automerge/automerge-repo/slim"
import type { RawData, WebSocket } from "ws"
import { LIMITS } from "../../schemas/common.ts"
import { CLOSE, FromClientMessage, type ActorsMessage, type JoinMessage, type RepoMessage } from "../../schemas/wire.ts"
import { actorsMessages } from "../gate/actorBindings.ts"
import { RateLimiter } from "../../worker/rateLimit.ts"
import type { Principal } from "../principal.ts"
import type { LiveForwarding } from "./liveForwarding.ts"
import { decodeSyncMessageOnce } from "./syncMessages.ts"

export type { RepoMessage }

/**
 * What a hook says of one message: let it through, refuse it (finally, or for now with
 * `retry`), or drop it without a word (an ephemeral message: there is nothing to offer again).
 */
export type MessageVerdict = "accept" | "drop" | { refuse: string; retry?: boolean }

export interface RelayAdapterHooks {
  /** Called for every decoded, shape-checked repo message from a socket, in order, before
   *  the Repo sees it. Resolve "accept" to emit it to the Repo, "drop" to forget it, or
   *  {refuse: reason, retry?} to drop it and send the peer {type:"vivarium-refused", documentId,
   *  reason, retry}; the connection stays open. Throwing closes the connection (4500). */
  beforeMessage?(principal: Principal, message: RepoMessage): Promise<MessageVerdict>
  /** Awaited before a message is sent to a peer (in per-peer order): the durability hook
   *  uses it to hold back a sync reply until the document is fsynced, so a reply that
   *  acknowledges heads never precedes the disk write. */
  beforeSend?(message: RepoMessage): Promise<void>
  /** Whether the principal may receive `documentId` at all (pending peers: root and own audit only). */
  mayRead?(principal: Principal, documentId: string): boolean
  /** A follower relay says whose the actors of the changes it forwards are (in order with its messages). */
  declareActors?(principal: Principal, actors: ActorsMessage["actors"]): void
}

export interface ConnectionLimits {
  /** Largest frame read (also the ws maxPayload). */
  frameBytes: number
  /** Sustained messages a second per connection, and how many may come at once. */
  messagesPerSecond: number
  messageBurst: number
  /** Sustained bytes a second per connection, and how many may come at once (at least one frame). */
  bytesPerSecond: number
  byteBurst: number
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  frameBytes: LIMITS.frameBytes,
  messagesPerSecond: 1_000,
  messageBurst: 5_000,
  bytesPerSecond: 32 * 1024 * 1024,
  byteBurst: 4 * LIMITS.frameBytes,
}

/** A connection the relay ended, for its log and metrics (never frame contents). */
export interface ClosedConnection {
  peer: string
  code: number
  reason: string
}

/** Which peer each Automerge actor belongs to (gate/actorBindings.ts), as far as this adapter tells follower relays. */
export interface ActorDirectory {
  all(): ReadonlyMap<string, string>
  /** Calls `listener` with each batch of new bindings; returns the unsubscribe. */
  onBound(listener: (bound: ReadonlyMap<string, string>) => void): () => void
}

export interface RelayServerAdapterOptions {
  hooks?: RelayAdapterHooks
  /** Told to every follower relay (role `mirror`) when it joins or is approved, and as bindings are made. */
  actors?: ActorDirectory
  limits?: Partial<ConnectionLimits>
  /** Ping interval; a peer that answers no ping for two intervals is dropped (default 5 s). */
  heartbeatMs?: number
  /** Told each connection the relay closes on its own. */
  onClosed?: (closed: ClosedConnection) => void
  /** Operator-facing problems that close nothing (a send held back by a failing hook). */
  log?: (line: string) => void
}

interface Connection {
  readonly socket: WebSocket
  principal: Principal
  /** The repo peer id this socket joined as; every later message must carry it. */
  peerId?: PeerId
  alive: boolean
  closed: boolean
  /** Messages received and not yet through beforeMessage (bounded by messageBurst). */
  queued: number
  inbound: Promise<void>
  outbound: Promise<void>
  /** The last request per document this principal was refused for (to answer once it may read). */
  readonly deniedRequests: Map<string, RepoMessage>
  readonly messages: RateLimiter
  readonly bytes: RateLimiter
}

/** Refused requests remembered per connection (a pending peer asks for a handful). */
const MAX_DENIED_REQUESTS = 1_000

/** WebSocket close reasons are limited to 123 bytes. */
const MAX_REASON = 120

export class RelayServerAdapter extends NetworkAdapter {
  readonly #hooks: RelayAdapterHooks
  readonly #limits: ConnectionLimits
  readonly #heartbeatMs: number
  readonly #opts: RelayServerAdapterOptions
  readonly #connections = new Set<Connection>()
  readonly #byPeer = new Map<PeerId, Connection>()
  #forwarding?: LiveForwarding
  #heartbeat?: NodeJS.Timeout
  #stopTellingActors?: () => void
  #ready = false

  constructor(opts: RelayServerAdapterOptions = {}) {
    super()
    this.#opts = opts
    this.#hooks = opts.hooks ?? {}
    this.#limits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.limits }
    this.#heartbeatMs = opts.heartbeatMs ?? 5_000
  }

  get limits(): Readonly<ConnectionLimits> {
    return this.#limits
  }

  isReady(): boolean {
    return this.#ready
  }

  whenReady(): Promise<void> {
    return Promise.resolve()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#ready = true
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs)
    this.#heartbeat.unref()
    this.#stopTellingActors = this.#opts.actors?.onBound(bound => {
      for (const conn of this.#byPeer.values()) if (conn.principal.role === "mirror") this.#tellActors(conn, bound)
    })
  }

  disconnect(): void {
    clearInterval(this.#heartbeat)
    this.#stopTellingActors?.()
    for (const conn of this.#connections) {
      conn.closed = true
      conn.socket.terminate()
    }
  }

  /** Accepted messages of peers in step with the relay go to `forwarding` instead of the Repo's sync rounds. */
  forwardWith(forwarding: LiveForwarding): void {
    this.#forwarding = forwarding
  }

  /** The principal a connected repo peer speaks for (undefined once it is gone). */
  principalOf(peerId: PeerId): Principal | undefined {
    return this.#byPeer.get(peerId)?.principal
  }

  /** The socket of each joined peer (an operator's tooling or a test can cut one off). */
  joinedSockets(): ReadonlyMap<PeerId, WebSocket> {
    return new Map([...this.#byPeer].map(([peerId, conn]) => [peerId, conn.socket]))
  }

  /**
   * Re-derives every connection's principal (after a registration changed). `resolve`
   * answers undefined for a key that is no longer admitted: that connection closes (4403).
   * Requests refused under the old role that the new role may read are answered now (the
   * peer's repo marked those documents unavailable and would not ask again).
   */
  refreshPrincipals(resolve: (current: Principal) => Principal | undefined): void {
    for (const conn of this.#connections) {
      if (conn.closed) continue
      const next = resolve(conn.principal)
      if (!next) this.#close(conn, CLOSE.revoked, "this key is no longer admitted to the workspace")
      else if (next.role !== conn.principal.role) {
        conn.principal = next
        if (next.role === "mirror" && conn.peerId) this.#tellActors(conn, this.#opts.actors?.all())
        for (const [documentId, request] of conn.deniedRequests) {
          if (!this.#mayRead(conn, documentId)) continue
          conn.deniedRequests.delete(documentId)
          conn.queued++
          conn.inbound = conn.inbound.then(() => this.#deliver(conn, request))
        }
      }
    }
  }

  #mayRead(conn: Connection, documentId: string): boolean {
    return !this.#hooks.mayRead || this.#hooks.mayRead(conn.principal, documentId)
  }

  /** Takes over an authenticated socket: from here every frame on it speaks for `principal`. */
  accept(socket: WebSocket, principal: Principal): void {
    const l = this.#limits
    const conn: Connection = {
      socket,
      principal,
      alive: true,
      closed: false,
      queued: 0,
      inbound: Promise.resolve(),
      outbound: Promise.resolve(),
      deniedRequests: new Map(),
      messages: new RateLimiter(l.messagesPerSecond * 60, Date.now, l.messageBurst),
      bytes: new RateLimiter(l.bytesPerSecond * 60, Date.now, Math.max(l.byteBurst, l.frameBytes)),
    }
    this.#connections.add(conn)
    // ws itself closes a frame it cannot read: over maxPayload (1009) or broken framing
    // (1002, 1007). Say it in the relay's codes, with a reason the peer can show.
    const wsClose = socket.close.bind(socket)
    socket.close = (code?: number, reason?: string | Buffer) => {
      if (code === 1009) return wsClose(CLOSE.tooLarge, `frame larger than ${l.frameBytes} bytes`)
      if (code === 1002 || code === 1007) return wsClose(CLOSE.malformed, "broken WebSocket frame")
      return wsClose(code, reason)
    }
    socket.on("message", (data: RawData, isBinary: boolean) => this.#receive(conn, data, isBinary))
    socket.on("pong", () => (conn.alive = true))
    socket.on("error", error => {
      const code = (error as NodeJS.ErrnoException).code
      const reason = code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? `frame larger than ${l.frameBytes} bytes` : `socket error (${code ?? error.message})`
      this.#close(conn, code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? CLOSE.tooLarge : CLOSE.malformed, reason)
    })
    socket.on("close", () => this.#forget(conn))
  }

  send(message: Message): void {
    // A peer in step on a document hears about it from forwarding alone (the Repo's sync
    // state for it is stale by design); the Repo may have re-added it in a race.
    if (this.#forwarding && message.documentId && (message.type === "sync" || message.type === "request") && this.#forwarding.silence(message.targetId, message.documentId)) return
    this.sendAsRelay(message)
  }

  /** Sends a message to a peer without asking forwarding (forwarding's own messages). */
  sendAsRelay(message: Message): void {
    const conn = this.#byPeer.get(message.targetId)
    if (!conn || conn.closed) return
    if (message.documentId && !this.#mayRead(conn, message.documentId)) return
    const beforeSend = this.#hooks.beforeSend
    if (!beforeSend) return this.#write(conn, message)
    conn.outbound = conn.outbound
      .then(() => beforeSend(message as RepoMessage))
      .then(
        () => this.#write(conn, message),
        error => this.#opts.log?.(`held back a ${message.type} message to ${conn.principal.peer}: ${(error as Error).message}`),
      )
  }

  #write(conn: Connection, message: Message | Record<string, unknown>): void {
    if (conn.closed || conn.socket.readyState !== conn.socket.OPEN) return
    const encoded = cbor.encode(message)
    conn.socket.send(encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength))
  }

  #receive(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
    const l = this.#limits
    if (bytes.byteLength > l.frameBytes) return this.#close(conn, CLOSE.tooLarge, `frame larger than ${l.frameBytes} bytes`)
    if (!conn.messages.tryTake().ok || !conn.bytes.tryTake(bytes.byteLength).ok || conn.queued >= l.messageBurst)
      return this.#close(conn, CLOSE.rateLimited, `over ${l.messagesPerSecond} messages or ${l.bytesPerSecond} bytes a second`)
    if (!isBinary) return this.#close(conn, CLOSE.malformed, "text frame; the relay reads CBOR binary frames")
    let decoded: unknown
    try {
      decoded = cbor.decode(bytes)
    } catch {
      return this.#close(conn, CLOSE.malformed, "frame is not CBOR")
    }
    const parsed = FromClientMessage.safeParse(decoded)
    if (!parsed.success) return this.#close(conn, CLOSE.malformed, `not a sync message: ${describeIssue(parsed.error.issues[0])}`)
    const message = parsed.data
    if ((message.type === "sync" || message.type === "request") && !isSyncMessage(message.data))
      return this.#close(conn, CLOSE.malformed, "data is not an Automerge sync message")
    if (message.type === "join") return this.#join(conn, message)
    if (!conn.peerId) return this.#close(conn, CLOSE.malformed, "the first message must be a join")
    if (message.senderId !== conn.peerId) {
      // automerge-repo peers pass on ephemeral messages (presence) under their author's id;
      // the relay already has those from the author itself. A follower relay's are its own
      // peers' (workers' beats among them: the ephemeral gate reads those). Nothing else may
      // name another sender.
      if (message.type === "ephemeral" && conn.principal.role !== "mirror") return
      if (message.type !== "ephemeral") return this.#close(conn, CLOSE.malformed, "senderId differs from the one this connection joined as")
    }
    if (message.targetId !== this.peerId) return this.#close(conn, CLOSE.malformed, "targetId is not this relay")
    if (message.type === "vivarium-actors") {
      if (conn.principal.role !== "mirror") return this.#close(conn, CLOSE.malformed, "only a follower relay says whose actors are")
      conn.inbound = conn.inbound.then(() => this.#hooks.declareActors?.(conn.principal, message.actors))
      return
    }
    if ("documentId" in message && !this.#mayRead(conn, message.documentId)) {
      // As if the document did not exist here: nothing is stored, forwarded or revealed.
      if (message.type === "request" || message.type === "sync") {
        this.#write(conn, { type: "doc-unavailable", senderId: this.peerId!, targetId: conn.peerId, documentId: message.documentId })
        if (message.type === "request" && conn.deniedRequests.size < MAX_DENIED_REQUESTS) conn.deniedRequests.set(message.documentId, message)
      }
      return
    }
    conn.queued++
    conn.inbound = conn.inbound.then(() => this.#deliver(conn, message))
  }

  async #deliver(conn: Connection, message: RepoMessage): Promise<void> {
    conn.queued--
    if (conn.closed) return
    let verdict: MessageVerdict
    try {
      verdict = this.#hooks.beforeMessage ? await this.#hooks.beforeMessage(conn.principal, message) : "accept"
    } catch (error) {
      return this.#close(conn, CLOSE.internal, `the relay could not check this message: ${(error as Error).message}`)
    }
    if (conn.closed || verdict === "drop") return
    if (verdict === "accept") {
      if (!this.#forwarded(conn, message)) this.emit("message", message as Message)
      return
    }
    this.#write(conn, {
      type: "vivarium-refused",
      senderId: this.peerId!,
      targetId: conn.peerId!,
      ...("documentId" in message ? { documentId: message.documentId } : {}),
      reason: verdict.refuse,
      ...(verdict.retry ? { retry: true } : {}),
    })
  }

  /** Whether forwarding took the message; if forwarding fails, the Repo's protocol gets it (nothing is lost). */
  #forwarded(conn: Connection, message: RepoMessage): boolean {
    try {
      return !!this.#forwarding?.take(conn.peerId!, message)
    } catch (error) {
      this.#opts.log?.(`forwarding could not take a ${message.type} message from ${conn.principal.peer}: ${(error as Error).message}`)
      if ("documentId" in message) this.#forwarding?.release(conn.peerId!, message.documentId)
      return false
    }
  }

  #join(conn: Connection, join: JoinMessage): void {
    if (conn.peerId) return this.#close(conn, CLOSE.malformed, "a second join on one connection")
    const peerId = join.senderId as PeerId
    if (peerId === this.peerId) return this.#close(conn, CLOSE.malformed, "senderId is the relay's own")
    const earlier = this.#byPeer.get(peerId)
    if (earlier && earlier.principal.peer !== conn.principal.peer)
      return this.#close(conn, CLOSE.peerIdTaken, "this peer id is connected for another peer; use a fresh one")
    if (join.supportedProtocolVersions && !join.supportedProtocolVersions.includes("1")) {
      this.#write(conn, { type: "error", senderId: this.peerId!, targetId: peerId, message: "unsupported protocol version" })
      return this.#close(conn, CLOSE.malformed, "unsupported protocol version")
    }
    if (earlier) {
      // The same key reconnecting under its peer id (a dropped socket it has not noticed yet).
      this.#byPeer.delete(peerId)
      this.#forwarding?.peerGone(peerId)
      this.emit("peer-disconnected", { peerId })
      this.#close(earlier, 1000, "replaced by a newer connection of the same peer")
    }
    conn.peerId = peerId
    this.#byPeer.set(peerId, conn)
    this.emit("peer-candidate", { peerId, peerMetadata: (join.peerMetadata ?? {}) as PeerMetadata })
    this.#write(conn, { type: "peer", senderId: this.peerId!, targetId: peerId, peerMetadata: this.peerMetadata ?? {}, selectedProtocolVersion: "1" })
    if (conn.principal.role === "mirror") this.#tellActors(conn, this.#opts.actors?.all())
  }

  /** Tells a follower relay whose actors are (before the changes it relays on: sends here go out in order). */
  #tellActors(conn: Connection, bindings: ReadonlyMap<string, string> | undefined): void {
    if (!bindings?.size || !conn.peerId) return
    for (const message of actorsMessages(bindings, this.peerId!, conn.peerId)) this.#write(conn, message)
  }

  /** Ends one connection with a code and a reason; the peer sees both, nothing else is touched. */
  #close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return
    conn.closed = true
    this.#detach(conn)
    if (code !== 1000) this.#opts.onClosed?.({ peer: conn.principal.peer, code, reason })
    const socket = conn.socket
    if (socket.readyState === socket.OPEN) socket.close(code, truncate(reason))
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => socket.terminate(), 1_000).unref()
  }

  #forget(conn: Connection): void {
    conn.closed = true
    this.#connections.delete(conn)
    this.#detach(conn)
  }

  #detach(conn: Connection): void {
    if (conn.peerId && this.#byPeer.get(conn.peerId) === conn) {
      this.#byPeer.delete(conn.peerId)
      this.#forwarding?.peerGone(conn.peerId)
      this.emit("peer-disconnected", { peerId: conn.peerId })
    }
  }

  #beat(): void {
    for (const conn of this.#connections) {
      if (conn.closed) continue
      if (!conn.alive) {
        this.#opts.log?.(`dropped ${conn.principal.peer}: no answer to two heartbeats`)
        this.#forget(conn)
        conn.socket.terminate()
        continue
      }
      conn.alive = false
      conn.socket.ping()
    }
  }
}

/** Whether `data` parses as an Automerge sync message (automerge-repo would throw on it later, out of reach). */
function isSyncMessage(data: Uint8Array): boolean {
  try {
    decodeSyncMessageOnce(data)
    return true
  } catch {
    return false
  }
}

function describeIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return "unknown shape"
  return `${issue.path.length ? issue.path.map(String).join(".") : "message"}: ${issue.message}`
}

function truncate(reason: string): string {
  let out = reason
  while (Buffer.byteLength(out) > MAX_REASON) out = out.slice(0, -1)
  return out
}
