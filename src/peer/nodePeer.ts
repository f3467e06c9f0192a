/**
 * A Node peer of a running relay (CLI commands, workers, tests): asks the relay for the
 * workspace over HTTP, then syncs over an authenticated WebSocket.
 */
import { Repo, type AutomergeUrl, type PeerId, type PeerMetadata } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { z } from "zod"
import { DocUrl } from "../../schemas/index.ts"
import { ClosableStorageAdapter } from "./closableStorage.ts"
import { flushReady, whenPeerHas } from "../workspace/sync.ts"
import { Workspace } from "../workspace/workspace.ts"

export class RelayError extends Error {
  override readonly name = "RelayError"
}

export interface PeerOptions {
  /** ws://host:port of the relay. */
  relay: string
  token: string
  /** Keep documents on disk here (workers); omit for a memory-only peer (CLI). */
  storageDir?: string
  /** Reconnect interval after the relay goes away. */
  retryMs?: number
  connectTimeoutMs?: number
  peerId?: string
  /** This peer's registered name, told to the relay when it joins (workers). */
  peerName?: string
}

export interface NodePeer {
  readonly repo: Repo
  readonly workspace: Workspace
  readonly relayPeerId: () => PeerId | undefined
  /** Waits until the relay holds every local change of every document this peer has open. */
  flushToRelay(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

const WorkspaceAnswer = z.object({ rootUrl: DocUrl, workspaceId: z.string(), name: z.string() })

export function relayHttpUrl(relay: string): string {
  const url = new URL(relay)
  if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new RelayError(`relay address must start with ws:// or wss://, got ${relay}`)
  url.protocol = url.protocol === "wss:" ? "https:" : "http:"
  url.search = ""
  return url.toString().replace(/\/$/, "")
}

export async function fetchWorkspace(relay: string, token: string): Promise<z.infer<typeof WorkspaceAnswer>> {
  const http = relayHttpUrl(relay)
  let res: Response
  try {
    res = await fetch(`${http}/api/workspace`, { headers: { Authorization: `Bearer ${token}` } })
  } catch (error) {
    throw new RelayError(`cannot reach the relay at ${http} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`)
  }
  if (res.status === 401) throw new RelayError(`the relay at ${http} refused the secret (401): check --token or VIVARIUM_TOKEN`)
  if (!res.ok) throw new RelayError(`the relay at ${http} answered ${res.status} to /api/workspace`)
  const parsed = WorkspaceAnswer.safeParse(await res.json())
  if (!parsed.success) throw new RelayError(`the relay at ${http} sent an unexpected workspace answer`)
  return parsed.data
}

/** The join metadata field a Node peer names itself in (read by the relay's interim gate binding). */
export const PEER_NAME_METADATA = "vivariumPeer"

/** Tells the relay which registered peer this connection speaks for, in its join metadata. */
class NamedClientAdapter extends WebSocketClientAdapter {
  constructor(
    url: string,
    retryMs: number,
    readonly peerName: string,
  ) {
    super(url, retryMs)
  }

  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    super.connect(peerId, { ...peerMetadata, [PEER_NAME_METADATA]: this.peerName } as PeerMetadata)
  }
}

export async function connectPeer(opts: PeerOptions): Promise<NodePeer> {
  const { rootUrl } = await fetchWorkspace(opts.relay, opts.token)
  const wsUrl = new URL(opts.relay)
  wsUrl.searchParams.set("token", opts.token)
  const adapter = opts.peerName ? new NamedClientAdapter(wsUrl.toString(), opts.retryMs ?? 1000, opts.peerName) : new WebSocketClientAdapter(wsUrl.toString(), opts.retryMs ?? 1000)
  const storage = opts.storageDir ? new ClosableStorageAdapter(new NodeFSStorageAdapter(opts.storageDir)) : undefined
  const repo = new Repo({
    network: [adapter],
    ...(storage ? { storage } : {}),
    ...(opts.peerId ? { peerId: opts.peerId as PeerId } : {}),
  })
  const timeoutMs = opts.connectTimeoutMs ?? 10_000
  let workspace: Workspace
  try {
    await new Promise<void>((resolve, reject) => {
      if (repo.peers.length) return resolve()
      const timer = setTimeout(() => reject(new RelayError(`no sync connection to ${opts.relay} within ${timeoutMs} ms`)), timeoutMs)
      repo.networkSubsystem.once("peer", () => {
        clearTimeout(timer)
        resolve()
      })
    })
    workspace = await Workspace.open(repo, rootUrl as AutomergeUrl)
  } catch (error) {
    // Do not leave a Repo reconnecting in the background behind a failed connect.
    await repo.shutdown().catch(() => {})
    await storage?.close()
    throw error
  }
  const relayPeerId = () => adapter.remotePeerId
  return {
    repo,
    workspace,
    relayPeerId,
    async flushToRelay(timeout = 10_000) {
      const peer = relayPeerId()
      if (!peer) throw new RelayError("not connected to the relay")
      // Every document this peer holds (root, queue, its audit log, …), not just the queue.
      const ready = Object.values(repo.handles).filter(h => h.isReady())
      await Promise.all(ready.map(h => whenPeerHas(repo, h, peer, timeout)))
    },
    async close() {
      workspace.close()
      await flushReady(repo)
      await repo.shutdown().catch(() => {})
      await storage?.close()
    },
  }
}
