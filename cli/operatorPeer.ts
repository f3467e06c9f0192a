/** Peer commands that act as a signed operator: this machine's key (cli/operator.ts), its audit log in the workspace. */
import type { Actor } from "../schemas/index.ts"
import type { NodePeer } from "../src/peer/nodePeer.ts"
import type { AuditLog } from "../src/domain/audit/index.ts"
import { openOwnAuditLog } from "../src/domain/peers/index.ts"
import { withPeer, type ConnectionInput } from "./connection.ts"

export interface OperatorSession {
  peer: NodePeer
  actor: Actor
  audit: AuditLog
  /** Where this operator's identity (key) lives. */
  identityDir: string
}

export async function withOperator<T>(flags: ConnectionInput, fn: (s: OperatorSession) => Promise<T> | T): Promise<T> {
  return withPeer(flags, async (peer, me) => {
    const audit = await openOwnAuditLog(peer.repo, peer.workspace.root, peer.identity)
    const result = await fn({ peer, actor: { kind: "operator", name: peer.identity.name }, audit, identityDir: me.dir })
    await audit.settled()
    return result
  })
}
