/**
 * Checking every registered peer's audit log: each `root.peers[name].auditUrl` is fetched
 * and verified against that peer's registered public key and the signed head stored in
 * the same document (written in the same change as the entry it covers, so a synced
 * copy never holds a head newer than its entries).
 *
 * The documents' own history is a witness too: Automerge keeps every change, so a head
 * that was deleted or rewound to an older one (with the tail truncated to match) is seen
 * from the highest head the owner ever signed in that document, and a peer registration
 * deleted from the root is seen from the root's history — as is a peer that tasks or
 * other logs name but that is not registered.
 */
import { decodeChange, getAllChanges, getObjectId, view, type Doc } from "@automerge/automerge/slim"
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import { AuditEntry, SignedHead, type PeerRecord, type RootDoc, type Task } from "../../../schemas/index.ts"
import { entryHash, headText, LOG_START, verifyAuditChain, type ChainReport, type ChainStart } from "./audit.ts"
import { auditPage } from "./auditPage.ts"
import { auditSegments, type Segment } from "./segments.ts"
import { verifyHex } from "../../core/signing.ts"
import { assertDocumentKind, formatPath, InvalidDocumentError, type DataIssue } from "../../core/validate.ts"
import { countedEntries, openWallets } from "../wallets/actions.ts"
import type { Workspace } from "../../workspace/workspace.ts"

export interface VerifyAuditOptions {
  /** How long to wait for one audit document to be found (default 10 s). */
  findTimeoutMs?: number
  /** The root document as stored (with its history): registrations deleted from it are reported. */
  rootDoc?: Doc<unknown>
  /** Tasks whose actors must be registered peers (the live queue). */
  tasks?: Iterable<Task>
  /**
   * Check only each log's newest this many segments (default: every segment, back to seq 0):
   * their entries, and the links between them; the oldest one checked is taken to start
   * where its first entry says.
   */
  newestSegments?: number
}

const byName = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * One report per registered peer, sorted by peer name; ok:false names the first bad seq.
 * With `rootDoc` and `tasks`, also one failed report per deleted registration and per peer
 * named in a task or a log that is not registered.
 */
export async function verifyWorkspaceAudit(repo: Repo, root: RootDoc, opts: VerifyAuditOptions = {}): Promise<ChainReport[]> {
  const peers = Object.entries(root.peers).sort(byName)
  const reports = await Promise.all(peers.map(([name, record]) => verifyPeerAudit(repo, name, record, opts)))
  const missing = new Map<string, string>()
  if (opts.rootDoc)
    for (const [name, auditUrl] of registrationsEverMade(opts.rootDoc))
      if (!root.peers[name]) missing.set(name, `registration deleted from the root (it was registered with audit log ${auditUrl ?? "unknown"})`)
  for (const [name, where] of namedPeers(opts.tasks ?? [], await Promise.all(peers.map(([, r]) => entriesOf(repo, r, opts)))))
    if (!root.peers[name] && !missing.has(name)) missing.set(name, `not registered, but named in ${where}`)
  for (const [peer, reason] of [...missing].sort(byName)) reports.push({ ok: false, peer, seq: 0, reason, entries: 0 })
  return reports
}

/** Peer names ever added to `root.peers`, with the audit URL each had when added (from the root's history). */
export function registrationsEverMade(rootDoc: Doc<unknown>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>()
  const peers = (rootDoc as { peers?: object }).peers
  if (!peers || typeof peers !== "object") return out
  const peersId = getObjectId(peers)
  for (const change of getAllChanges(rootDoc)) {
    const decoded = decodeChange(change)
    for (const op of decoded.ops)
      if (op.obj === peersId && op.action === "makeMap" && typeof op.key === "string" && !out.has(op.key)) {
        const then = (view(rootDoc, [decoded.hash!]) as { peers?: Record<string, { auditUrl?: unknown }> }).peers?.[op.key]
        out.set(op.key, typeof then?.auditUrl === "string" ? then.auditUrl : undefined)
      }
  }
  return out
}

/** Peers that tasks and audit logs name as acting (workers, operators, lease holders), each with one place. */
function namedPeers(tasks: Iterable<Task>, logs: readonly AuditEntry[][]): Map<string, string> {
  const out = new Map<string, string>()
  const note = (name: string | undefined, where: string) => {
    if (name !== undefined && !out.has(name)) out.set(name, where)
  }
  for (const t of tasks) {
    note(t.createdBy, `task ${t.id} (created by)`)
    for (const e of t.history) if (e.by.kind !== "system") note(e.by.name, `task ${t.id} (history)`)
    note(t.result?.worker, `task ${t.id} (result)`)
    note(t.review?.decidedBy, `task ${t.id} (decided by)`)
    note(t.lease?.holder, `task ${t.id} (lease)`)
  }
  for (const log of logs)
    for (const e of log) {
      if (e.kind === "lease") note(parseHolder(e.data), `the audit log of ${e.actor.name} (seq ${e.seq}, lease)`)
      if (e.kind === "peer_decision") note(e.subject, `the audit log of ${e.actor.name} (seq ${e.seq}, peer decision)`)
    }
  return out
}

function parseHolder(data: string): string | undefined {
  try {
    const holder = (JSON.parse(data) as { holder?: unknown }).holder
    return typeof holder === "string" ? holder : undefined
  } catch {
    return undefined
  }
}

/** A registered peer's entries that parse, from every segment (the chain itself is checked by verifyPeerAudit). */
async function entriesOf(repo: Repo, record: PeerRecord, opts: VerifyAuditOptions): Promise<AuditEntry[]> {
  try {
    return (await auditPage(repo, record, opts)).entries
  } catch {
    return []
  }
}

/**
 * The highest head that `peer` ever validly signed in this audit document, from the
 * document's history (a head later deleted or replaced by an older one still shows here).
 */
export async function highestSignedHead(doc: Doc<unknown>, peer: string, publicKeyHex: string): Promise<SignedHead | undefined> {
  const headObjects = new Set<string>()
  const candidates: { seq: number; hash: string }[] = []
  for (const change of getAllChanges(doc)) {
    const decoded = decodeChange(change)
    decoded.ops.forEach((op, i) => {
      if (op.obj === "_root" && op.key === "head" && op.action === "makeMap") headObjects.add(`${decoded.startOp + i}@${decoded.actor}`)
      else if (headObjects.has(op.obj) && op.key === "seq" && op.action === "set" && typeof op.value === "number") candidates.push({ seq: op.value, hash: decoded.hash! })
    })
  }
  for (const c of candidates.sort((a, b) => b.seq - a.seq)) {
    const head = SignedHead.safeParse((view(doc, [c.hash]) as { head?: unknown }).head).data
    if (head && head.seq === c.seq && (await verifyHex(publicKeyHex, headText(peer, head.seq, head.hash), head.sig))) return head
  }
  return undefined
}

/**
 * Checks a peer's log segment by segment, oldest first: each segment's entries and head,
 * and that its first entry continues the chain where the segment before it ended (empty
 * segments are passed over). With `newestSegments`, only the newest segments are read.
 */
export async function verifyPeerAudit(repo: Repo, peer: string, record: PeerRecord, opts: VerifyAuditOptions = {}): Promise<ChainReport> {
  const all = auditSegments(record)
  const window = opts.newestSegments ? all.slice(0, opts.newestSegments) : all
  let end: { seq: number; hash: string } | undefined
  let total = 0
  for (const segment of [...window].reverse()) {
    const start: ChainStart | "own" = end ? { seq: end.seq + 1, prev: end.hash } : window.length === all.length ? LOG_START : "own"
    const checked = await verifySegment(repo, peer, record, segment, start, opts)
    if (!checked.ok) return { ...checked.report, entries: total + checked.report.entries }
    total += checked.entries.length
    const last = checked.entries.at(-1)
    if (last) end = { seq: last.seq, hash: await entryHash(last) }
  }
  return { peer, ok: true, entries: total }
}

type SegmentCheck = { ok: true; entries: AuditEntry[] } | { ok: false; report: ChainReport }

/** One segment of a peer's log: its document, its entries from `start` on, its head, and its history's heads. */
async function verifySegment(repo: Repo, peer: string, record: PeerRecord, segment: Segment, start: ChainStart | "own", opts: VerifyAuditOptions): Promise<SegmentCheck> {
  const fail = (seq: number, reason: string, entries = 0): SegmentCheck => ({ ok: false, report: { ok: false, peer, seq, reason, entries } })
  const docName = `audit ${segment.url}`
  let handle: DocHandle<unknown>
  try {
    handle = await repo.find<unknown>(segment.url as AutomergeUrl, {
      signal: AbortSignal.timeout(opts.findTimeoutMs ?? 10_000),
    })
  } catch (error) {
    return fail(0, `audit document ${segment.url} not found: ${(error as Error).message}`)
  }
  const value = handle.doc()
  try {
    assertDocumentKind("audit", value, docName)
  } catch (error) {
    if (error instanceof InvalidDocumentError) return fail(0, `not an audit document: ${error.message}`)
    throw error
  }
  const doc = value as { peer?: unknown; period?: unknown; entries?: unknown; head?: unknown }
  if (doc.peer !== peer) return fail(0, `audit document belongs to ${JSON.stringify(doc.peer)}, not to ${peer}`)
  if (doc.period !== segment.period) return fail(0, `audit document ${segment.url} holds period ${JSON.stringify(doc.period ?? "first")}, but is listed as ${segment.period ?? "the first"}`)
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
  const chain = await verifyAuditChain(peer, entries, record.publicKey, head, keyAtTime(record), start)
  if (!chain.ok) return { ok: false, report: chain }
  const highest = await highestSignedHead(value as Doc<unknown>, peer, record.publicKey)
  const end = (start === "own" ? (entries[0]?.seq ?? 0) : start.seq) + entries.length
  if (highest && !head) return fail(end, `head deleted: ${peer} signed a head at seq ${highest.seq} in this log's history, and none is left`, entries.length)
  if (highest && head && highest.seq > head.seq)
    return fail(head.seq, `head rewound: the log's head is at seq ${head.seq}, but ${peer} signed a head at seq ${highest.seq} in its history`, entries.length)
  if (highest && highest.seq >= end)
    return fail(end, `truncated: ${peer} signed a head at seq ${highest.seq}, but the log ends ${entries.length ? `at seq ${end - 1}` : "empty"}`, entries.length)
  return { ok: true, entries }
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
  await countedEntries(workspace, wallets, issues)
  return issues.filter(i => i.path.startsWith("entries.") || i.path.startsWith("checkpoints.") || i.path.startsWith("peers.") || i.path === "authority" || i.path.startsWith("tasks."))
}
