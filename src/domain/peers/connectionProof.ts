/**
 * Proving possession of a peer key to the relay: the canonical texts a peer signs for a
 * connection and for its enrolment, and the `Sec-WebSocket-Protocol` entry that carries a
 * connection proof (browsers cannot set other headers on a WebSocket). Pure; runs in Node
 * and in the browser.
 */
import { z } from "zod"
import { PeerName } from "../../../schemas/common.ts"
import { PeerRecord } from "../../../schemas/root.ts"
import { PROOF_PROTOCOL_PREFIX } from "../../../schemas/wire.ts"

/** A challenge nonce: base64url, as the relay issues it. */
export const Nonce = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "expected a relay challenge nonce")
export const SignatureHex = z.string().regex(/^[0-9a-f]{128}$/, "expected a 64-byte hex Ed25519 signature")

export const ConnectionProof = z.object({ peer: PeerName, nonce: Nonce, sig: SignatureHex }).strict()
export type ConnectionProof = z.infer<typeof ConnectionProof>

/** What a peer signs to open a connection: bound to this workspace, this name and this challenge. */
export function connectionProofText(workspaceId: string, peer: string, nonce: string): string {
  return ["vivarium-connect/1", workspaceId, peer, nonce].join("\n")
}

/** What a peer signs to enrol its key under a name and role. */
export function enrolmentProofText(workspaceId: string, peer: string, role: string, publicKeyHex: string, nonce: string): string {
  return ["vivarium-enrol/1", workspaceId, peer, role, publicKeyHex, nonce].join("\n")
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let bin = ""
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

function fromBase64Url(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/")
  try {
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4))
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, c => c.charCodeAt(0)))
  } catch {
    return undefined
  }
}

/** The subprotocol entry `vv-auth.<base64url JSON>` (only token characters, as the header needs). */
export function encodeProofProtocol(proof: ConnectionProof): string {
  return PROOF_PROTOCOL_PREFIX + toBase64Url(JSON.stringify(proof))
}

/** The proof in a list of offered subprotocols, or undefined when there is none or it is malformed. */
export function decodeProofProtocol(protocols: Iterable<string>): ConnectionProof | undefined {
  for (const entry of protocols) {
    if (!entry.startsWith(PROOF_PROTOCOL_PREFIX) || entry.length > 1_000) continue
    const json = fromBase64Url(entry.slice(PROOF_PROTOCOL_PREFIX.length))
    if (json === undefined) return undefined
    try {
      const parsed = ConnectionProof.safeParse(JSON.parse(json))
      return parsed.success ? parsed.data : undefined
    } catch {
      return undefined
    }
  }
  return undefined
}

/** The enrolment request body (`POST /api/enrol`), checked by the relay. */
export const EnrolmentRequest = PeerRecord.pick({ name: true, publicKey: true, displayName: true, hasLlmKey: true, concurrency: true, identities: true })
  .extend({ role: z.enum(["worker", "operator", "mirror"]), nonce: Nonce, sig: SignatureHex })
  .strict()
export type EnrolmentRequest = z.infer<typeof EnrolmentRequest>

/** The relay's answer to an enrolment: the record's state and where the peer's audit log is. */
export const EnrolmentAnswer = PeerRecord.pick({ name: true, role: true, state: true, auditUrl: true })
export type EnrolmentAnswer = z.infer<typeof EnrolmentAnswer>
