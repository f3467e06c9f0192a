/**
 * A peer's registration in the workspace root: name, role, public key and audit
 * document. Shared by Node peers (key on disk) and the PWA (key in IndexedDB).
 */
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo/slim"
import type { ApprovalState, AuditDoc, PeerRecord, RootDoc } from "../../schemas/index.ts"
import { AuditLog } from "./auditLog.ts"
import type { Workspace } from "./workspace.ts"

export interface PeerIdentity {
  name: string
  role: PeerRecord["role"]
  publicKeyHex: string
  /** Private signing key; never written to a document. */
  key: CryptoKey
}

export class PeerNameTakenError extends Error {
  override readonly name = "PeerNameTakenError"
  constructor(readonly peer: string) {
    super(`the name ${peer} is registered with another key in this workspace; choose another name (--name)`)
  }
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
