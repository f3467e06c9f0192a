/**
 * Every document of a workspace, found from its root in two waves: the documents the root
 * names, then the ones its indexes name (rooms, quests, the residents' journals, artifacts). The export
 * (exportWorkspace.ts) and the PWA's offline copy (src/app/session/offlineCopy.ts) both walk
 * the workspace with it. A document that cannot be found in time is listed as missing and
 * the walk goes on; an invalid index entry is reported and its document left out.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { DocumentKind, RootDoc } from "../../schemas/index.ts"
import { InvalidDocumentError, type DataIssue } from "../core/validate.ts"
import { auditSegments } from "../domain/audit/segments.ts"
import { roomSegments } from "../domain/rooms/segments.ts"
import { comparePeriods } from "../domain/wallets/periods.ts"
import { readArtifactIndex, readIdentities, readLedgerIndex, readQuestIndex, readRoomIndex } from "./documentReaders.ts"

export interface WorkspaceDocument {
  kind: DocumentKind
  url: string
}

export interface MissingDocument extends WorkspaceDocument {
  reason: string
}

export interface WalkOptions {
  /** The monthly archives, every room's and audit log's older segments too (history only: their number grows without end). */
  archives: boolean
  /** At most this many documents from each index (newest first; rooms before DMs); default all. */
  perIndex?: number
  /** How long to wait for one document (default 10 s). */
  findTimeoutMs?: number
  /** How many documents are fetched at once (default 8). */
  concurrency?: number
  /** Called after each document; `total` grows once the indexes are read. */
  onProgress?: (done: number, total: number) => void
  /** Called with each document found, before the walk reads the next wave. */
  onFound?: (doc: WorkspaceDocument, handle: DocHandle<unknown>) => void
}

export interface WalkResult {
  found: WorkspaceDocument[]
  missing: MissingDocument[]
  /** Index entries left out beyond `perIndex`, per index kind. */
  skipped: Partial<Record<DocumentKind, number>>
  /** Index entries left out because they were invalid. */
  issues: DataIssue[]
}

/** One index and the documents its entries point to (of `kind`, unless an entry names its own; `history`: a room's older segments too). */
interface IndexChildren {
  kind: DocumentKind
  read: (value: unknown, label: string, issues: DataIssue[], history: boolean) => { url: string; rank: number; createdAt: number; kind?: DocumentKind }[]
}

/** A room's or an audit log's segments a walk copies: its newest two (what opening it shows, and the period before), or all of them. */
const OFFLINE_SEGMENTS = 2

const INDEX_CHILDREN: Partial<Record<DocumentKind, IndexChildren>> = {
  rooms: {
    kind: "room",
    read: (value, label, issues, history) =>
      [...readRoomIndex(value, label, issues).values()].flatMap(r =>
        roomSegments(r)
          .slice(0, history ? undefined : OFFLINE_SEGMENTS)
          .map(s => ({ url: s.url, rank: r.kind === "room" ? 0 : 1, createdAt: r.createdAt })),
      ),
  },
  quests: { kind: "quest", read: (value, label, issues) => [...readQuestIndex(value, label, issues).values()].map(q => ({ url: q.url, rank: 0, createdAt: q.createdAt })) },
  // Each artifact's own document, the most recently written first.
  artifacts: { kind: "artifact", read: (value, label, issues) => [...readArtifactIndex(value, label, issues).values()].map(a => ({ url: a.url, rank: 0, createdAt: a.latest.at })) },
  // The ledger's segments and checkpoints; what a reader loads (the newest checkpoint and the segments after it) first.
  ledger: {
    kind: "wallets",
    read: (value, label, issues) => {
      const { segments, checkpoints } = readLedgerIndex(value, label, issues)
      const newest = [...checkpoints.values()].sort((a, b) => comparePeriods(b.period, a.period))[0]
      const needed = (period: string) => !newest || comparePeriods(period, newest.period) > 0
      return [
        ...[...checkpoints.values()].map(c => ({ url: c.url, rank: c === newest ? 0 : 1, createdAt: c.at, kind: "ledger-checkpoint" as const })),
        ...[...segments.values()].map(s => ({ url: s.url, rank: needed(s.period) ? 0 : 1, createdAt: s.openedAt })),
      ]
    },
  },
  identities: {
    kind: "journal",
    read: (value, label, issues) =>
      [...readIdentities(value, label, issues).values()].flatMap(i => (i.journalUrl ? [{ url: i.journalUrl, rank: 0, createdAt: i.createdAt }] : [])),
  },
}

/** The documents the root names (not the root itself). */
export function rootDocuments(root: RootDoc, { archives }: Pick<WalkOptions, "archives">): WorkspaceDocument[] {
  const { docs } = root
  return [
    { kind: "queue", url: docs.queue },
    { kind: "identities", url: docs.identities },
    { kind: "wallets", url: docs.wallets },
    ...(docs.ledger ? [{ kind: "ledger" as const, url: docs.ledger }] : []),
    { kind: "rooms", url: docs.rooms },
    { kind: "quests", url: docs.quests },
    { kind: "bounties", url: docs.bounties },
    ...(docs.mailbox ? [{ kind: "mailbox" as const, url: docs.mailbox }] : []),
    ...(docs.skills ? [{ kind: "skills" as const, url: docs.skills }] : []),
    ...(docs.proposals ? [{ kind: "proposals" as const, url: docs.proposals }] : []),
    ...(docs.community ? [{ kind: "community" as const, url: docs.community }] : []),
    ...(docs.artifacts ? [{ kind: "artifacts" as const, url: docs.artifacts }] : []),
    ...(archives ? Object.values(docs.archives).map(url => ({ kind: "archive" as const, url })) : []),
    // Each peer's audit log: its newest segments (what the Audit view shows), or all of them with the history.
    ...Object.values(root.peers).flatMap(peer => auditSegments(peer).slice(0, archives ? undefined : OFFLINE_SEGMENTS).map(s => ({ kind: "audit" as const, url: s.url }))),
  ]
}

/** Finds every document of the workspace whose validated root is `root`. Never throws for a missing one. */
export async function walkWorkspace(repo: Repo, root: RootDoc, opts: WalkOptions): Promise<WalkResult> {
  const timeoutMs = opts.findTimeoutMs ?? 10_000
  const result: WalkResult = { found: [], missing: [], skipped: {}, issues: [] }
  const indexes = new Map<DocumentKind, { url: string; value: unknown }>()
  let done = 0
  let total = 0
  const fetchAll = async (wanted: WorkspaceDocument[]) => {
    total += wanted.length
    opts.onProgress?.(done, total)
    await pool(wanted, opts.concurrency ?? 8, async doc => {
      try {
        const handle = await repo.find<unknown>(doc.url as AutomergeUrl, { signal: AbortSignal.timeout(timeoutMs) })
        result.found.push(doc)
        if (INDEX_CHILDREN[doc.kind]) indexes.set(doc.kind, { url: doc.url, value: handle.doc() })
        opts.onFound?.(doc, handle)
      } catch (error) {
        result.missing.push({ ...doc, reason: (error as Error).message })
      }
      opts.onProgress?.(++done, total)
    })
  }

  await fetchAll(unique(rootDocuments(root, opts)))
  // The second wave: what the indexes point to.
  const children: WorkspaceDocument[] = []
  for (const [kind, index] of indexes) {
    const { kind: childKind, read } = INDEX_CHILDREN[kind]!
    const entries = childEntries(read, index.value, `${kind} ${index.url}`, result.issues, opts.archives)
    const kept = opts.perIndex === undefined ? entries : entries.slice(0, opts.perIndex)
    if (kept.length < entries.length) result.skipped[childKind] = entries.length - kept.length
    children.push(...kept.map(e => ({ kind: e.kind ?? childKind, url: e.url })))
  }
  await fetchAll(unique(children))
  return result
}

/** An index's document URLs, first kept first; a wrong-kind index has no trusted children. */
function childEntries(read: IndexChildren["read"], value: unknown, label: string, issues: DataIssue[], history: boolean): { url: string; kind?: DocumentKind }[] {
  try {
    const entries = read(value, label, issues, history).sort((a, b) => a.rank - b.rank || b.createdAt - a.createdAt)
    const seen = new Set<string>()
    return entries.filter(e => !seen.has(e.url) && (seen.add(e.url), true))
  } catch (error) {
    if (error instanceof InvalidDocumentError) {
      issues.push(...error.issues)
      return []
    }
    throw error
  }
}

function unique(docs: WorkspaceDocument[]): WorkspaceDocument[] {
  const seen = new Set<string>()
  return docs.filter(d => !seen.has(d.url) && (seen.add(d.url), true))
}

async function pool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await run(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
}
