/**
 * What this browser keeps for itself in IndexedDB, outside the replicated documents:
 * the remembered workspace and the operator's signing key (a non-extractable CryptoKey,
 * stored by structured clone, so the private key never leaves WebCrypto).
 */
import { createStore, del, get, set } from "idb-keyval"
import { z } from "zod"
import { PeerName, PublicKeyHex, WorkspaceAuthority } from "../../../schemas/index.ts"
import type { AnchorPins } from "../../workspace/workspace.ts"
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

/** Relay-acknowledged heads per document, for the "N changes waiting" count across reloads. */
export async function loadAckedHeads(workspaceId: string): Promise<Record<string, string[]>> {
  const value = await get(`acked:${workspaceId}`, store)
  return z.record(z.string(), z.array(z.string())).safeParse(value).data ?? {}
}

export async function saveAckedHeads(workspaceId: string, heads: Record<string, string[]>): Promise<void> {
  await set(`acked:${workspaceId}`, heads, store)
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
