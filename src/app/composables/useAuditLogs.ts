/**
 * Every registered peer's audit log, live: its entries (validated one by one) and its
 * chain verification (signatures, hash links, signed head) computed here in the browser.
 * Shared by the Audit view and the task detail view.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { storeToRefs } from "pinia"
import { onScopeDispose, shallowRef, watch } from "vue"
import type { AuditEntry, PeerRecord } from "../../../schemas/index.ts"
import { type ChainReport, verifyPeerAudit } from "../../domain/audit/index.ts"
import type { DataIssue } from "../../core/validate.ts"
import { readAuditEntries } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { whenReady } from "./useDocument.ts"

export interface PeerAuditLog {
  peer: string
  record: PeerRecord
  entries: AuditEntry[]
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
  const watched = new Map<string, { handle: DocHandle<unknown>; off: () => void; url: string }>()
  const byPeer = new Map<string, PeerAuditLog>()
  let disposed = false

  const publish = () => {
    logs.value = [...byPeer.values()].sort((a, b) => (a.peer < b.peer ? -1 : 1))
  }

  const refresh = async (peer: string, record: PeerRecord, handle: DocHandle<unknown>) => {
    const issues: DataIssue[] = []
    const label = `audit ${record.auditUrl}`
    let entries: AuditEntry[] = []
    try {
      entries = readAuditEntries(handle.doc(), label, issues)
    } catch (error) {
      issues.push({ doc: label, path: "", message: (error as Error).message })
    }
    store.setDocIssues(label, issues)
    byPeer.set(peer, { ...(byPeer.get(peer) ?? { peer, record }), record, entries, unavailable: false })
    publish()
    // The verifier re-reads the document itself, so a failure names the first bad seq.
    const report = await verifyPeerAudit(store.session!.repo, peer, record, { findTimeoutMs: 15_000 })
    if (disposed) return
    const current = byPeer.get(peer)
    if (current) byPeer.set(peer, { ...current, report })
    publish()
  }

  const follow = async (peer: string, record: PeerRecord) => {
    const existing = watched.get(peer)
    if (existing?.url === record.auditUrl) return
    existing?.off()
    try {
      const handle = await store.session!.find<unknown>(record.auditUrl as AutomergeUrl)
      if (disposed) return
      let pending: ReturnType<typeof setTimeout> | undefined
      // Verification is async crypto work: coalesce bursts of appends.
      const onChange = whenReady(handle, () => {
        clearTimeout(pending)
        pending = setTimeout(() => void refresh(peer, record, handle), 100)
      })
      handle.on("change", onChange)
      watched.set(peer, { handle, url: record.auditUrl, off: () => (clearTimeout(pending), handle.off("change", onChange)) })
      if (handle.isReady()) return await refresh(peer, record, handle)
      byPeer.set(peer, { peer, record, entries: [], unavailable: true })
      publish()
    } catch (error) {
      byPeer.set(peer, { peer, record, entries: [], error: `audit log not available yet: ${(error as Error).message}` })
      publish()
    }
  }

  watch(
    () => root.value?.peers,
    peers => {
      for (const [name, record] of Object.entries(peers ?? {})) void follow(name, record)
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
