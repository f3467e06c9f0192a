/**
 * A peer's registration in the workspace root: name, role, public key and audit
 * document. Shared by Node peers (key on disk) and the PWA (key in IndexedDB).
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
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

export class AuditLogUnavailableError extends Error {
  override readonly name = "AuditLogUnavailableError"
  constructor(peer: string, url: string, cause: Error) {
    super(`the audit log of ${peer} (${url}) is neither stored here nor available from the relay: ${cause.message}`)
  }
}

/**
 * Registers the peer in `root.peers` (or finds its earlier registration) and returns its
 * audit log. A new worker starts `pending`; operators and the relay start `approved`.
 */
export async function registerPeer(repo: Repo, ws: Workspace, id: PeerIdentity, state: ApprovalState, now = Date.now(), findTimeoutMs = 15_000): Promise<AuditLog> {
  const existing = ws.root.peers[id.name]
  const actor = { kind: id.role === "relay" ? ("system" as const) : id.role, name: id.name }
  if (existing) {
    if (existing.publicKey !== id.publicKeyHex) throw new PeerNameTakenError(id.name)
    let handle: DocHandle<AuditDoc>
    try {
      handle = await repo.find<AuditDoc>(existing.auditUrl as AutomergeUrl, { signal: AbortSignal.timeout(findTimeoutMs) })
    } catch (error) {
      throw new AuditLogUnavailableError(id.name, existing.auditUrl, error as Error)
    }
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
