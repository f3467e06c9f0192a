/**
 * No frame kills anything: a peer with an approved key sends what automerge-repo never
 * would. Each frame closes only that connection, with a code and a reason; the relay keeps
 * answering and two honest peers keep syncing through it.
 */
import * as A from "@automerge/automerge"
import { cbor } from "@automerge/automerge-repo"
import { beforeAll, describe, expect, it } from "vitest"
import { SCHEMA_VERSION, type RoomDoc } from "../../schemas/index.ts"
import { CLOSE } from "../../schemas/wire.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"
import { whenPeerHas } from "../../src/workspace/sync.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { openRawPeer } from "../helpers/rawSocket.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown("all")
const FRAME_BYTES = 64 * 1024

let relay: TestRelay
let rogue: PeerIdentity
let honest: [NodePeer, NodePeer]

beforeAll(async () => {
  relay = await startTestRelay(teardown, { connectionLimits: { frameBytes: FRAME_BYTES, messagesPerSecond: 200, messageBurst: 400 } })
  rogue = await approvedIdentity(relay)
  honest = [await connectTestPeer(teardown, relay), await connectTestPeer(teardown, relay)]
})

const encode = (message: unknown) => Buffer.from(cbor.encode(message))
const join = (senderId: string) => encode({ type: "join", senderId, peerMetadata: {}, supportedProtocolVersions: ["1"] })
const relayId = () => relay.adapter.peerId!
const rootId = () => relay.workspace.rootHandle.documentId

/** A sync message for the root document as a fresh peer would send it. */
function syncFrame(senderId: string, data = A.encodeSyncMessage({ heads: [], need: [], have: [], changes: [] })): Buffer {
  return encode({ type: "sync", senderId, targetId: relayId(), documentId: rootId(), data })
}

/** Presence as a repo passes it on: under the id of the peer that wrote it. */
function ephemeralFrame(senderId: string): Buffer {
  return encode({ type: "ephemeral", senderId, targetId: relayId(), documentId: rootId(), count: 1, sessionId: "s1", data: new Uint8Array([0xa0]) })
}

/** A well-formed sync message whose one change is corrupt inside. */
function corruptChangeData(): Uint8Array {
  const doc = A.change(A.init<{ x: string }>(), d => {
    d.x = "a change the relay will never apply"
  })
  const change = A.getAllChanges(doc)[0]!.slice()
  for (let i = 12; i < change.length; i += 3) change[i] = change[i]! ^ 0x5a
  return A.encodeSyncMessage({ heads: [], need: [], have: [], changes: [change] })
}

/** An honest change on one peer reaches the other through the relay, and /healthz says ok. */
async function relayStillServes(tag: string): Promise<void> {
  const [a, b] = honest
  // A new room: a document an operator may create (the gate refuses documents of no known kind).
  const roomId = tag.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+/, "").slice(0, 100)
  const doc = a.repo.create<RoomDoc>({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId, messages: [] })
  await whenPeerHas(a.repo, doc, a.relayPeerId()!, 10_000)
  const seen = await b.repo.find<RoomDoc>(doc.url)
  expect(seen.doc().roomId).toBe(roomId)
  const health = (await (await fetch(`${relay.httpUrl}/healthz`)).json()) as { ok: boolean }
  expect(health.ok).toBe(true)
}

const cases: [string, () => (Buffer | string)[], number, RegExp][] = [
  ["CBOR null (0xf6)", () => [Buffer.from([0xf6])], CLOSE.malformed, /not a sync message/],
  ["a CBOR integer", () => [Buffer.from([0x01])], CLOSE.malformed, /not a sync message/],
  ["a join without senderId", () => [encode({ type: "join" })], CLOSE.malformed, /senderId/],
  ["non-CBOR garbage", () => [Buffer.from([0xff, 0xff, 0xff])], CLOSE.malformed, /not CBOR/],
  ["a text frame", () => ["hello"], CLOSE.malformed, /text frame/],
  ["a message before the join", () => [syncFrame("rogue-early")], CLOSE.malformed, /first message must be a join/],
  ["a spoofed senderId", () => [join("rogue-a"), syncFrame("someone-else")], CLOSE.malformed, /senderId differs/],
  // Presence passed on under its author's id is dropped, not closed: the second join is what closes.
  ["a second join after passed-on presence", () => [join("rogue-f"), ephemeralFrame("a-browser"), join("rogue-f")], CLOSE.malformed, /second join/],
  ["a second join", () => [join("rogue-b"), join("rogue-b")], CLOSE.malformed, /second join/],
  // Only a follower relay says whose actors are: an operator claiming an actor for someone else is closed.
  [
    "a vivarium-actors message from an operator",
    () => [join("rogue-g"), encode({ type: "vivarium-actors", senderId: "rogue-g", targetId: relayId(), actors: { ab12: "owner" } })],
    CLOSE.malformed,
    /only a follower relay says whose actors are/,
  ],
  ["sync data that is not an Automerge sync message", () => [join("rogue-c"), syncFrame("rogue-c", new Uint8Array([1, 2, 3]))], CLOSE.malformed, /not an Automerge sync message/],
  ["a frame over the limit", () => [Buffer.alloc(FRAME_BYTES + 1, 7)], CLOSE.tooLarge, new RegExp(`larger than ${FRAME_BYTES} bytes`)],
  [
    "a hot flood",
    () => [join("rogue-d"), ...Array.from({ length: 1_000 }, () => encode({ type: "remote-subscription-change", senderId: "rogue-d", targetId: relayId(), add: [] }))],
    CLOSE.rateLimited,
    /over 200 messages/,
  ],
]

describe("rogue frames from a peer with an approved key", () => {
  it.each(cases)("%s closes that connection only, with its code and reason", async (name, frames, code, reason) => {
    const closedBefore = relay.metrics.connectionsClosed
    const peer = await openRawPeer(teardown, relay, rogue)
    for (const frame of frames()) if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(frame)
    const closed = await peer.closed
    expect(closed.code, name).toBe(code)
    expect(closed.reason).toMatch(reason)
    expect(relay.metrics.connectionsClosed).toBe(closedBefore + 1)
    expect(relay.logs.at(-1)).toMatch(new RegExp(`closed the connection of ${rogue.name}: ${code} `))
    await relayStillServes(name)
  })

  it("a corrupt change inside a well-formed sync message does not take the relay down", async () => {
    const peer = await openRawPeer(teardown, relay, rogue)
    peer.ws.send(join("rogue-e"))
    peer.ws.send(syncFrame("rogue-e", corruptChangeData()))
    await relayStillServes("after a corrupt change")
    expect(relay.workspace.root.kind).toBe("root")
  })

  it("a socket that stops answering pings is dropped within two heartbeats", async () => {
    const beat = await startTestRelay(teardown, { heartbeatMs: 200 })
    const peer = await openRawPeer(teardown, beat, await approvedIdentity(beat))
    peer.ws.send(join("sleepy"))
    await waitFor(() => beat.metrics.connectedPeers === 1, { message: "the raw peer to count as connected" })
    // ws answers pings by itself; a silent peer is one whose pong never comes.
    peer.ws.pong = () => {}
    // Two intervals (400 ms) and a margin for a loaded machine.
    await waitFor(() => beat.metrics.connectedPeers === 0, { timeoutMs: 1_500, message: "the silent peer to be dropped" })
    expect(beat.logs.some(l => l.includes("no answer to two heartbeats"))).toBe(true)
  })
})
