/**
 * The HTTP half of joining a relay, for Node peers and the PWA alike: ask for a challenge,
 * enrol a key (a pending registration that the owner or an operator approves), and the two
 * steps of pairing a terminal (src/domain/peers/pairing.ts).
 */
import {
  EnrolmentAnswer,
  enrolmentProofText,
  type EnrolmentRequest,
  PairingClaimAnswer,
  type PairingClaim,
  pairingClaimText,
  type PairingClaimer,
  PairingOffer,
  type PairingRequest,
  pairingRequestText,
} from "../domain/peers/index.ts"
import { signHex } from "../core/signing.ts"

export class RelayRequestError extends Error {
  override readonly name = "RelayRequestError"
  constructor(
    message: string,
    /** The HTTP status, or 0 when the relay could not be reached. */
    readonly status: number,
  ) {
    super(message)
  }
}

/** http(s)://host:port for a ws(s):// relay address (same host, no path or query). */
export function httpBaseOf(wsUrl: string): string {
  const url = new URL(wsUrl)
  url.protocol = url.protocol === "wss:" ? "https:" : "http:"
  return `${url.protocol}//${url.host}`
}

async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch (error) {
    throw new RelayRequestError(`cannot reach the relay at ${new URL(url).origin} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`, 0)
  }
}

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown }
    return typeof body.error === "string" ? body.error : `HTTP ${res.status}`
  } catch {
    return `HTTP ${res.status}`
  }
}

/** A single-use nonce from the relay (valid for a minute). */
export async function fetchChallenge(httpBase: string): Promise<string> {
  const res = await request(`${httpBase}/api/challenge`)
  if (!res.ok) throw new RelayRequestError(`the relay refused a challenge: ${await errorText(res)}`, res.status)
  const body = (await res.json()) as { nonce?: unknown }
  if (typeof body.nonce !== "string") throw new RelayRequestError("the relay sent no challenge nonce", res.status)
  return body.nonce
}

export interface Enrollee {
  name: string
  role: "worker" | "operator" | "mirror"
  publicKeyHex: string
  key: CryptoKey
}

export type EnrolmentProfile = Partial<Pick<EnrolmentRequest, "displayName" | "hasLlmKey" | "concurrency" | "identities">>

/**
 * Registers `who`'s key under its name (pending until approved), or answers the existing
 * registration of the same key. Another key under the name answers 409.
 */
export async function enrolKey(
  httpBase: string,
  token: string,
  workspaceId: string,
  who: Enrollee,
  profile: EnrolmentProfile = {},
): Promise<EnrolmentAnswer> {
  const nonce = await fetchChallenge(httpBase)
  const sig = await signHex(who.key, enrolmentProofText(workspaceId, who.name, who.role, who.publicKeyHex, nonce))
  const body: EnrolmentRequest = { name: who.name, role: who.role, publicKey: who.publicKeyHex, ...profile, nonce, sig }
  return post(`${httpBase}/api/enrol`, token, body, EnrolmentAnswer, "enrolment")
}

/** POSTs JSON with the join secret; the relay's error, or an answer that fails `schema`, throws. */
async function post<T>(url: string, token: string, body: unknown, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, what: string): Promise<T> {
  const res = await request(url, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new RelayRequestError(await errorText(res), res.status)
  const parsed = schema.safeParse(await res.json().catch(() => undefined))
  if (!parsed.success) throw new RelayRequestError(`the relay sent an unexpected ${what} answer`, res.status)
  return parsed.data
}

/** A pending terminal asks for a pairing code, proving the key registered under `who.name`. */
export async function requestPairingCode(httpBase: string, token: string, workspaceId: string, who: Pick<Enrollee, "name" | "key">): Promise<PairingOffer> {
  const nonce = await fetchChallenge(httpBase)
  const body: PairingRequest = { device: who.name, nonce, sig: await signHex(who.key, pairingRequestText(workspaceId, who.name, nonce)) }
  return post(`${httpBase}/api/pair`, token, body, PairingOffer, "pairing")
}

/** The claim of a pairing code by operator `who` (what the control panel's Pair card and tests pass to confirmPairing). */
export function pairingClaimer(httpBase: string, token: string, workspaceId: string, who: Pick<Enrollee, "name" | "key">): PairingClaimer {
  return async code => {
    const nonce = await fetchChallenge(httpBase)
    const body: PairingClaim = { operator: who.name, code, nonce, sig: await signHex(who.key, pairingClaimText(workspaceId, who.name, code, nonce)) }
    return post(`${httpBase}/api/pair/claim`, token, body, PairingClaimAnswer, "pairing")
  }
}
