/**
 * `vivarium pair`: makes this terminal act as an operator. It enrols a key of its own, asks
 * the relay for a short pairing code and shows it (with a link and a QR code of it); the
 * operator confirms it in the control panel (Settings → Pair a terminal), which signs the
 * terminal's approval with the operator's key. Waits for that, then says whom it acts as.
 */
import QRCode from "qrcode"
import { z } from "zod"
import { generateSigningKey } from "../../src/core/signing.ts"
import { displayNameOf, formatPairingCode, type PeerIdentity } from "../../src/domain/peers/index.ts"
import { httpBaseOf, RelayRequestError, requestPairingCode } from "../../src/peer/enrolClient.ts"
import { connectRelay, enrolIdentity, RelayError } from "../../src/peer/nodePeer.ts"
import { loadIdentity, saveIdentity } from "../../src/peer/peerIdentity.ts"
import { parseFlags } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, resolveConnection } from "../connection.ts"
import { CliError } from "../errors.ts"
import { newTerminalName, ownerIdentityIn, terminalIdentityDir, workspaceAt } from "../operator.ts"

const FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
const Input = ConnectionInput.extend({ json: z.boolean() })

/** The link an operator opens to confirm a code: the panel's Settings with the code filled in (no secret in it). */
export function pairingLink(relay: string, code: string): string {
  return `${httpBaseOf(relay)}/settings#pair=${formatPairingCode(code)}`
}

/** Runs a step against the relay; its failure is one line. */
async function relayStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    if (error instanceof RelayError || error instanceof RelayRequestError) throw new CliError(`pair: ${error.message}`, 1)
    throw error
  }
}

/**
 * This terminal's key for the workspace, enrolled (pending until paired): the one it has, or
 * a new one when it has none or its old one was revoked.
 */
async function terminalKey(relay: string, token: string, workspaceId: string): Promise<PeerIdentity> {
  const dir = terminalIdentityDir(workspaceId)
  const known = await loadIdentity(dir)
  if (known && (await relayStep(() => enrolIdentity(relay, token, workspaceId, known))).state !== "revoked") return known
  return saveIdentity(dir, newTerminalName(), "operator", await generateSigningKey())
}

export async function runPair(argv: string[]): Promise<number> {
  const flags = parseFlags("pair", argv, FLAGS, Input)
  const { relay, token, dataDir } = resolveConnection(flags)
  const workspace = await workspaceAt(relay, token)
  const say = (human: string, json: Record<string, unknown>) => console.log(flags.json ? JSON.stringify(json) : human)
  if (await ownerIdentityIn(dataDir, workspace.workspaceId)) {
    say(`No pairing needed: next to the relay's data directory (${dataDir}) the CLI acts as the workspace owner.`, { paired: true, as: "owner" })
    return 0
  }
  const identity = await terminalKey(relay, token, workspace.workspaceId)
  const connection = await relayStep(() => connectRelay({ relay, token, identity, connectTimeoutMs: 10_000 }))
  try {
    const paired = () => {
      const root = connection.rootHandle.doc()
      return { operator: displayNameOf(root, identity.name), terminal: identity.name }
    }
    if (connection.state() === "approved") {
      const { operator, terminal } = paired()
      say(`This terminal is already paired: it acts as ${operator} (terminal ${terminal}).`, { paired: true, as: "terminal", operator, terminal })
      return 0
    }
    const offer = await relayStep(() => requestPairingCode(httpBaseOf(relay), token, workspace.workspaceId, identity))
    const code = formatPairingCode(offer.code)
    const link = pairingLink(relay, offer.code)
    const deadline = Date.now() + offer.expiresInMs
    const minutes = Math.max(1, Math.round(offer.expiresInMs / 60_000))
    if (flags.json) say("", { code, link, expiresInMs: offer.expiresInMs, terminal: identity.name })
    else {
      const lines = [
        `Pair this terminal with your operator in the control panel of "${workspace.name}":`,
        `  code:  ${code}   (valid ${minutes} minutes, once)`,
        `  open:  ${link}`,
        `         or go to Settings → Pair a terminal and type the code.`,
      ]
      if (process.stdout.isTTY) lines.push(await QRCode.toString(link, { type: "terminal", small: true }))
      lines.push("Waiting for you to confirm it… (Ctrl+C stops)")
      console.log(lines.join("\n"))
    }
    try {
      // A moment past the code's end: a confirmation made at its last second still arrives.
      await connection.whenApproved(AbortSignal.timeout(Math.max(0, deadline - Date.now()) + 2_000))
    } catch (error) {
      if (error instanceof RelayError) throw new CliError(`pair: ${error.message}`, 1)
      throw new CliError(`pair: the code ${code} expired before anyone confirmed it: run \`vivarium pair\` again for a new one`, 1)
    }
    const { operator, terminal } = paired()
    say(`Paired: this terminal now acts as ${operator} (terminal ${terminal}).`, { paired: true, as: "terminal", operator, terminal })
    return 0
  } finally {
    await connection.close()
  }
}
