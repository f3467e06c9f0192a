/**
 * Reading a peer's audit log by its segments, newest first: a view that shows the newest
 * entries loads the newest segments until they fill its page, never the whole history.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { AuditEntry, PeerRecord } from "../../../schemas/index.ts"
import { auditEntries } from "./auditLog.ts"
import { auditSegments } from "./segments.ts"

export interface AuditPage {
  /** The entries of the segments read, oldest first, as plain values (entries that do not parse are left out). */
  entries: AuditEntry[]
  /** The segments read, newest first. */
  handles: DocHandle<unknown>[]
  /** Whether the page reaches the log's first document (it holds the whole log). */
  complete: boolean
}

export interface AuditPageOptions {
  /** Read segments until at least this many entries are in (default: every segment). */
  minEntries?: number
  /** How long to wait for one segment to be found (default 10 s). */
  findTimeoutMs?: number
}

export async function auditPage(repo: Repo, record: Pick<PeerRecord, "auditUrl" | "auditSegments">, opts: AuditPageOptions = {}): Promise<AuditPage> {
  const segments = auditSegments(record)
  const handles: DocHandle<unknown>[] = []
  const lists: AuditEntry[][] = []
  let count = 0
  for (const segment of segments) {
    if (count >= (opts.minEntries ?? Infinity)) break
    const handle = await repo.find<unknown>(segment.url as AutomergeUrl, { signal: AbortSignal.timeout(opts.findTimeoutMs ?? 10_000) })
    const entries = auditEntries(handle.doc())
    handles.push(handle)
    lists.unshift(entries)
    count += entries.length
  }
  return { entries: lists.flat(), handles, complete: handles.length === segments.length }
}
