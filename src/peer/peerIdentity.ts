/**
 * A peer's signing identity on disk (private key only there, mode 0600) and its
 * registration in the workspace root: name, role, public key, audit document.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo"
import { z } from "zod"
import { PeerName, PeerRole, PublicKeyHex, type ApprovalState, type AuditDoc, type RootDoc } from "../../schemas/index.ts"
import { generateSigningKey, importPrivateKey } from "../core/signing.ts"
import { AuditLog } from "../workspace/auditLog.ts"
import type { Workspace } from "../workspace/workspace.ts"
import { writeFileAtomic } from "./files.ts"

const IdentityFile = z.object({
  name: PeerName,
  role: PeerRole,
  publicKeyHex: PublicKeyHex,
  privateKeyPkcs8: z.string().min(10),
})

export interface PeerIdentity {
  name: string
  role: z.infer<typeof PeerRole>
  publicKeyHex: string
  key: CryptoKey
}

export class PeerNameTakenError extends Error {
  override readonly name = "PeerNameTakenError"
  constructor(readonly peer: string) {
    super(`the name ${peer} is registered with another key in this workspace; choose another name (--name)`)
  }
}

/** Loads `dir/identity.json`, creating a new Ed25519 key pair on first start. */
export async function loadOrCreateIdentity(dir: string, name: string, role: PeerIdentity["role"]): Promise<PeerIdentity> {
  const path = join(dir, "identity.json")
  if (existsSync(path)) {
    const file = IdentityFile.parse(JSON.parse(readFileSync(path, "utf8")))
    const key = await importPrivateKey(Buffer.from(file.privateKeyPkcs8, "base64"))
    return { name: file.name, role: file.role, publicKeyHex: file.publicKeyHex, key }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const pair = await generateSigningKey()
  const file = { name, role, publicKeyHex: pair.publicKeyHex, privateKeyPkcs8: Buffer.from(pair.privateKeyPkcs8).toString("base64") }
  writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n", 0o600)
  return { name, role, publicKeyHex: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

/**
 * Registers the peer in `root.peers` (or finds its earlier registration) and returns its
 * audit log. A new worker starts `pending`; operators and the relay start `approved`.
 */
export async function registerPeer(repo: Repo, ws: Workspace, id: PeerIdentity, state: ApprovalState, now = Date.now()): Promise<AuditLog> {
  const existing = ws.root.peers[id.name]
  const actor = { kind: id.role === "relay" ? ("system" as const) : id.role, name: id.name }
  if (existing) {
    if (existing.publicKey !== id.publicKeyHex) throw new PeerNameTakenError(id.name)
    const handle = await repo.find<AuditDoc>(existing.auditUrl as AutomergeUrl)
    return new AuditLog(handle, { actor, key: id.key })
  }
  const handle = AuditLog.createAuditDoc(repo, id.name)
  ws.rootHandle.change((d: RootDoc) => {
    d.peers[id.name] = {
      name: id.name,
      role: id.role,
      publicKey: id.publicKeyHex,
      state,
      registeredAt: now,
      auditUrl: handle.url,
      lastSeen: now,
    }
  })
  return new AuditLog(handle, { actor, key: id.key })
}
