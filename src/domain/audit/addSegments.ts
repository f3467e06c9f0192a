/**
 * The relay's side of audit segments: it adds each peer's next segment ahead of time (an
 * empty document that names its owner and period) and lists it in the peer's registration.
 * It never writes an entry; only the log's owner does.
 */
import type { Workspace } from "../../workspace/workspace.ts"
import { AuditLog } from "./auditLog.ts"
import { auditSegmentsDue } from "./segments.ts"

/** Adds the segments due at `now` to every peer's log that is not revoked; returns how many. */
export function addDueAuditSegments(workspace: Workspace, now: number): number {
  const made = Object.values(workspace.root.peers)
    .filter(record => record.state !== "revoked")
    .map(record => ({ peer: record.name, segments: auditSegmentsDue(record, now).map(period => ({ period, url: AuditLog.createAuditDoc(workspace.repo, record.name, period).url })) }))
    .filter(m => m.segments.length)
  if (!made.length) return 0
  workspace.rootHandle.change(d => {
    for (const { peer, segments } of made) {
      const record = d.peers[peer]!
      record.auditSegments ??= []
      for (const segment of segments) record.auditSegments.unshift(segment)
    }
  })
  return made.reduce((n, m) => n + m.segments.length, 0)
}
