/**
 * Checking every registered peer's audit log: each `root.peers[name].auditUrl` is fetched
 * and verified against that peer's registered public key and the signed head stored in
 * the same document (written in the same change as the entry it covers, so a synced
 * copy never holds a head newer than its entries).
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { AuditEntry, SignedHead, type PeerRecord, type RootDoc } from "../../schemas/index.ts"
import { verifyAuditChain, type ChainReport } from "../core/audit.ts"
import { assertDocumentKind, formatPath, InvalidDocumentError } from "../core/validate.ts"

export interface VerifyAuditOptions {
  /** How long to wait for one audit document to be found (default 10 s). */
  findTimeoutMs?: number
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
  const value = handle.doc()
  try {
    assertDocumentKind("audit", value, docName)
  } catch (error) {
    if (error instanceof InvalidDocumentError) return fail(0, `not an audit document: ${error.message}`)
    throw error
  }
  const doc = value as { peer?: unknown; entries?: unknown; head?: unknown }
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
  let head: SignedHead | undefined
  if (doc.head !== undefined) {
    const parsed = SignedHead.safeParse(doc.head)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = formatPath(["head", ...(issue?.path ?? [])])
      return fail(entries.length, `invalid signed head at ${where}: ${issue?.message ?? "invalid"}`, entries.length)
    }
    head = parsed.data
  }
  return verifyAuditChain(peer, entries, record.publicKey, head)
}
