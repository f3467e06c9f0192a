/**
 * Snapshots and time travel, as pure rules. Automerge keeps every document's whole history, so
 * a point in time is a set of heads per document: a named snapshot records them (in the
 * operator's signed audit log, in parts when a workspace has many documents), and any earlier
 * moment is found from the changes' own times. Restoring writes the past state as a new
 * change; history is never rewritten.
 */
import { ImmutableString, isImmutableString } from "@automerge/automerge/slim"
import { z } from "zod"
import { canonicalJson } from "../../core/authority/verdict.ts"
import type { AuditEntry } from "../../../schemas/index.ts"

export const SnapshotName = z.string().trim().min(1, "give the snapshot a name").max(80, "a snapshot name has at most 80 characters")

/** The heads of each document, by URL: one point in the workspace's history. */
export type WorkspaceHeads = Record<string, string[]>

/** One audit entry's share of a snapshot (its subject is the snapshot's id). */
export const SnapshotPart = z.object({
  name: SnapshotName,
  at: z.number().int().nonnegative(),
  part: z.number().int().nonnegative(),
  parts: z.number().int().positive().max(1_000),
  heads: z.record(z.string(), z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(64)),
})
export type SnapshotPart = z.infer<typeof SnapshotPart>

export interface Snapshot {
  id: string
  name: string
  at: number
  by: string
  heads: WorkspaceHeads
}

/** A point in the workspace's history: a snapshot, or a moment (ms since the epoch). */
export type HistoryPoint = { snapshot: Snapshot } | { atMs: number }

/** Audit data holds at most 16,000 characters: a workspace's heads are split to fit. */
const PART_BUDGET = 12_000

/** A snapshot's heads cut into parts that each fit one audit entry. */
export function snapshotParts(name: string, at: number, heads: WorkspaceHeads): SnapshotPart[] {
  const groups: WorkspaceHeads[] = [{}]
  let size = 0
  for (const [url, list] of Object.entries(heads)) {
    const cost = url.length + list.length * 67 + 8
    if (size + cost > PART_BUDGET && Object.keys(groups.at(-1)!).length) {
      groups.push({})
      size = 0
    }
    groups.at(-1)![url] = list
    size += cost
  }
  return groups.map((group, part) => ({ name, at, part, parts: groups.length, heads: group }))
}

/** The snapshots whose every part is present in these entries (kind "snapshot"), newest first. */
export function readSnapshots(entries: readonly Pick<AuditEntry, "kind" | "subject" | "data" | "actor">[]): Snapshot[] {
  const byId = new Map<string, { by: string; parts: Map<number, SnapshotPart> }>()
  for (const entry of entries) {
    if (entry.kind !== "snapshot") continue
    let value: unknown
    try {
      value = JSON.parse(entry.data)
    } catch {
      continue
    }
    const part = SnapshotPart.safeParse(value)
    if (!part.success) continue
    const found = byId.get(entry.subject) ?? { by: entry.actor.name, parts: new Map() }
    found.parts.set(part.data.part, part.data)
    byId.set(entry.subject, found)
  }
  const out: Snapshot[] = []
  for (const [id, { by, parts }] of byId) {
    const first = parts.get(0)
    if (!first || parts.size !== first.parts) continue
    out.push({ id, name: first.name, at: first.at, by, heads: Object.assign({}, ...[...parts.values()].map(p => p.heads)) as WorkspaceHeads })
  }
  return out.sort((a, b) => b.at - a.at)
}

/** A change as far as time travel needs it. */
export interface ChangeMeta {
  hash: string
  /** Seconds, as Automerge records them (the writer's clock). */
  time: number
  deps: readonly string[]
}

/**
 * The heads of a document as it was at `atMs`: every change made by then and what those
 * changes depend on (a writer's clock may lag); undefined when nothing was written yet.
 */
export function headsAt(changes: readonly ChangeMeta[], atMs: number): string[] | undefined {
  const byHash = new Map(changes.map(c => [c.hash, c]))
  const kept = new Set<string>()
  const keep = (hash: string) => {
    const stack = [hash]
    while (stack.length) {
      const h = stack.pop()!
      if (kept.has(h)) continue
      kept.add(h)
      stack.push(...(byHash.get(h)?.deps ?? []))
    }
  }
  for (const c of changes) if (c.time * 1000 <= atMs) keep(c.hash)
  if (!kept.size) return undefined
  const depended = new Set([...kept].flatMap(h => byHash.get(h)?.deps ?? []))
  return [...kept].filter(h => !depended.has(h)).sort()
}

/** One difference between two points, as a person reads it. */
export interface DocumentChange {
  path: string
  action: "added" | "removed" | "changed"
}

/** Who restores, and when: a record that names its last editor names them after the restore. */
export interface Restorer {
  by: string
  at: number
}

/**
 * Makes `draft` (a document inside a change) equal to `past` (the document as it was): keys
 * added since are removed, changed values are written back. Immutable strings stay immutable.
 * A record that says who last edited it (`editedBy`, `editedAt`) and is written back says the
 * restorer did: the restore is their edit.
 */
export function assignPast(draft: Record<string, unknown>, past: Record<string, unknown>, restorer: Restorer): void {
  let changed = false
  for (const key of Object.keys(draft))
    if (!(key in past)) {
      delete draft[key]
      changed = true
    }
  for (const [key, value] of Object.entries(past)) {
    const now = draft[key]
    if (canonicalJson(now) === canonicalJson(value)) continue
    changed = true
    if (isMap(value) && isMap(now)) assignPast(now, value, restorer)
    else draft[key] = stamped(copied(value), restorer)
  }
  if (changed && "editedBy" in draft) {
    draft.editedBy = restorer.by
    draft.editedAt = restorer.at
  }
}

/** A written-back record, and every record inside it, named as the restorer's edit. */
function stamped(value: unknown, restorer: Restorer): unknown {
  if (Array.isArray(value)) return value.map(v => stamped(v, restorer))
  if (!isMap(value) || isImmutableString(value)) return value
  const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stamped(v, restorer)]))
  return "editedBy" in out ? { ...out, editedBy: restorer.by, editedAt: restorer.at } : out
}

/** Who-edited-last fields: a restore rewrites them (assignPast), so they are not a difference. */
const PROVENANCE = new Set(["editedBy", "editedAt"])

/** How `to` differs from `from`, path by path (maps compared key by key, anything else whole); who-edited-last fields left out. */
export function differences(from: unknown, to: unknown, prefix: string[] = []): DocumentChange[] {
  if (canonicalJson(from) === canonicalJson(to)) return []
  if (!isMap(from) || !isMap(to)) return [{ path: prefix.join("."), action: from === undefined ? "added" : to === undefined ? "removed" : "changed" }]
  return [...new Set([...Object.keys(from), ...Object.keys(to)])].filter(key => !PROVENANCE.has(key)).flatMap(key => differences(from[key], to[key], [...prefix, key]))
}

function isMap(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value) && !isImmutableString(value) && !(value instanceof Date) && !(value instanceof Uint8Array)
}

/** A value read from one document, ready to be written into another. */
function copied(value: unknown): unknown {
  if (isImmutableString(value)) return new ImmutableString(value.val)
  if (Array.isArray(value)) return value.map(copied)
  if (value instanceof Date) return new Date(value.getTime())
  if (value instanceof Uint8Array) return new Uint8Array(value)
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copied(v)]))
  return value
}
