/**
 * A full JSON export of one workspace: every document the root points to (and the rooms
 * and quests the indexes point to), each as plain JSON keyed by kind and URL. A document
 * that cannot be found in time is listed under `missing`, so one unsynced room never
 * spoils the backup of everything else.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { DocumentKind } from "../../schemas/index.ts"
import { InvalidDocumentError, readRoot, type DataIssue } from "../core/validate.ts"
import { readQuestIndex, readRoomIndex } from "./documentReaders.ts"

export const EXPORT_FORMAT = "vivarium-workspace-export"

export interface MissingDocument {
  kind: DocumentKind
  url: string
  reason: string
}

export interface WorkspaceExport {
  format: typeof EXPORT_FORMAT
  version: 1
  workspaceId: string
  name: string
  rootUrl: string
  /** ISO 8601. */
  exportedAt: string
  /** kind → URL → the document as plain JSON. */
  documents: Partial<Record<DocumentKind, Record<string, unknown>>>
  missing: MissingDocument[]
  /** Index entries left out because they were invalid (their documents are not exported). */
  issues: DataIssue[]
}

export interface ExportOptions {
  /** How long to wait for one document (default 10 s). */
  findTimeoutMs?: number
  /** How many documents are fetched at once (default 8). */
  concurrency?: number
  /** Called after each document; `total` grows once the room and quest indexes are read. */
  onProgress?: (done: number, total: number) => void
  now?: number
}

interface Wanted {
  kind: DocumentKind
  url: string
}

/** Collects every document of the workspace whose root is `rootHandle`. Never throws for a missing child. */
export async function exportWorkspace(repo: Repo, rootHandle: DocHandle<unknown>, opts: ExportOptions = {}): Promise<WorkspaceExport> {
  const timeoutMs = opts.findTimeoutMs ?? 10_000
  const issues: DataIssue[] = []
  const rawRoot = rootHandle.doc()
  // Without a readable root there is nothing to enumerate: that one is an error.
  const root = readRoot(rawRoot, `root ${rootHandle.url}`, issues)
  const out: WorkspaceExport = {
    format: EXPORT_FORMAT,
    version: 1,
    workspaceId: root.workspaceId,
    name: root.name,
    rootUrl: rootHandle.url,
    exportedAt: new Date(opts.now ?? Date.now()).toISOString(),
    documents: { root: { [rootHandle.url]: plain(rawRoot) } },
    missing: [],
    issues,
  }

  let done = 1
  let total = 1
  const fetched = new Map<string, unknown>()
  const fetchAll = async (wanted: Wanted[]) => {
    total += wanted.length
    opts.onProgress?.(done, total)
    await pool(wanted, opts.concurrency ?? 8, async ({ kind, url }) => {
      try {
        const handle = await repo.find<unknown>(url as AutomergeUrl, { signal: AbortSignal.timeout(timeoutMs) })
        const doc = plain(handle.doc())
        ;(out.documents[kind] ??= {})[url] = doc
        fetched.set(url, doc)
      } catch (error) {
        out.missing.push({ kind, url, reason: (error as Error).message })
      }
      opts.onProgress?.(++done, total)
    })
  }

  const { docs } = root
  await fetchAll([
    { kind: "queue", url: docs.queue },
    { kind: "identities", url: docs.identities },
    { kind: "wallets", url: docs.wallets },
    { kind: "rooms", url: docs.rooms },
    { kind: "quests", url: docs.quests },
    { kind: "bounties", url: docs.bounties },
    ...Object.values(docs.archives).map(url => ({ kind: "archive" as const, url })),
    ...Object.values(root.peers).map(peer => ({ kind: "audit" as const, url: peer.auditUrl })),
  ])
  // The second wave: what the room and quest indexes point to.
  await fetchAll([
    ...childUrls(fetched, docs.rooms, `rooms ${docs.rooms}`, readRoomIndex, issues).map(url => ({ kind: "room" as const, url })),
    ...childUrls(fetched, docs.quests, `quests ${docs.quests}`, readQuestIndex, issues).map(url => ({ kind: "quest" as const, url })),
  ])
  return out
}

/** `workspace-<name>-<YYYY-MM-DD>.json`, the name reduced to file-safe characters. */
export function exportFileName(name: string, at: number): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|-+$/g, "").slice(0, 60) || "workspace"
  return `workspace-${safe}-${new Date(at).toISOString().slice(0, 10)}.json`
}

function childUrls(
  fetched: Map<string, unknown>,
  indexUrl: string,
  label: string,
  read: (value: unknown, label: string, issues: DataIssue[]) => Map<string, { url: string }>,
  issues: DataIssue[],
): string[] {
  if (!fetched.has(indexUrl)) return []
  try {
    return [...new Set([...read(fetched.get(indexUrl), label, issues).values()].map(entry => entry.url))]
  } catch (error) {
    // A wrong-kind index is exported as it is; its children cannot be trusted.
    if (error instanceof InvalidDocumentError) {
      issues.push(...error.issues)
      return []
    }
    throw error
  }
}

/** An Automerge document (or any value) as plain JSON data. */
function plain(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value))
}

async function pool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await run(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
}
