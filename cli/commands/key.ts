/**
 * `vivarium key rotate`: replaces this operator's key, signed by the old one; the owner can
 * rotate another peer's key (`--peer NAME --public-key HEX`, for a peer that lost its key).
 */
import { z } from "zod"
import { PeerName, PublicKeyHex } from "../../schemas/index.ts"
import { generateSigningKey } from "../../src/core/signing.ts"
import { saveIdentity } from "../../src/peer/peerIdentity.ts"
import { KeyRotationError, rotateKey } from "../../src/domain/peers/index.ts"
import { parseFlags } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"

const FLAGS = { ...CONNECTION_FLAGS, peer: { type: "string" }, "public-key": { type: "string" } } as const
const Input = ConnectionInput.extend({ peer: PeerName.optional(), "public-key": PublicKeyHex.optional() })

async function rotate(argv: string[]): Promise<number> {
  const flags = parseFlags("key rotate", argv, FLAGS, Input)
  const other = flags.peer
  if (other && !flags["public-key"]) throw new CliError("key rotate: --peer needs --public-key HEX (the new public key that peer generated)", 2)
  if (!other && flags["public-key"]) throw new CliError("key rotate: --public-key goes with --peer (your own new key is generated here)", 2)
  const message = await withOperator(flags, async ({ peer, actor, audit, identityDir }) => {
    try {
      if (other) {
        await rotateKey(peer.workspace, audit.signer, other, flags["public-key"]!)
        await audit.append("peer_decision", other, { rotatedKey: flags["public-key"] })
        return `${other}'s key rotated to ${flags["public-key"]!.slice(0, 12)}…`
      }
      const pair = await generateSigningKey()
      await rotateKey(peer.workspace, audit.signer, actor.name, pair.publicKeyHex)
      // The new key is kept only once the relay holds the rotation its old key signed.
      await peer.flushToRelay()
      await saveIdentity(identityDir, actor.name, "operator", pair)
      return `your key is rotated: ${pair.publicKeyHex.slice(0, 12)}… (the old key no longer signs for ${actor.name})`
    } catch (error) {
      if (error instanceof KeyRotationError) throw new CliError(`key rotate: ${error.message}`, 1)
      throw error
    }
  })
  console.log(message)
  return 0
}

export async function runKeyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== "rotate") throw new CliError(`key: unknown subcommand '${sub ?? ""}' (expected rotate)`, 2)
  return rotate(rest)
}
