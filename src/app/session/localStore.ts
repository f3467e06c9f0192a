/**
 * What this browser keeps for itself in IndexedDB, outside the replicated documents:
 * the remembered workspace, the operator's signing key (a non-extractable CryptoKey,
 * stored by structured clone, so the private key never leaves WebCrypto), what the relay
 * acknowledged, what the last offline copy held, the last view painted, and a halt waiting
 * for the documents to open.
 */
import { createStore, del, get, getMany, set, setMany } from "idb-keyval"
import { z } from "zod"
import { LIMITS, PeerName, PublicKeyHex, Timestamp, WorkspaceAuthority } from "../../../schemas/index.ts"
import type { AnchorPins } from "../../workspace/workspace.ts"
import { parseCachedView, type CachedView } from "./cachedView.ts"
import type { AckState } from "./pendingChanges.ts"
import { RememberedWorkspace } from "./workspaceLink.ts"

const store = createStore("vivarium-local", "kv")

export interface StoredOperatorKey {
  name: string
  publicKeyHex: string
  key: CryptoKey
}
const StoredKeyShape = z.object({ name: PeerName, publicKeyHex: PublicKeyHex, key: z.custom<CryptoKey>(v => typeof CryptoKey !== "undefined" && v instanceof CryptoKey) })

export async function loadWorkspace(): Promise<RememberedWorkspace | undefined> {
  const parsed = RememberedWorkspace.safeParse(await get("workspace", store))
  return parsed.success ? parsed.data : undefined
}

export async function saveWorkspace(ws: RememberedWorkspace): Promise<void> {
  await set("workspace", ws, store)
}

export async function forgetWorkspace(): Promise<void> {
  await del("workspace", store)
}

/** Operator keys are per workspace: the same browser may be a different operator elsewhere. */
export async function loadOperatorKey(workspaceId: string): Promise<StoredOperatorKey | undefined> {
  const parsed = StoredKeyShape.safeParse(await get(`operator:${workspaceId}`, store))
  return parsed.success ? parsed.data : undefined
}

export async function saveOperatorKey(workspaceId: string, key: StoredOperatorKey): Promise<void> {
  await set(`operator:${workspaceId}`, key, store)
}

const HeadsByUrl = z.record(z.string(), z.array(z.string()))

/** Relay-acknowledged heads and this device's waiting actors per document, for the "N changes waiting" count across reloads. */
export async function loadAckState(workspaceId: string): Promise<AckState> {
  const [acked, actors] = await getMany([`acked:${workspaceId}`, `actors:${workspaceId}`], store)
  return { acked: HeadsByUrl.safeParse(acked).data ?? {}, actors: HeadsByUrl.safeParse(actors).data ?? {} }
}

export async function saveAckState(workspaceId: string, state: AckState): Promise<void> {
  await setMany(
    [
      [`acked:${workspaceId}`, state.acked],
      [`actors:${workspaceId}`, state.actors],
    ],
    store,
  )
}

/** What the last offline copy of the workspace held (offlineCopy.ts). */
export const OfflineRecord = z.object({
  copiedAt: z.number(),
  documents: z.number().int().nonnegative(),
  missing: z.array(z.object({ kind: z.string(), url: z.string() })),
  skipped: z.number().int().nonnegative(),
})
export type OfflineRecord = z.infer<typeof OfflineRecord>

export async function loadOfflineRecord(workspaceId: string): Promise<OfflineRecord | undefined> {
  return OfflineRecord.safeParse(await get(`offline:${workspaceId}`, store)).data
}

export async function saveOfflineRecord(workspaceId: string, record: OfflineRecord): Promise<void> {
  await set(`offline:${workspaceId}`, record, store)
}

/** The workspace's authority anchors as this browser first saw them: later roots must match. */
export const browserAnchorPins: AnchorPins = {
  async pin(workspaceId, seen) {
    const pinned = WorkspaceAuthority.safeParse(await get(`anchors:${workspaceId}`, store))
    if (pinned.success) return pinned.data
    if (seen) await set(`anchors:${workspaceId}`, seen, store)
    return seen
  },
}

/** The shell's and the dashboard's last view (cachedView.ts); a stored value that is not one reads as none. */
export async function loadCachedView(workspaceId: string): Promise<CachedView | undefined> {
  return parseCachedView(await get(`view:${workspaceId}`, store), workspaceId)
}

export async function saveCachedView(view: CachedView): Promise<void> {
  await set(`view:${view.workspaceId}`, view, store)
}

/**
 * A halt the operator asked for before the workspace's documents were open: kept here until
 * it is written, so neither a slow start nor a closed tab loses it.
 */
export const QueuedHalt = z.strictObject({ reason: z.string().min(1).max(LIMITS.reason), at: Timestamp })
export type QueuedHalt = z.infer<typeof QueuedHalt>

export async function loadQueuedHalt(workspaceId: string): Promise<QueuedHalt | undefined> {
  return QueuedHalt.safeParse(await get(`halt:${workspaceId}`, store)).data
}

export async function saveQueuedHalt(workspaceId: string, halt: QueuedHalt | undefined): Promise<void> {
  if (halt) await set(`halt:${workspaceId}`, halt, store)
  else await del(`halt:${workspaceId}`, store)
}
