/**
 * Peers of either system, so a benchmark drives both the same way.
 *  - vivarium: `connectPeer` (HTTP workspace lookup, authenticated WebSocket, Workspace.open).
 *  - bare: a plain Repo with a WebSocketClientAdapter and nothing else.
 * Neither peer has storage (memory-only, like the CLI).
 */
import * as A from "@automerge/automerge"
import { Repo, type DocHandle, type PeerId } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import WebSocket from "ws"
import { dataDirPaths } from "../../peer-server/dataDir.ts"
import { connectPeer } from "../../src/peer/nodePeer.ts"
import { loadIdentity } from "../../src/peer/peerIdentity.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { whenPeerHas } from "../../src/workspace/sync.ts"
import type { SystemName } from "./relays.ts"

export interface RelayAddress {
  wsUrl: string
  token: string
  /** The relay's data directory: Vivarium peers act as its owner, whose key is kept there. */
  dataDir: string
}

export interface BenchPeer {
  readonly system: SystemName
  readonly repo: Repo
  /** Only for vivarium peers. */
  readonly workspace: Workspace | undefined
  readonly relayPeerId: PeerId
  close(): Promise<void>
}

/** The key of the relay's owner, kept in its data directory: Vivarium bench peers speak for it. */
export async function ownerIdentity(dataDir: string): Promise<NonNullable<Awaited<ReturnType<typeof loadIdentity>>>> {
  const identity = await loadIdentity(dataDirPaths(dataDir).ownerIdentity)
  if (!identity) throw new Error(`vivarium peer: no owner key in ${dataDir}`)
  return identity
}

export async function connectBenchPeer(system: SystemName, relay: RelayAddress, timeoutMs = 15_000): Promise<BenchPeer> {
  if (system === "vivarium") {
    const identity = await ownerIdentity(relay.dataDir)
    const peer = await connectPeer({ relay: relay.wsUrl, token: relay.token, identity, connectTimeoutMs: timeoutMs })
    const relayPeerId = peer.relayPeerId()
    if (!relayPeerId) throw new Error("vivarium peer: connected but no relay peer id")
    return { system, repo: peer.repo, workspace: peer.workspace, relayPeerId, close: () => peer.close() }
  }
  const repo = new Repo({ network: [new WebSocketClientAdapter(relay.wsUrl, 1000)] })
  const relayPeerId = await new Promise<PeerId>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare peer: no connection to ${relay.wsUrl} within ${timeoutMs} ms`)), timeoutMs)
    repo.networkSubsystem.once("peer", ({ peerId }) => {
      clearTimeout(timer)
      resolve(peerId)
    })
  }).catch(async error => {
    await repo.shutdown().catch(() => {})
    throw error
  })
  return {
    system,
    repo,
    workspace: undefined,
    relayPeerId,
    async close() {
      await repo.flush().catch(() => {})
      await repo.shutdown().catch(() => {})
    },
  }
}

/** Resolves once the relay holds every change of `handle` (the same wait the CLI uses, on any Repo). */
export function whenRelayHas(peer: BenchPeer, handle: DocHandle<unknown>, timeoutMs = 120_000): Promise<void> {
  return whenPeerHas(peer.repo, handle, peer.relayPeerId, timeoutMs)
}

/** Resolves with the first `change` payload of `handle` for which `test` holds (or at once if it holds now). */
export function whenDoc<T>(handle: DocHandle<T>, test: (doc: T) => boolean, timeoutMs: number, what: string): Promise<void> {
  if (test(handle.doc() as T)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onChange = ({ doc }: { doc: T }) => {
      if (!test(doc)) return
      cleanup()
      resolve()
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`${what}: not reached within ${timeoutMs} ms`))
    }, timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      handle.off("change", onChange)
    }
    handle.on("change", onChange)
  })
}

/**
 * Frames sent by every WebSocket of this process from now on: what reaches the wire, where a
 * Repo's count would include messages its adapter holds back. Call once per process.
 */
export function countSentFrames(): () => number {
  let sent = 0
  const send = WebSocket.prototype.send
  WebSocket.prototype.send = function (this: WebSocket, ...args: Parameters<typeof send>) {
    sent++
    return send.apply(this, args)
  } as typeof send
  return () => sent
}

/** Counts a peer's Repo messages in and out (frames over its one connection, the relay's). */
export function countMessages(repo: Repo): { in: number; out: number } {
  const counts = { in: 0, out: 0 }
  const network = repo.networkSubsystem
  network.on("message", () => counts.in++)
  const send = network.send.bind(network)
  network.send = message => {
    counts.out++
    send(message)
  }
  return counts
}

/** A document's heads as one comparable string. */
export function headsKey(doc: A.Doc<unknown>): string {
  return [...A.getHeads(doc)].sort().join(",")
}
