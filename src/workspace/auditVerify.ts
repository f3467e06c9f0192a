/**
 * Checking every registered peer's audit log: each `root.peers[name].auditUrl` is fetched
 * and verified against that peer's registered public key and the signed head stored in
 * the same document (written in the same change as the entry it covers, so a synced
 * copy never holds a head newer than its entries).
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { AuditEntry, SignedHead, type PeerRecord, type RootDoc } from "../../schemas/index.ts"
import { verifyAuditChain, type ChainReport } from "../core/audit.ts"
import { assertDocumentKind, formatPath, InvalidDocumentError, type DataIssue } from "../core/validate.ts"
import { countedEntries, openWallets } from "./wallet.ts"
import type { Workspace } from "./workspace.ts"

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
  return verifyAuditChain(peer, entries, record.publicKey, head, keyAtTime(record))
}

/** The key `record` signed with at a time, following its rotations (each valid from its `at`). */
function keyAtTime(record: PeerRecord): ((at: number) => string) | undefined {
  const rotations = record.rotations
  if (!rotations?.length) return undefined
  const spans = [{ key: rotations[0]!.from, from: -Infinity }, ...rotations.map(r => ({ key: r.to, from: r.at }))].sort((a, b) => a.from - b.from)
  return at => spans.filter(s => s.from <= at).pop()!.key
}

/**
 * Authority records that do not verify against the chain of authority: unsigned or forged
 * peer decisions and key rotations, task decisions and ledger entries. Readers already
 * ignore them; this lists them.
 */
export async function verifyAuthorityRecords(workspace: Workspace): Promise<DataIssue[]> {
  await workspace.verified()
  const issues: DataIssue[] = [...workspace.authority.issues]
  for (const i of workspace.tasks.issues) if (i.path.endsWith(".review") && i.message.startsWith("shown as pending_review")) issues.push(i)
  const wallets = await openWallets(workspace)
  await countedEntries(workspace, wallets.doc(), issues)
  return issues.filter(i => i.path.startsWith("entries.") || i.path.startsWith("peers.") || i.path === "authority" || i.path.startsWith("tasks."))
}
