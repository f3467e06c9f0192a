/** Peer commands that act as a signed operator: identity under VIVARIUM_HOME, audit log in the workspace. */
import { join } from "node:path"
import type { Actor } from "../schemas/index.ts"
import type { NodePeer } from "../src/peer/nodePeer.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { PeerNameTakenError, registerPeer } from "../src/workspace/registerPeer.ts"
import type { AuditLog } from "../src/workspace/auditLog.ts"
import { operatorHome, withPeer, type ConnectionInput } from "./connection.ts"
import { CliError } from "./errors.ts"
import { operatorActor } from "./operator.ts"

export interface OperatorSession {
  peer: NodePeer
  actor: Actor
  audit: AuditLog
  /** Where this operator's identity (key) lives. */
  identityDir: string
}

export async function withOperator<T>(flags: ConnectionInput, fn: (s: OperatorSession) => Promise<T> | T): Promise<T> {
  const actor = operatorActor()
  return withPeer(flags, async peer => {
    const identityDir = join(operatorHome(), "operators", actor.name)
    const identity = await loadOrCreateIdentity(identityDir, actor.name, "operator")
    let audit: AuditLog
    try {
      audit = await registerPeer(peer.repo, peer.workspace, identity, "approved")
    } catch (error) {
      if (error instanceof PeerNameTakenError) throw new CliError(`${error.message} (set VIVARIUM_OPERATOR)`)
      throw error
    }
    return fn({ peer, actor, audit, identityDir })
  })
}
