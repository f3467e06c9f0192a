/** The browser's Repo: documents in IndexedDB, sync over the relay's authenticated WebSocket. */
import { initializeWasm, Repo } from "@automerge/automerge-repo/slim"
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import wasmUrl from "@automerge/automerge/automerge.wasm?url"
import { syncUrlFor, type RememberedWorkspace } from "./workspaceLink.ts"

let wasm: Promise<void> | undefined

/** Loads the Automerge WASM once (from the service worker's cache when offline). */
export function loadAutomerge(): Promise<void> {
  return (wasm ??= initializeWasm(wasmUrl))
}

export async function openBrowserRepo(link: RememberedWorkspace, retryMs = 2_000): Promise<Repo> {
  await loadAutomerge()
  return new Repo({
    // One database per workspace, so joining another relay never mixes documents.
    storage: new IndexedDBStorageAdapter(`vivarium-${link.workspaceId}`),
    network: [new BrowserWebSocketClientAdapter(syncUrlFor(link), retryMs)],
    // A tab can be closed right after an edit made offline: write to IndexedDB promptly.
    saveDebounceRate: 20,
  })
}
