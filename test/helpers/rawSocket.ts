/**
 * Raw WebSockets to a relay, below automerge-repo: what a rogue or broken peer can send.
 * An authenticated socket proves a key the way RelayClientAdapter does.
 */
import { randomBytes } from "node:crypto"
import { connect } from "node:net"
import WebSocket from "ws"
import { RELAY_PROTOCOL } from "../../schemas/wire.ts"
import { connectionProofText, encodeProofProtocol } from "../../src/domain/peers/connectionProof.ts"
import { signHex } from "../../src/core/signing.ts"
import { fetchChallenge, httpBaseOf } from "../../src/peer/enrolClient.ts"
import { fetchWorkspace } from "../../src/peer/nodePeer.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"
import type { Teardown } from "./teardown.ts"

export interface RelayEndpoint {
  wsUrl: string
  token: string
}

/** The subprotocols that prove `identity` for one connection (a fresh challenge, signed). */
export async function proofProtocols(relay: RelayEndpoint, identity: PeerIdentity, nonce?: string): Promise<string[]> {
  const { workspaceId } = await fetchWorkspace(relay.wsUrl, relay.token)
  const n = nonce ?? (await fetchChallenge(httpBaseOf(relay.wsUrl)))
  const sig = await signHex(identity.key, connectionProofText(workspaceId, identity.name, n))
  return [RELAY_PROTOCOL, encodeProofProtocol({ peer: identity.name, nonce: n, sig })]
}

export interface UpgradeOutcome {
  /** The HTTP status (101 when the socket opened). */
  status: number
  /** Messages the relay sent before the socket closed. */
  messages: number
}

/** Tries an upgrade and reports its status; an opened socket is closed at once. */
export function tryUpgrade(url: string, opts: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers ?? {} })
    let messages = 0
    ws.on("message", () => messages++)
    ws.on("unexpected-response", (_req, res) => {
      res.resume()
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, messages })
        ws.terminate()
      })
    })
    ws.on("open", () => {
      ws.send(Buffer.from([0xa0])) // an empty CBOR map: not a join
      ws.close()
      ws.on("close", () => resolve({ status: 101, messages }))
    })
    ws.on("error", error => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

/** Sends a raw upgrade request and returns every byte the relay answers until it closes. */
export function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    let data = ""
    socket.setEncoding("latin1")
    socket.on("data", chunk => (data += chunk))
    socket.on("end", () => resolve(data))
    socket.on("error", reject)
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
  })
}

export interface RawPeer {
  readonly ws: WebSocket
  /** Resolves with the close code and reason the relay gave. */
  readonly closed: Promise<{ code: number; reason: string }>
  /** Every message the relay sent, as raw frames. */
  readonly received: Buffer[]
}

/** An open, authenticated raw socket speaking for `identity`; terminated by the teardown. */
export async function openRawPeer(teardown: Teardown, relay: RelayEndpoint, identity: PeerIdentity): Promise<RawPeer> {
  const ws = new WebSocket(relay.wsUrl, await proofProtocols(relay, identity))
  teardown.add(() => ws.terminate())
  const received: Buffer[] = []
  ws.on("message", data => received.push(Buffer.from(data as Buffer)))
  const closed = new Promise<{ code: number; reason: string }>(resolve => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })))
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve())
    ws.once("error", reject)
  })
  ws.on("error", () => {})
  return { ws, closed, received }
}
