/** Node peers of a relay (over real WebSockets), closed by the teardown. */
import { connectPeer, type NodePeer, type PeerOptions } from "../../src/peer/nodePeer.ts"
import type { Teardown } from "./teardown.ts"

export interface RelayAddress {
  wsUrl: string
  token: string
}

export async function connectTestPeer(teardown: Teardown, relay: RelayAddress, opts: Partial<PeerOptions> = {}): Promise<NodePeer> {
  // A short retry keeps reconnects (after disconnect or a relay restart) quick.
  const peer = await connectPeer({ relay: relay.wsUrl, token: relay.token, retryMs: 200, connectTimeoutMs: 10_000, ...opts })
  let closed = false
  const close = peer.close.bind(peer)
  const closeOnce = async () => {
    if (closed) return
    closed = true
    await close()
  }
  teardown.add(closeOnce)
  return { ...peer, close: closeOnce }
}

export async function connectTestPeers(teardown: Teardown, relay: RelayAddress, n: number, opts: Partial<PeerOptions> = {}): Promise<NodePeer[]> {
  return Promise.all(Array.from({ length: n }, () => connectTestPeer(teardown, relay, opts)))
}
