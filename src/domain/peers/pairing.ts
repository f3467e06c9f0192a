/**
 * Pairing a terminal with an operator. The terminal (`vivarium pair`) enrols a key of its
 * own as a pending operator and asks the relay for a short code; the operator types that code
 * in the control panel, whose key claims it at the relay (single use, short-lived, rate
 * limited); the relay writes `deviceOf` into the terminal's registration, and the operator's
 * key signs its approval. From then on the terminal acts with that operator's authority and
 * shows under that operator's name. Pure apart from the claim the caller passes in.
 */
import { z } from "zod"
import { PeerName, PublicKeyHex } from "../../../schemas/common.ts"
import { OperatorActionError, type OperatorContext } from "../../workspace/actionContext.ts"
import { decidePeer } from "./actions.ts"
import { Nonce, SignatureHex } from "./connectionProof.ts"

/** How long a pairing code is good for. */
export const PAIRING_TTL_MS = 5 * 60_000

/** No 0/O, 1/I/L: a code read aloud or off a screen is typed right. 31 symbols, 8 of them: about 40 bits. */
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
const CODE_LENGTH = 8

/** A code as people see it: `ABCD-EFGH`. */
export function formatPairingCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

/** A fresh code from `random` bytes (one byte per symbol, rejection-sampled so every symbol is as likely). */
export function pairingCodeFrom(randomBytes: (n: number) => Uint8Array): string {
  let code = ""
  while (code.length < CODE_LENGTH) {
    for (const byte of randomBytes(CODE_LENGTH * 2)) {
      if (byte >= ALPHABET.length * Math.floor(256 / ALPHABET.length)) continue
      code += ALPHABET[byte % ALPHABET.length]
      if (code.length === CODE_LENGTH) break
    }
  }
  return code
}

/** A code as typed (any case, with or without the dash and spaces); the message says what is wrong. */
export const PairingCode = z
  .string()
  .transform(text => text.toUpperCase().replace(/[\s-]+/g, ""))
  .pipe(
    z
      .string()
      .min(1, "enter the pairing code the terminal printed (vivarium pair)")
      .length(CODE_LENGTH, `a pairing code has ${CODE_LENGTH} letters and digits, like ABCD-EF23`)
      .regex(new RegExp(`^[${ALPHABET}]+$`), "a pairing code has only letters and the digits 2–9 (no 0, 1, I, L or O)"),
  )

/** What the terminal signs to ask for a code: this workspace, its registered name, a fresh challenge. */
export function pairingRequestText(workspaceId: string, device: string, nonce: string): string {
  return ["vivarium-pair-request/1", workspaceId, device, nonce].join("\n")
}

/** What the operator's key signs to claim a code. */
export function pairingClaimText(workspaceId: string, operator: string, code: string, nonce: string): string {
  return ["vivarium-pair-claim/1", workspaceId, operator, code, nonce].join("\n")
}

/** `POST /api/pair`: a pending terminal asks for a code. */
export const PairingRequest = z.object({ device: PeerName, nonce: Nonce, sig: SignatureHex }).strict()
export type PairingRequest = z.infer<typeof PairingRequest>

/** A code and how long it is good for (relative: the terminal's clock need not agree with the relay's). */
export const PairingOffer = z.object({ code: z.string().length(CODE_LENGTH), expiresInMs: z.number().int().positive() })
export type PairingOffer = z.infer<typeof PairingOffer>

/** `POST /api/pair/claim`: an operator claims a code with its key. */
export const PairingClaim = z.object({ operator: PeerName, code: z.string().max(40), nonce: Nonce, sig: SignatureHex }).strict()
export type PairingClaim = z.infer<typeof PairingClaim>

/** The terminal the code belonged to, now marked as the claiming operator's device. */
export const PairingClaimAnswer = z.object({ device: PeerName, publicKey: PublicKeyHex })
export type PairingClaimAnswer = z.infer<typeof PairingClaimAnswer>

/** Claims a code at the relay as this operator (HTTP, src/peer/enrolClient.ts); throws with the relay's reason. */
export type PairingClaimer = (code: string) => Promise<PairingClaimAnswer>

/** Resolves once this replica's root shows `device` as `operator`'s device (the relay wrote it on the claim). */
function whenDeviceShown(ctx: OperatorContext, device: string, operator: string, timeoutMs: number): Promise<void> {
  const shown = () => ctx.workspace.root.peers[device]?.deviceOf === operator
  if (shown()) return Promise.resolve()
  const root = ctx.workspace.rootHandle
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!shown()) return
      stop()
      resolve()
    }
    const timer = setTimeout(() => {
      stop()
      reject(new OperatorActionError("pairing_not_arrived", { device }))
    }, timeoutMs)
    const stop = () => {
      clearTimeout(timer)
      root.off("change", check)
    }
    root.on("change", check)
  })
}

/**
 * Pairs the terminal that printed `code` with the operator acting here: claims the code,
 * waits for the relay's registration of the terminal as this operator's device, and signs its
 * approval (audited). Answers the terminal's name.
 */
export async function confirmPairing(ctx: OperatorContext, code: string, claim: PairingClaimer, timeoutMs = 15_000): Promise<string> {
  const parsed = PairingCode.safeParse(code)
  if (!parsed.success) throw new OperatorActionError("invalid_input", { problems: [parsed.error.issues[0]!.message] })
  const me = ctx.actor.name
  if (ctx.workspace.root.peers[me]?.deviceOf !== undefined) throw new OperatorActionError("pairing_by_terminal")
  const { device, publicKey } = await claim(parsed.data)
  await whenDeviceShown(ctx, device, me, timeoutMs)
  const record = ctx.workspace.root.peers[device]!
  if (record.publicKey !== publicKey) throw new OperatorActionError("pairing_key_mismatch", { device })
  await decidePeer(ctx, device, "approved", "operator")
  return device
}

/** The terminals paired with `operator` (any state), newest first. */
export function devicesOf(root: { peers: Record<string, { deviceOf?: string; registeredAt: number }> }, operator: string): string[] {
  return Object.entries(root.peers)
    .filter(([, p]) => p.deviceOf === operator)
    .sort(([, a], [, b]) => b.registeredAt - a.registeredAt)
    .map(([name]) => name)
}
