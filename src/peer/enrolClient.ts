/**
 * The HTTP half of joining a relay, for Node peers and the PWA alike: ask for a challenge,
 * and enrol a key (a pending registration that the owner or an operator approves).
 */
import { EnrolmentAnswer, enrolmentProofText, type EnrolmentRequest } from "../domain/peers/index.ts"
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
  role: "worker" | "operator"
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
  const res = await request(`${httpBase}/api/enrol`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new RelayRequestError(await errorText(res), res.status)
  const parsed = EnrolmentAnswer.safeParse(await res.json())
  if (!parsed.success) throw new RelayRequestError("the relay sent an unexpected enrolment answer", res.status)
  return parsed.data
}
