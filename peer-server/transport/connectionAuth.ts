/**
 * Who a WebSocket speaks for. A peer asks `GET /api/challenge` for a nonce, signs the
 * canonical connection text with its registered Ed25519 key and offers the proof as a
 * `Sec-WebSocket-Protocol` entry beside `vivarium.1`. The relay checks the nonce (single
 * use, 60 s) and the signature against `root.peers[peer]`, and binds the socket to the
 * resulting Principal. The join secret alone opens nothing here: it only enrols a key.
 */
import { randomBytes } from "node:crypto"
import type { IncomingMessage } from "node:http"
import type { RootDoc } from "../../schemas/index.ts"
import { RELAY_PROTOCOL } from "../../schemas/wire.ts"
import { connectionProofText, decodeProofProtocol } from "../../src/domain/peers/index.ts"
import { verifyHex } from "../../src/core/signing.ts"
import type { Principal } from "../principal.ts"

export const CHALLENGE_TTL_MS = 60_000

/** Nonces handed out and not yet used: single use, short-lived, bounded in number. */
export class ChallengeStore {
  readonly #issued = new Map<string, number>()
  constructor(
    readonly ttlMs = CHALLENGE_TTL_MS,
    readonly max = 10_000,
    readonly now: () => number = Date.now,
  ) {}

  /** A fresh nonce, or undefined when too many are outstanding (the caller answers 503). */
  issue(): string | undefined {
    this.#sweep()
    if (this.#issued.size >= this.max) return undefined
    const nonce = randomBytes(24).toString("base64url")
    this.#issued.set(nonce, this.now() + this.ttlMs)
    return nonce
  }

  /** True once for a nonce this store issued less than ttlMs ago; it is gone afterwards. */
  take(nonce: string): boolean {
    const expires = this.#issued.get(nonce)
    this.#issued.delete(nonce)
    return expires !== undefined && expires > this.now()
  }

  #sweep(): void {
    const t = this.now()
    // Insertion order is expiry order: stop at the first live nonce.
    for (const [nonce, expires] of this.#issued) {
      if (expires > t) break
      this.#issued.delete(nonce)
    }
  }
}

export type UpgradeVerdict = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; reason: string }

/** The role a registered key speaks with now, or why it may not connect. */
export function principalFor(root: RootDoc, peer: string, publicKeyHex: string): UpgradeVerdict {
  const record = Object.hasOwn(root.peers, peer) ? root.peers[peer] : undefined
  if (!record) return { ok: false, status: 401, reason: "unknown peer" }
  if (record.publicKey !== publicKeyHex) return { ok: false, status: 401, reason: "key does not match the registration" }
  if (record.role === "relay") return { ok: false, status: 401, reason: "the relay's key does not connect" }
  if (record.state === "revoked") return { ok: false, status: 403, reason: "revoked" }
  // A paired terminal speaks for its operator: never while that operator may not.
  if (record.deviceOf !== undefined && record.state === "approved") {
    const of = Object.hasOwn(root.peers, record.deviceOf) ? root.peers[record.deviceOf] : undefined
    if (!of || of.deviceOf !== undefined) return { ok: false, status: 403, reason: `paired with ${record.deviceOf}, which is no operator here` }
    const operator = principalFor(root, record.deviceOf, of.publicKey)
    if (!operator.ok) return { ok: false, status: 403, reason: `the operator it is paired with (${record.deviceOf}) may not connect: ${operator.reason}` }
    if (operator.principal.role === "pending") return { ok: true, principal: { peer, role: "pending", publicKeyHex } }
  }
  const owner = root.authority?.owner
  const role =
    record.state === "pending" ? "pending" : owner && owner.name === peer && owner.publicKey === publicKeyHex ? "owner" : record.role
  return { ok: true, principal: { peer, role, publicKeyHex } }
}

export interface UpgradeContext {
  workspaceId: string
  challenges: ChallengeStore
  root: () => RootDoc
}

/** Checks the proof an upgrade request carries. Never returns or logs the proof itself. */
export async function authenticateUpgrade(req: IncomingMessage, ctx: UpgradeContext): Promise<UpgradeVerdict> {
  const url = new URL(req.url ?? "/", "http://relay.invalid")
  if (url.searchParams.has("token"))
    return { ok: false, status: 401, reason: "secret in the URL (no longer accepted: connections prove a key)" }
  const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map(s => s.trim())
  if (!offered.includes(RELAY_PROTOCOL)) return { ok: false, status: 401, reason: `no ${RELAY_PROTOCOL} subprotocol` }
  const proof = decodeProofProtocol(offered)
  if (!proof) return { ok: false, status: 401, reason: "no key proof" }
  if (!ctx.challenges.take(proof.nonce)) return { ok: false, status: 401, reason: "unknown, used or expired challenge" }
  const root = ctx.root()
  const record = Object.hasOwn(root.peers, proof.peer) ? root.peers[proof.peer] : undefined
  if (!record) return { ok: false, status: 401, reason: "unknown peer" }
  if (!(await verifyHex(record.publicKey, connectionProofText(ctx.workspaceId, proof.peer, proof.nonce), proof.sig)))
    return { ok: false, status: 401, reason: `bad signature for ${proof.peer}` }
  return principalFor(root, proof.peer, record.publicKey)
}
