/**
 * Pairing codes (src/domain/peers/pairing.ts): a pending terminal asks for one, an approved
 * operator claims it. Codes live in memory only (a relay restart forgets them: the terminal
 * asks again), are single use, expire after PAIRING_TTL_MS, one per terminal. Asking is
 * limited per relay; tries are limited per operator, so guessing a code is hopeless (about
 * 40 bits, a handful of tries a minute) and one operator's typos lock out nobody else.
 */
import { randomBytes } from "node:crypto"
import type { PeerRecord, RootDoc } from "../schemas/index.ts"
import {
  formatPairingCode,
  PAIRING_TTL_MS,
  PairingClaim,
  pairingClaimText,
  PairingCode,
  pairingCodeFrom,
  type PairingClaimAnswer,
  type PairingOffer,
  PairingRequest,
  pairingRequestText,
} from "../src/domain/peers/index.ts"
import { verifyHex } from "../src/core/signing.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { RateLimiter } from "../worker/rateLimit.ts"
import type { ChallengeStore } from "./transport/connectionAuth.ts"
import { principalFor } from "./transport/connectionAuth.ts"

interface Issued {
  device: string
  publicKey: string
  expiresAt: number
}

/** Outstanding codes: at most one per terminal, at most `max` in all. */
export class PairingCodes {
  readonly #byCode = new Map<string, Issued>()
  constructor(
    readonly now: () => number = Date.now,
    readonly ttlMs = PAIRING_TTL_MS,
    readonly max = 1_000,
  ) {}

  /** A new code for `device` (its earlier one stops working); undefined when too many are outstanding. */
  issue(device: string, publicKey: string): PairingOffer | undefined {
    const t = this.now()
    for (const [code, issued] of this.#byCode) if (issued.device === device || issued.expiresAt <= t) this.#byCode.delete(code)
    if (this.#byCode.size >= this.max) return undefined
    let code: string
    do code = pairingCodeFrom(n => randomBytes(n))
    while (this.#byCode.has(code))
    this.#byCode.set(code, { device, publicKey, expiresAt: t + this.ttlMs })
    return { code, expiresInMs: this.ttlMs }
  }

  /** The terminal behind `code`, once; "expired" for a code past its time (also gone then). */
  take(code: string): Issued | "expired" | undefined {
    const issued = this.#byCode.get(code)
    this.#byCode.delete(code)
    if (!issued) return undefined
    return issued.expiresAt > this.now() ? issued : "expired"
  }
}

export interface PairingContext {
  workspace: Workspace
  workspaceId: string
  challenges: ChallengeStore
  codes: PairingCodes
  /** New codes a minute, for the whole relay. */
  requests: RateLimiter
  /** Codes tried a minute, per operator. */
  tries: (operator: string) => RateLimiter
  /** Notes a claim in the relay's audit log. */
  audit?: (device: string, operator: string) => void
}

export type PairingResult<T> = { status: 200; answer: T } | { status: 400 | 401 | 403 | 404 | 409 | 410 | 429 | 503; error: string }

const record = (root: RootDoc, name: string) => (Object.hasOwn(root.peers, name) ? root.peers[name] : undefined)

/** Why a registration cannot be paired now, or undefined when it can. */
function notPairable(root: RootDoc, device: string): string | undefined {
  const r = record(root, device)
  if (!r) return `${device} is not registered: enrol first (vivarium pair does)`
  if (r.role !== "operator") return `${device} is a ${r.role}, not a terminal`
  if (root.authority?.owner.name === device) return `${device} is the workspace owner`
  if (r.deviceOf !== undefined) return `${device} is already paired with ${r.deviceOf}`
  if (r.state !== "pending" || r.decisions?.length) return `${device} is already ${r.state}: only a new, undecided key is paired`
  return undefined
}

type Signed = { nonce: string; sig: string }
interface Proof<T extends Signed> {
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }
  what: string
  /** Whose registered key must have signed. */
  signer: (req: T) => string
  text: (req: T) => string
}

/** The request in `body`, once its challenge is taken and the signer's registered key proves it; else the error to answer. */
async function proven<T extends Signed>(body: unknown, ctx: PairingContext, proof: Proof<T>): Promise<{ req: T; signer: PeerRecord } | { error: PairingResult<never> }> {
  const parsed = proof.schema.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { error: { status: 400, error: `${proof.what}: ${issue?.path.map(String).join(".") || "body"}: ${issue?.message ?? "invalid"}` } }
  }
  const req = parsed.data
  if (!ctx.challenges.take(req.nonce)) return { error: { status: 401, error: "unknown, used or expired challenge: ask GET /api/challenge again" } }
  const name = proof.signer(req)
  const signer = record(ctx.workspace.root, name)
  if (!signer || !(await verifyHex(signer.publicKey, proof.text(req), req.sig))) return { error: { status: 401, error: `the signature does not prove the key registered as ${name}` } }
  return { req, signer }
}

/** `POST /api/pair`: a pending terminal, proving its key, gets a code. */
export async function requestPairingCode(body: unknown, ctx: PairingContext): Promise<PairingResult<PairingOffer>> {
  const checked = await proven(body, ctx, { schema: PairingRequest, what: "pairing request", signer: r => r.device, text: r => pairingRequestText(ctx.workspaceId, r.device, r.nonce) })
  if ("error" in checked) return checked.error
  const { req, signer: r } = checked
  const root = ctx.workspace.root
  const why = notPairable(root, req.device)
  if (why) return { status: 409, error: why }
  if (!ctx.requests.tryTake().ok) return { status: 429, error: "too many pairing codes asked for; try again in a minute" }
  const offer = ctx.codes.issue(req.device, r.publicKey)
  if (!offer) return { status: 503, error: "too many pairing codes outstanding; try again in a few minutes" }
  return { status: 200, answer: offer }
}

/**
 * `POST /api/pair/claim`: an approved operator (no device itself), proving its key, claims a
 * code. The relay then writes the terminal's `deviceOf`; the operator signs the approval.
 */
export async function claimPairingCode(body: unknown, ctx: PairingContext): Promise<PairingResult<PairingClaimAnswer>> {
  const checked = await proven(body, ctx, { schema: PairingClaim, what: "pairing claim", signer: r => r.operator, text: r => pairingClaimText(ctx.workspaceId, r.operator, r.code, r.nonce) })
  if ("error" in checked) return checked.error
  const { req, signer: operator } = checked
  const root = ctx.workspace.root
  const who = principalFor(root, req.operator, operator.publicKey)
  if (!who.ok || (who.principal.role !== "operator" && who.principal.role !== "owner"))
    return { status: 403, error: `${req.operator} is not an approved operator: only approved operators pair terminals` }
  if (operator.deviceOf !== undefined) return { status: 403, error: "a paired terminal cannot pair others: confirm the code in the control panel" }
  const code = PairingCode.safeParse(req.code)
  if (!code.success) return { status: 400, error: code.error.issues[0]!.message }
  // Every try counts, before the look-up: a burst of guesses is cut off however it goes.
  if (!ctx.tries(req.operator).tryTake().ok) return { status: 429, error: "too many pairing codes tried; wait a minute and check the code the terminal shows" }
  const issued = ctx.codes.take(code.data)
  if (issued === undefined) return { status: 404, error: `no terminal is waiting with the code ${formatPairingCode(code.data)}: check it, or run \`vivarium pair\` again for a new one` }
  if (issued === "expired") return { status: 410, error: `the code ${formatPairingCode(code.data)} expired (codes last ${Math.round(ctx.codes.ttlMs / 60_000)} minutes): run \`vivarium pair\` again for a new one` }
  const why = notPairable(ctx.workspace.root, issued.device)
  if (why) return { status: 409, error: why }
  if (record(ctx.workspace.root, issued.device)!.publicKey !== issued.publicKey) return { status: 409, error: `${issued.device}'s key changed since it asked for the code` }
  ctx.workspace.rootHandle.change((d: RootDoc) => {
    d.peers[issued.device]!.deviceOf = req.operator
  })
  ctx.audit?.(issued.device, req.operator)
  return { status: 200, answer: { device: issued.device, publicKey: issued.publicKey } }
}
