/**
 * Every registered peer's audit log, live: its newest entries (the newest segments until
 * they fill a page, validated one by one) and their chain verification (signatures, hash
 * links across those segments, signed heads) computed here in the browser. Shared by the
 * Audit view and the task detail view.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { storeToRefs } from "pinia"
import { onScopeDispose, shallowRef, watch } from "vue"
import type { AuditEntry, PeerRecord } from "../../../schemas/index.ts"
import { auditPage, auditSegments, type ChainReport, verifyPeerAudit } from "../../domain/audit/index.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { whenReady } from "./useDocument.ts"

/** How many entries of each log the views read at least: its newest segments until they hold this many. */
export const AUDIT_PAGE = 500

export interface PeerAuditLog {
  peer: string
  record: PeerRecord
  /** The newest entries, oldest first: whole segments, at least AUDIT_PAGE of them when the log holds that many. */
  entries: AuditEntry[]
  /** Whether `entries` is the whole log (older segments are not read to show the newest page). */
  complete?: boolean
  /** Undefined until the first verification finishes. */
  report?: ChainReport
  error?: string
  /** Neither this device nor the relay holds the log yet (it loads by itself once it arrives). */
  unavailable?: boolean
}

export function useAuditLogs() {
  const store = useWorkspaceStore()
  const { root } = storeToRefs(store)
  const logs = shallowRef<PeerAuditLog[]>([])
  /** Per peer: the segments listed when it was last followed, and the segment handles watched. */
  const watched = new Map<string, { key: string; handles: Map<string, () => void>; off: () => void }>()
  const byPeer = new Map<string, PeerAuditLog>()
  let disposed = false

  const publish = () => {
    logs.value = [...byPeer.values()].sort((a, b) => (a.peer < b.peer ? -1 : 1))
  }

  const refresh = async (peer: string, record: PeerRecord) => {
    const w = watched.get(peer)
    if (!w) return
    try {
      const page = await auditPage(store.session!.repo, record, { minEntries: AUDIT_PAGE, find: url => store.session!.find<unknown>(url) })
      if (disposed) return
      for (const handle of page.handles) follow(w, handle, peer, record)
      const label = `audit ${record.auditUrl}`
      store.setDocIssues(label, page.issues)
      if (page.unavailable && !page.handles.length) {
        byPeer.set(peer, { peer, record, entries: [], unavailable: true })
        return publish()
      }
      byPeer.set(peer, { ...(byPeer.get(peer) ?? { peer, record }), record, entries: page.entries, complete: page.complete, unavailable: false })
      publish()
      // The verifier re-reads the segments itself, so a failure names the first bad seq.
      const report = await verifyPeerAudit(store.session!.repo, peer, record, { findTimeoutMs: 15_000, newestSegments: page.handles.length })
      if (disposed) return
      const current = byPeer.get(peer)
      if (current) byPeer.set(peer, { ...current, report })
      publish()
    } catch (error) {
      byPeer.set(peer, { peer, record, entries: [], error: `audit log not available yet: ${(error as Error).message}` })
      publish()
    }
  }

  /** Re-reads the log when one of its segments changes (verification is async crypto work: bursts of appends coalesce). */
  const follow = (w: { handles: Map<string, () => void> }, handle: DocHandle<unknown>, peer: string, record: PeerRecord) => {
    if (w.handles.has(handle.url)) return
    let pending: ReturnType<typeof setTimeout> | undefined
    const onChange = whenReady(handle, () => {
      clearTimeout(pending)
      pending = setTimeout(() => void refresh(peer, record), 100)
    })
    handle.on("change", onChange)
    w.handles.set(handle.url, () => (clearTimeout(pending), handle.off("change", onChange)))
  }

  const start = async (peer: string, record: PeerRecord) => {
    const key = auditSegments(record).map(s => s.url).join(" ")
    const existing = watched.get(peer)
    if (existing?.key === key) return
    existing?.off()
    const handles = new Map<string, () => void>()
    const w = { key, handles, off: () => handles.forEach(off => off()) }
    watched.set(peer, w)
    // The newest segment is watched even before it arrives: the page reads it once it does.
    try {
      follow(w, await store.session!.find<unknown>(auditSegments(record)[0]!.url), peer, record)
    } catch {
      // refresh reports it
    }
    await refresh(peer, record)
  }

  watch(
    () => root.value?.peers,
    peers => {
      for (const [name, record] of Object.entries(peers ?? {})) void start(name, record)
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    disposed = true
    for (const w of watched.values()) w.off()
  })
  return { logs }
}

/** Parses an entry's JSON data for display; a cut or broken value comes back as text. */
export function entryData(entry: AuditEntry): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(entry.data)
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : entry.data
  } catch {
    return entry.data
  }
}
