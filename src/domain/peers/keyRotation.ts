/**
 * Replacing a peer's key: a rotation record signed by the old key (the peer itself) or by
 * the owner (a peer that lost its key), appended to the peer's record. Readers follow the
 * signed rotations (src/core/authorityChain.ts); the record's `publicKey` becomes the new key.
 */
import { MAX_KEY_ROTATIONS, PublicKeyHex, type KeyRotation, type RootDoc } from "../../../schemas/index.ts"
import { keyRotationText, signRecord, type RecordSigner } from "../../core/signedRecords.ts"
import type { Workspace } from "../../workspace/workspace.ts"

export class KeyRotationError extends Error {
  override readonly name = "KeyRotationError"
}

export async function rotateKey(ws: Workspace, signer: RecordSigner, peer: string, newPublicKey: string, now = Date.now()): Promise<KeyRotation> {
  const record = ws.root.peers[peer]
  if (!record) throw new KeyRotationError(`no peer named ${peer} in this workspace`)
  if (!PublicKeyHex.safeParse(newPublicKey).success) throw new KeyRotationError("the new key must be a raw Ed25519 public key, 64 hex characters")
  if (newPublicKey === record.publicKey) throw new KeyRotationError(`${peer} already uses that key`)
  const by = signer.actor.name
  if (by !== peer && ws.authority.keyFor(by, ["owner"], now) === undefined)
    throw new KeyRotationError(`only ${peer} itself (with its current key) or the workspace's owner can rotate ${peer}'s key`)
  if ((record.rotations?.length ?? 0) >= MAX_KEY_ROTATIONS)
    throw new KeyRotationError(`${peer}'s key was rotated ${MAX_KEY_ROTATIONS} times already: register the peer under a new name instead`)
  const rotation = { from: record.publicKey, to: newPublicKey, by, at: now }
  const signed: KeyRotation = { ...rotation, sig: await signRecord(signer, keyRotationText({ peer, ...rotation })) }
  ws.rootHandle.change((d: RootDoc) => {
    const p = d.peers[peer]!
    p.rotations ??= []
    p.rotations.push(signed)
    p.publicKey = newPublicKey
  })
  await ws.verified()
  return signed
}
