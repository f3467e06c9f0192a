/**
 * A full JSON export of one workspace: every document the root points to (and the rooms,
 * quests and journals the indexes point to, archives included), each as plain JSON keyed by
 * kind and URL. A document that cannot be found in time is listed under `missing`, so one
 * unsynced room never spoils the backup of everything else.
 */
import type { DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { DocumentKind } from "../../schemas/index.ts"
import { readRoot, type DataIssue } from "../core/validate.ts"
import { plainValue } from "./storedValue.ts"
import { walkWorkspace, type MissingDocument } from "./workspaceDocuments.ts"

export type { MissingDocument } from "./workspaceDocuments.ts"

export const EXPORT_FORMAT = "vivarium-workspace-export"

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
  /** Called after each document; `total` grows once the indexes are read. */
  onProgress?: (done: number, total: number) => void
  now?: number
}

/** Collects every document of the workspace whose root is `rootHandle`. Never throws for a missing child. */
export async function exportWorkspace(repo: Repo, rootHandle: DocHandle<unknown>, opts: ExportOptions = {}): Promise<WorkspaceExport> {
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
  const walked = await walkWorkspace(repo, root, {
    archives: true,
    ...(opts.findTimeoutMs !== undefined ? { findTimeoutMs: opts.findTimeoutMs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    // The root counts as the first document done.
    onProgress: (done, total) => opts.onProgress?.(done + 1, total + 1),
    onFound: ({ kind, url }, handle) => ((out.documents[kind] ??= {})[url] = plain(handle.doc())),
  })
  out.missing = walked.missing
  issues.push(...walked.issues)
  return out
}

/** `workspace-<name>-<YYYY-MM-DD>.json`, the name reduced to file-safe characters. */
export function exportFileName(name: string, at: number): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|-+$/g, "").slice(0, 60) || "workspace"
  return `workspace-${safe}-${new Date(at).toISOString().slice(0, 10)}.json`
}

/** An Automerge document (or any value) as plain JSON data. */
function plain(value: unknown): unknown {
  return value === undefined ? null : plainValue(value)
}
