/**
 * INTERIM — replaced when connections are bound to registered keys at upgrade (the relay's
 * own server adapter then calls ChangeGate from its beforeMessage hook). Until then this one
 * file puts the gate in front of the current NodeWSServerAdapter: every repo message of a
 * socket waits, in order, for the gate's verdict on it; a refused sync message is dropped
 * (logged with peer, document, path and reason) and the connection stays open.
 *
 * The principal is resolved from the name a peer gives in its join metadata (`vivariumPeer`,
 * sent by src/peer/nodePeer.ts when it has an identity), against `root.peers`: an approved
 * worker is a worker, an unapproved one pending, an operator an operator (the owner if
 * root.authority names it). A connection that names no registered peer (CLI commands,
 * browsers and test peers of today) counts as the owner, and may still register itself as
 * peers do before relay enrolment exists.
 */
import { cbor } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import type { WebSocket } from "ws"
import type { RootDoc } from "../../schemas/index.ts"
import { PEER_NAME_METADATA } from "../../src/peer/nodePeer.ts"
import type { Principal } from "../../src/core/principal.ts"
import type { ChangeGate } from "./changeGate.ts"

/** The gate's interim allowances while peers still register themselves. */
export const INTERIM_AUTHORITY = { selfEnrolment: true, anyOperatorName: true } as const

export function interimPrincipal(root: RootDoc, name: string | undefined): Principal {
  const record = name ? root.peers[name] : undefined
  if (!name || !record) return { peer: name ?? "anonymous", role: name ? "pending" : "owner", publicKeyHex: "" }
  if (record.role === "worker") return { peer: name, role: record.state === "approved" ? "worker" : "pending", publicKeyHex: record.publicKey }
  const owner = root.authority?.owner.name === name
  return { peer: name, role: owner ? "owner" : record.state === "approved" ? "operator" : "pending", publicKeyHex: record.publicKey }
}

type Decoded = { type?: unknown; documentId?: unknown; data?: unknown; peerMetadata?: Record<string, unknown> }

export class GatedServerAdapter extends NodeWSServerAdapter {
  #gate?: { gate: ChangeGate; root: () => RootDoc }
  readonly #names = new WeakMap<WebSocket, string>()
  readonly #queues = new WeakMap<WebSocket, Promise<void>>()

  useGate(gate: ChangeGate, root: () => RootDoc): void {
    this.#gate = { gate, root }
  }

  override receiveMessage(messageBytes: Buffer, socket: WebSocket): void {
    const pass = () => super.receiveMessage(messageBytes, socket as never)
    let message: Decoded
    try {
      message = cbor.decode(messageBytes) as Decoded
    } catch {
      return pass() // the adapter closes that connection itself
    }
    if (message?.type === "join") {
      const name = message.peerMetadata?.[PEER_NAME_METADATA]
      if (typeof name === "string") this.#names.set(socket, name)
      return pass()
    }
    const gated = this.#gate
    const previous = this.#queues.get(socket) ?? Promise.resolve()
    const next = previous.then(async () => {
      const { type, documentId, data } = message ?? {}
      if (gated && (type === "sync" || type === "request") && typeof documentId === "string" && data instanceof Uint8Array) {
        const principal = interimPrincipal(gated.root(), this.#names.get(socket))
        const verdict = await gated.gate.check(principal, documentId, data)
        if (verdict !== "accept") return
      }
      pass()
    })
    this.#queues.set(socket, next.catch(() => {}))
  }
}
