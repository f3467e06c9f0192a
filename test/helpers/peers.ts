/** Node peers of a relay (over real WebSockets, each speaking for a key), closed by the teardown. */
import type { Actor } from "../../schemas/index.ts"
import { connectPeer, type NodePeer, type PeerOptions } from "../../src/peer/nodePeer.ts"
import { ownerIdentityOf } from "./operatorHome.ts"
import { approvedIdentity, type TestRelay } from "./relay.ts"
import type { Teardown } from "./teardown.ts"

export interface RelayAddress {
  wsUrl: string
  token: string
  /** The relay's data directory, where its owner's key is. */
  dataDir: string
}

/**
 * Connects an approved operator peer. With an in-process relay, each peer gets a key of its
 * own, enrolled and approved; a relay in another process is joined as its owner (the key in
 * its data directory). `opts.identity` picks the key instead.
 */
export async function connectTestPeer(teardown: Teardown, relay: RelayAddress | TestRelay, opts: Partial<PeerOptions> = {}): Promise<NodePeer> {
  const identity = opts.identity ?? ("workspace" in relay ? await approvedIdentity(relay) : await ownerIdentityOf(relay.dataDir))
  // A short retry keeps reconnects (after disconnect or a relay restart) quick.
  const peer = await connectPeer({ relay: relay.wsUrl, token: relay.token, retryMs: 200, connectTimeoutMs: 10_000, ...opts, identity })
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

export async function connectTestPeers(teardown: Teardown, relay: RelayAddress | TestRelay, n: number, opts: Partial<PeerOptions> = {}): Promise<NodePeer[]> {
  return Promise.all(Array.from({ length: n }, () => connectTestPeer(teardown, relay, opts)))
}

/** The operator a connected peer speaks for, as its writes name it (the relay refuses any other name). */
export function operatorOf(peer: Pick<NodePeer, "identity">): Actor {
  return { kind: "operator", name: peer.identity.name }
}
