/** A Node peer's signing identity on disk (private key only there, mode 0600). */
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { z } from "zod"
import { PeerName, PeerRole, PublicKeyHex } from "../../schemas/index.ts"
import { generateSigningKey, importPrivateKey, type SigningKeyPair } from "../core/signing.ts"
import type { PeerIdentity } from "../domain/peers/index.ts"
import { createFileExclusive, writeFileAtomic } from "./files.ts"

const IdentityFile = z.object({
  name: PeerName,
  role: PeerRole,
  publicKeyHex: PublicKeyHex,
  privateKeyPkcs8: z.string().min(10),
})

async function readIdentity(path: string): Promise<PeerIdentity> {
  const file = IdentityFile.parse(JSON.parse(readFileSync(path, "utf8")))
  const key = await importPrivateKey(Buffer.from(file.privateKeyPkcs8, "base64"))
  return { name: file.name, role: file.role, publicKeyHex: file.publicKeyHex, key }
}

/** The identity kept in `dir`, or undefined when there is none (never creates one). */
export async function loadIdentity(dir: string): Promise<PeerIdentity | undefined> {
  const path = join(dir, "identity.json")
  return existsSync(path) ? readIdentity(path) : undefined
}

/**
 * Loads `dir/identity.json`, creating a new Ed25519 key pair on first start. Two processes
 * starting at once (two CLI commands on a fresh machine) end up with the same key.
 */
export async function loadOrCreateIdentity(dir: string, name: string, role: PeerIdentity["role"]): Promise<PeerIdentity> {
  const path = join(dir, "identity.json")
  if (existsSync(path)) return readIdentity(path)
  const pair = await generateSigningKey()
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (!createFileExclusive(path, identityFileText(name, role, pair), 0o600)) return readIdentity(path)
  return { name, role, publicKeyHex: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

/** Writes `pair` as the identity in `dir` (replacing any earlier key: after a signed rotation). */
export async function saveIdentity(dir: string, name: string, role: PeerIdentity["role"], pair: SigningKeyPair): Promise<PeerIdentity> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileAtomic(join(dir, "identity.json"), identityFileText(name, role, pair), 0o600)
  return { name, role, publicKeyHex: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

function identityFileText(name: string, role: PeerIdentity["role"], pair: SigningKeyPair): string {
  const file = { name, role, publicKeyHex: pair.publicKeyHex, privateKeyPkcs8: Buffer.from(pair.privateKeyPkcs8).toString("base64") }
  return JSON.stringify(file, null, 2) + "\n"
}
