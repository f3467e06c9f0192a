/**
 * Time travel over a workspace: name the present as a snapshot (signed into the operator's
 * audit log), list the snapshots every peer took, read a document as it was at a snapshot or
 * a time, compare two points, and restore a document to a point as a new change, audited.
 * A restore is an ordinary change: the relay's gate judges it as it judges any other, so an
 * operator restores what operators may write (quests, skills and hats, rooms' topics …).
 */
import * as A from "@automerge/automerge/slim"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { DocUrl } from "../../../schemas/index.ts"
import { UserError } from "../../core/errors.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { plainValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { walkWorkspace } from "../../workspace/workspaceDocuments.ts"
import { auditEntries } from "../audit/auditLog.ts"
import { auditSegments } from "../audit/segments.ts"
import { assignPast, differences, headsAt, readSnapshots, SnapshotName, snapshotParts, type DocumentChange, type HistoryPoint, type Snapshot, type WorkspaceHeads } from "./snapshot.ts"

/** Documents named by their kind, as the root lists them. */
const NAMED = ["root", "queue", "identities", "wallets", "ledger", "rooms", "quests", "bounties", "mailbox", "skills"] as const

const FIND_MS = 10_000

/** The heads of every document of the workspace this peer can reach now. */
export async function workspaceHeads(ws: Workspace): Promise<WorkspaceHeads> {
  const heads: WorkspaceHeads = { [ws.rootHandle.url]: headsOf(ws.rootHandle) }
  await walkWorkspace(ws.repo, ws.root, { archives: true, findTimeoutMs: FIND_MS, onFound: ({ url }, handle) => (heads[url] = headsOf(handle)) })
  return heads
}

/** A document's heads as Automerge's hex hashes (not the repo's URL encoding). */
export function headsOf(handle: DocHandle<unknown>): string[] {
  return A.getHeads(handle.doc() as A.Doc<unknown>)
}

/** Names this moment of the whole workspace: the heads of every document, signed as the operator. */
export async function createSnapshot(ctx: OperatorContext, name: string): Promise<Snapshot> {
  const parsed = parseInput(SnapshotName, name)
  const at = ctx.now ?? Date.now()
  const heads = await workspaceHeads(ctx.workspace)
  const id = `snap-${at.toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  for (const part of snapshotParts(parsed, at, heads)) await ctx.audit.append("snapshot", id, part)
  return { id, name: parsed, at, by: ctx.actor.name, heads }
}

/** Every complete snapshot in the peers' audit logs, newest first. */
export async function listSnapshots(ws: Workspace): Promise<Snapshot[]> {
  const urls = Object.values(ws.root.peers).flatMap(peer => auditSegments(peer).map(s => s.url))
  const docs = await Promise.all(urls.map(url => ws.repo.find<unknown>(url as AutomergeUrl, { signal: AbortSignal.timeout(FIND_MS) }).then(h => h.doc(), () => undefined)))
  return readSnapshots(docs.flatMap(doc => (doc ? auditEntries(doc) : [])))
}

/** The snapshot called `name` (the newest of that name), or snapshot_not_found. */
export async function findSnapshot(ws: Workspace, name: string): Promise<Snapshot> {
  const found = (await listSnapshots(ws)).find(s => s.name === name || s.id === name)
  if (!found) throw new UserError("snapshot_not_found", { name })
  return found
}

/** A document named by its kind (`queue`, `skills` …) or its URL. */
export async function namedDocument(ws: Workspace, ref: string): Promise<{ url: string; handle: DocHandle<unknown> }> {
  const docs = ws.root.docs as Record<string, unknown>
  const url = ref === "root" ? ws.rootHandle.url : (NAMED as readonly string[]).includes(ref) ? (docs[ref] as string | undefined) : DocUrl.safeParse(ref).success ? ref : undefined
  if (!url) throw new UserError("document_not_named", { ref })
  try {
    return { url, handle: await ws.repo.find<unknown>(url as AutomergeUrl, { signal: AbortSignal.timeout(FIND_MS) }) }
  } catch {
    throw new UserError("document_not_named", { ref })
  }
}

/** Where a point in time sits in one document: a snapshot's heads for it, or its heads at `atMs`. */
export function pointIn(handle: DocHandle<unknown>, point: HistoryPoint, what: string): string[] {
  const doc = handle.doc() as A.Doc<unknown>
  const heads =
    "snapshot" in point
      ? point.snapshot.heads[handle.url]
      : headsAt(
          A.getAllChanges(doc).map(bytes => {
            const change = A.decodeChange(bytes)
            return { hash: change.hash!, time: change.time, deps: change.deps }
          }),
          point.atMs,
        )
  if (!heads || !A.hasHeads(doc, heads)) throw new UserError("point_not_held", { what })
  return heads
}

/** The document as it was at `heads`, as plain data. */
export function documentAt(handle: DocHandle<unknown>, heads: string[]): unknown {
  return plainValue(A.view(handle.doc() as A.Doc<unknown>, heads))
}

/** How the document differs between two points: each path and how (its content, not the edits that got it there). */
export function compareDocument(handle: DocHandle<unknown>, from: string[], to: string[]): DocumentChange[] {
  const doc = handle.doc() as A.Doc<unknown>
  return differences(plainValue(A.view(doc, from)), plainValue(A.view(doc, to)))
}

/**
 * Writes the document as it was at `heads` as a new change, audited; returns how many paths it
 * changed back. Records that name their last editor name the restorer (assignPast).
 */
export async function restoreDocument(ctx: OperatorContext, handle: DocHandle<unknown>, heads: string[], from: string): Promise<number> {
  const doc = handle.doc() as A.Doc<unknown>
  if (!A.hasHeads(doc, heads)) throw new OperatorActionError("point_not_held", { what: handle.url })
  const past = A.view(doc, heads) as Record<string, unknown>
  const changed = differences(plainValue(past), plainValue(doc)).length
  if (!changed) return 0
  handle.change(d => assignPast(d as Record<string, unknown>, past, { by: ctx.actor.name, at: ctx.now ?? Date.now() }))
  await ctx.audit.append("restore", handle.url, { from, heads, changed })
  return changed
}
