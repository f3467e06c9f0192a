/**
 * Checking every registered peer's audit log: each `root.peers[name].auditUrl` is fetched
 * and verified against that peer's registered public key and signed head.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { AuditEntry, type PeerRecord, type RootDoc } from "../../schemas/index.ts"
import { verifyAuditChain, type ChainReport } from "../core/audit.ts"
import { assertDocumentKind, formatPath, InvalidDocumentError } from "../core/validate.ts"

export interface VerifyAuditOptions {
  /** How long to wait for one audit document to be found (default 10 s). */
  findTimeoutMs?: number
  /**
   * The owner writes an entry to its audit document and then the signed head to the root:
   * two documents that sync separately, so a reader can briefly hold a head that is newer
   * than its copy of the log. A "truncated" result is confirmed only if the log has not
   * caught up within this time (default 1500 ms; 0 reports at once).
   */
  truncationGraceMs?: number
}

/** One report per registered peer, sorted by peer name; ok:false names the first bad seq. */
export async function verifyWorkspaceAudit(repo: Repo, root: RootDoc, opts: VerifyAuditOptions = {}): Promise<ChainReport[]> {
  const peers = Object.entries(root.peers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Promise.all(peers.map(([name, record]) => verifyPeerAudit(repo, name, record, opts)))
}

export async function verifyPeerAudit(repo: Repo, peer: string, record: PeerRecord, opts: VerifyAuditOptions = {}): Promise<ChainReport> {
  const fail = (seq: number, reason: string, entries = 0): ChainReport => ({ ok: false, peer, seq, reason, entries })
  const docName = `audit ${record.auditUrl}`
  let handle: DocHandle<unknown>
  try {
    handle = await repo.find<unknown>(record.auditUrl as AutomergeUrl, {
      signal: AbortSignal.timeout(opts.findTimeoutMs ?? 10_000),
    })
  } catch (error) {
    return fail(0, `audit document ${record.auditUrl} not found: ${(error as Error).message}`)
  }
  const check = async (): Promise<ChainReport> => {
    const value = handle.doc()
    try {
      assertDocumentKind("audit", value, docName)
    } catch (error) {
      if (error instanceof InvalidDocumentError) return fail(0, `not an audit document: ${error.message}`)
      throw error
    }
    const doc = value as { peer?: unknown; entries?: unknown }
    if (doc.peer !== peer) return fail(0, `audit document belongs to ${JSON.stringify(doc.peer)}, not to ${peer}`)
    if (!Array.isArray(doc.entries)) return fail(0, "audit document has no entry list")
    const entries: AuditEntry[] = []
    for (const [i, raw] of doc.entries.entries()) {
      const parsed = AuditEntry.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where = formatPath(["entries", i, ...(issue?.path ?? [])])
        return fail(i, `invalid entry at ${where}: ${issue?.message ?? "invalid"}`, doc.entries.length)
      }
      entries.push(parsed.data)
    }
    return verifyAuditChain(peer, entries, record.publicKey, record.auditHead)
  }
  const deadline = Date.now() + (opts.truncationGraceMs ?? 1_500)
  let report = await check()
  while (!report.ok && report.reason.startsWith("truncated") && Date.now() < deadline) {
    await nextChange(handle, deadline - Date.now())
    report = await check()
  }
  return report
}

/** Resolves on the handle's next change, or after `ms`. */
function nextChange(handle: DocHandle<unknown>, ms: number): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      clearTimeout(timer)
      handle.off("change", done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    handle.on("change", done)
  })
}
