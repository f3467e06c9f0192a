/**
 * A peer's side of the sync connection to the relay, for Node (the `ws` package) and the
 * browser (native WebSocket) alike: the caller passes the WebSocket constructor and a
 * signer. Every connection attempt fetches a fresh challenge, signs it and offers the proof
 * as a subprotocol; the relay binds the socket to that key. Refusals and failed key proofs
 * come out as typed notices, never as exceptions, and a refused key is retried slowly.
 */
import { cbor, NetworkAdapter, type Message, type PeerId, type PeerMetadata } from "@automerge/automerge-repo/slim"
import { EventEmitter } from "eventemitter3"
import { CLOSE, FromRelayMessage, RELAY_PROTOCOL } from "../../schemas/wire.ts"
import { connectionProofText, encodeProofProtocol } from "../domain/peers/index.ts"
import { fetchChallenge, httpBaseOf } from "./enrolClient.ts"
import { ForwardedBatches } from "./forwardedBatches.ts"

/** The part of a WebSocket this adapter uses (the browser's and ws's both have it). */
export interface WebSocketLike {
  readonly readyState: number
  binaryType: string
  send(data: ArrayBuffer): void
  close(code?: number, reason?: string): void
  // Listener payloads differ between the browser and ws; each handler reads what it needs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener(type: "open" | "close" | "message" | "error", listener: (event: any) => void): void
}
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike

/** Signs connection proofs with the peer's registered key. */
export interface RelaySigner {
  readonly peer: string
  sign(text: string): Promise<string>
}

export interface RefusedNotice {
  documentId?: string
  reason: string
  /** For now only (the relay's storage is failing, or it is starting): the adapter offers
   *  the changes again by itself. Otherwise the refusal is final. */
  retry?: boolean
}

export interface AuthFailure {
  /** 401 (unknown key, bad proof), 403 (revoked), or 0 when the browser cannot tell. */
  status: number
  reason: string
}

export interface RelayClientEvents {
  /** The relay did not accept one of our messages (neither stored nor forwarded). */
  refused: (notice: RefusedNotice) => void
  /** The relay refused our key; the adapter retries only after `authRetryMs`. */
  "auth-failed": (failure: AuthFailure) => void
  /** Whose Automerge actors are whose (a relay tells this only to a follower relay: peer-server/upstream.ts). */
  actors: (actors: Readonly<Record<string, string>>) => void
}

export interface RelayClientOptions {
  /** ws://host:port or wss://host:port of the relay (any query, fragment or credentials are dropped). */
  url: string
  workspaceId: string
  signer: RelaySigner
  WebSocket: WebSocketConstructor
  /** Wait before reconnecting after a lost connection (default 5 s). */
  retryMs?: number
  /** Wait before trying again after the relay refused the key (default 30 s). */
  authRetryMs?: number
}

const OPEN = 1

export class RelayClientAdapter extends NetworkAdapter {
  readonly notices = new EventEmitter<RelayClientEvents>()
  /** The relay's peer id while connected. */
  remotePeerId?: PeerId
  readonly #opts: Required<Omit<RelayClientOptions, "authRetryMs" | "retryMs">> & { retryMs: number; authRetryMs: number }
  #socket?: WebSocketLike
  #timer?: ReturnType<typeof setTimeout>
  #reoffer?: ReturnType<typeof setTimeout>
  #stopped = true
  #ready = false
  #readyResolve?: () => void
  readonly #forwarded = new ForwardedBatches()
  readonly #readyPromise = new Promise<void>(resolve => (this.#readyResolve = resolve))

  constructor(opts: RelayClientOptions) {
    super()
    this.#opts = { retryMs: 5_000, authRetryMs: 30_000, ...opts, url: socketAddress(opts.url) }
  }

  /** The socket of the current attempt (undefined between attempts). */
  get socket(): WebSocketLike | undefined {
    return this.#socket
  }

  isReady(): boolean {
    return this.#ready
  }

  whenReady(): Promise<void> {
    return this.#readyPromise
  }

  #forceReady(): void {
    if (this.#ready) return
    this.#ready = true
    this.#readyResolve?.()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#stopped = false
    // Like automerge-repo's own adapter: do not hold up "unavailable" answers forever
    // while the relay is out of reach.
    setTimeout(() => this.#forceReady(), 1_000)
    void this.#dial()
  }

  disconnect(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    clearTimeout(this.#reoffer)
    this.#reoffer = undefined
    const socket = this.#socket
    this.#socket = undefined
    socket?.close(1000, "peer leaving")
    this.#lost()
  }

  /**
   * Ends the current connection at once and dials again after `retryMs`: for when the device
   * lost its network, which can leave a socket looking open for minutes.
   */
  redial(): void {
    const socket = this.#socket
    if (this.#stopped || !socket) return
    this.#socket = undefined
    socket.close(1000, "network lost")
    this.#lost()
    this.#retry(this.#opts.retryMs)
  }

  send(message: Message): void {
    const socket = this.#socket
    if (!socket || socket.readyState !== OPEN) return
    if ("data" in message && message.data?.byteLength === 0) return
    if (message.type === "sync" && message.documentId && message.data && this.#forwarded.needless(message.documentId, message.data)) return
    const bytes = cbor.encode(message)
    socket.send(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  }

  /**
   * After a refusal "for now": ends this connection after `retryMs`; the next one starts a new
   * sync session, which offers the refused changes again.
   */
  #offerAgainLater(): void {
    if (this.#reoffer) return
    const socket = this.#socket
    this.#reoffer = setTimeout(() => {
      this.#reoffer = undefined
      if (!this.#stopped && socket && this.#socket === socket) socket.close(1000, "offering refused changes again")
    }, this.#opts.retryMs)
  }

  #retry(ms: number): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#dial(), ms)
  }

  async #dial(): Promise<void> {
    if (this.#stopped || this.#socket) return
    const { url, workspaceId, signer } = this.#opts
    let protocols: string[]
    try {
      // A fresh challenge for every attempt: a proof is good for one connection only.
      const nonce = await fetchChallenge(httpBaseOf(url))
      const sig = await signer.sign(connectionProofText(workspaceId, signer.peer, nonce))
      protocols = [RELAY_PROTOCOL, encodeProofProtocol({ peer: signer.peer, nonce, sig })]
    } catch {
      return this.#retry(this.#opts.retryMs)
    }
    if (this.#stopped || this.#socket) return
    const socket = new this.#opts.WebSocket(url, protocols)
    socket.binaryType = "arraybuffer"
    this.#socket = socket
    let opened = false
    let httpStatus: number | undefined
    let networkError = false
    socket.addEventListener("open", () => {
      opened = true
      this.send({ type: "join", senderId: this.peerId!, peerMetadata: this.peerMetadata, supportedProtocolVersions: ["1"] } as unknown as Message)
    })
    socket.addEventListener("message", (event: { data: unknown }) => {
      if (this.#socket === socket) this.#receive(event.data)
    })
    socket.addEventListener("error", (event: { message?: string }) => {
      // ws (Node) reports a refused upgrade as "Unexpected server response: 401"; browsers say nothing.
      const status = /Unexpected server response: (\d{3})/.exec(event.message ?? "")?.[1]
      if (status) httpStatus = Number(status)
      else if (event.message) networkError = true
    })
    socket.addEventListener("close", (event: { code: number; reason?: string }) => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.#lost()
      const refusedKey =
        httpStatus === 401 || httpStatus === 403 || event.code === CLOSE.unauthorized || event.code === CLOSE.revoked || (!opened && httpStatus === undefined && !networkError)
      if (!refusedKey) return this.#retry(this.#opts.retryMs)
      const status = httpStatus ?? (event.code === CLOSE.revoked ? 403 : event.code === CLOSE.unauthorized ? 401 : 0)
      this.notices.emit("auth-failed", { status, reason: authReason(status, event.reason) })
      this.#retry(this.#opts.authRetryMs)
    })
  }

  #lost(): void {
    this.#forwarded.clear()
    const remote = this.remotePeerId
    this.remotePeerId = undefined
    if (remote) this.emit("peer-disconnected", { peerId: remote })
  }

  #receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return
    let decoded: unknown
    try {
      decoded = cbor.decode(new Uint8Array(data))
    } catch {
      return
    }
    const parsed = FromRelayMessage.safeParse(decoded)
    if (!parsed.success) return
    const message = parsed.data
    switch (message.type) {
      case "peer":
        this.remotePeerId = message.senderId as PeerId
        this.#forceReady()
        this.emit("peer-candidate", { peerId: this.remotePeerId, peerMetadata: (message.peerMetadata ?? {}) as PeerMetadata })
        return
      case "error":
        return
      case "vivarium-actors":
        this.notices.emit("actors", message.actors)
        return
      case "vivarium-refused":
        this.notices.emit("refused", { ...(message.documentId ? { documentId: message.documentId } : {}), reason: message.reason, ...(message.retry ? { retry: true } : {}) })
        if (message.retry) this.#offerAgainLater()
        return
      case "sync":
        this.#forwarded.received(message.documentId, message.data, message.forwarded === true)
        this.emit("message", message as unknown as Message)
        return
      default:
        this.emit("message", message as unknown as Message)
    }
  }
}

/**
 * The address a socket opens: no user, password, query or fragment. The key proof travels
 * as a subprotocol, so nothing secret belongs in it, and browsers print a failed socket's
 * address to the console on every retry.
 */
export function socketAddress(url: string): string {
  const address = new URL(url)
  address.username = ""
  address.password = ""
  address.search = ""
  address.hash = ""
  return address.toString()
}

function authReason(status: number, reason: string | undefined): string {
  if (reason) return reason
  if (status === 403) return "the relay refused this key: it was revoked"
  if (status === 401) return "the relay does not admit this key (not registered here, or a different key under this name)"
  return "the relay closed the connection before it opened (is this key still admitted?)"
}
