/** The browser's Repo: documents in IndexedDB, sync over a WebSocket that proves this browser's operator key. */
import { initializeWasm, Repo } from "@automerge/automerge-repo/slim"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import wasmUrl from "@automerge/automerge/automerge.wasm?url"
import { signHex } from "../../core/signing.ts"
import { discardLocalCopy } from "../../peer/localCopy.ts"
import { RelayClientAdapter, type WebSocketConstructor } from "../../peer/relayClientAdapter.ts"
import type { StoredOperatorKey } from "./localStore.ts"
import { syncUrlFor, type RememberedWorkspace } from "./workspaceLink.ts"

let wasm: Promise<void> | undefined

/** Loads the Automerge WASM once (from the service worker's cache when offline). */
export function loadAutomerge(): Promise<void> {
  return (wasm ??= initializeWasm(wasmUrl))
}

export interface BrowserRepo {
  repo: Repo
  /** The relay's refusals and key failures, for the app to show. */
  notices: RelayClientAdapter["notices"]
  /** Forgets this browser's copy of a document, so the next start loads it from the relay (localCopy.ts). */
  discardLocalCopy(documentId: string): Promise<void>
}

export async function openBrowserRepo(link: RememberedWorkspace, operator: StoredOperatorKey, retryMs = 2_000): Promise<BrowserRepo> {
  await loadAutomerge()
  const adapter = new RelayClientAdapter({
    url: syncUrlFor(link),
    workspaceId: link.workspaceId,
    signer: { peer: operator.name, sign: text => signHex(operator.key, text) },
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    retryMs,
  })
  // A lost network can leave the socket looking open: when the browser says it is offline, start over.
  window.addEventListener("offline", () => adapter.redial())
  // One database per workspace, so joining another relay never mixes documents.
  const storage = new IndexedDBStorageAdapter(`vivarium-${link.workspaceId}`)
  const repo = new Repo({
    storage,
    network: [adapter],
    // A tab can be closed right after an edit made offline: write to IndexedDB promptly.
    saveDebounceRate: 20,
  })
  return {
    repo,
    notices: adapter.notices,
    discardLocalCopy: documentId => discardLocalCopy(repo, storage, documentId),
  }
}
