/**
 * While the relay holds the owner's key (no separate owner was named when the workspace was
 * created), it approves, as the owner, each operator that registers: the signed approval
 * the chain of authority needs. Operators registered before signed records existed are
 * approved the same way on start. A registration whose key already carries a decision by
 * the owner (an approval or a revocation) is left alone.
 */
import type { RootDoc } from "../schemas/index.ts"
import type { AuditLog } from "../src/workspace/auditLog.ts"
import { decidePeer } from "../src/workspace/operatorActions.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

export function approveOperatorsAsOwner(workspace: Workspace, audit: AuditLog, log: (line: string) => void): { stop(): void } {
  const owner = audit.signer.actor
  const busy = new Set<string>()
  const check = () => {
    const root: RootDoc = workspace.root
    for (const p of Object.values(root.peers)) {
      if (p.role !== "operator" || p.state === "revoked" || busy.has(p.name)) continue
      if (p.decisions?.some(d => d.by === owner.name && d.publicKey === p.publicKey)) continue
      busy.add(p.name)
      decidePeer({ workspace, audit, actor: owner }, p.name, "approved")
        .catch(error => log(`could not approve operator ${p.name}: ${(error as Error).message}`))
        .finally(() => busy.delete(p.name))
    }
  }
  workspace.rootHandle.on("change", check)
  check()
  return { stop: () => workspace.rootHandle.off("change", check) }
}
