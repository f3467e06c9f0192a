/**
 * Reading a peer's audit log by its segments, newest first: a view that shows the newest
 * entries loads the newest segments until they fill its page, never the whole history.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { AuditEntry, PeerRecord } from "../../../schemas/index.ts"
import type { DataIssue } from "../../core/validate.ts"
import { readAuditEntries } from "../../workspace/documentReaders.ts"
import { auditSegments } from "./segments.ts"

export interface AuditPage {
  /** The entries of the segments read, oldest first, as plain values (entries that do not parse are left out). */
  entries: AuditEntry[]
  /** The segments read, newest first. */
  handles: DocHandle<unknown>[]
  /** Whether the page reaches the log's first document (it holds the whole log). */
  complete: boolean
  /** A segment this peer does not hold yet stopped the reading there (it loads by itself once it arrives). */
  unavailable: boolean
  /** Entries that do not parse, and documents that are not audit documents, by document and path. */
  issues: DataIssue[]
}

export interface AuditPageOptions {
  /** Read segments until at least this many entries are in (default: every segment). */
  minEntries?: number
  /** Read at most this many segments, newest first (default: every segment). */
  newestSegments?: number
  /** How long to wait for one segment to be found (default 10 s). */
  findTimeoutMs?: number
  /** How to open a segment (default: `repo.find`, waiting up to `findTimeoutMs`); a handle not ready stops the page there. */
  find?: (url: string) => Promise<DocHandle<unknown>>
}

export async function auditPage(repo: Repo, record: Pick<PeerRecord, "auditUrl" | "auditSegments">, opts: AuditPageOptions = {}): Promise<AuditPage> {
  const segments = auditSegments(record)
  const find = opts.find ?? (url => repo.find<unknown>(url as AutomergeUrl, { signal: AbortSignal.timeout(opts.findTimeoutMs ?? 10_000) }))
  const page: AuditPage = { entries: [], handles: [], complete: false, unavailable: false, issues: [] }
  const lists: AuditEntry[][] = []
  let count = 0
  for (const segment of segments.slice(0, opts.newestSegments)) {
    if (count >= (opts.minEntries ?? Infinity)) break
    const handle = await find(segment.url)
    if (!handle.isReady()) {
      page.unavailable = true
      break
    }
    const label = `audit ${segment.url}`
    let entries: AuditEntry[] = []
    try {
      entries = readAuditEntries(handle.doc(), label, page.issues)
    } catch (error) {
      page.issues.push({ doc: label, path: "", message: (error as Error).message })
    }
    page.handles.push(handle)
    lists.unshift(entries)
    count += entries.length
  }
  page.entries = lists.flat()
  page.complete = page.handles.length === segments.length
  return page
}
