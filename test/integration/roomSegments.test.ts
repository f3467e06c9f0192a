/**
 * Room segments between real peers of a real relay: a message written offline into a
 * period whose segment another peer already has lands once and in order everywhere; and a
 * workspace written by the code before segments (test/fixtures/mainRooms) opens with every
 * message in the same order, its room documents never rewritten.
 */
import { cpSync } from "node:fs"
import { join } from "node:path"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { Message, RoomIndexDoc } from "../../schemas/index.ts"
import { addDueSegments, postMessage, roomMessages, roomPage, rooms } from "../../src/domain/rooms/index.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const HOUR = 3600_000
const FEB_10 = Date.UTC(2027, 1, 10)
const MAR_1 = Date.UTC(2027, 2, 1)

const contents = (messages: Message[]) => messages.map(m => m.content)
const periodsOf = async (peer: Pick<NodePeer, "workspace">) => ((await rooms(peer.workspace)).get("town_hall")?.segments ?? []).map(s => s.period)

async function operator(relay: TestRelay, name: string) {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  return { peer, ctx: { ...(await peerOperator(peer)), workspace: peer.workspace } }
}

describe("room segments", () => {
  it("a message written offline into a period another peer has meanwhile closed lands once and in order", async () => {
    const relay = await startTestRelay(teardown)
    const { peer: a, ctx: alice } = await operator(relay, "alice")
    const { peer: b, ctx: bob } = await operator(relay, "bob")

    // February's segment, then a message from each: both peers hold the segment.
    expect(await addDueSegments(relay.workspace, FEB_10)).toBeGreaterThan(0)
    await postMessage({ ...alice, now: FEB_10 }, "town_hall", { content: "feb alice" })
    // Bob answers once he has read it: his message follows hers in the segment's own order too.
    await waitFor(async () => (await periodsOf(b))[0] === "2027-02" && contents(await roomMessages(b.workspace, "town_hall")).includes("feb alice"), {
      timeoutMs: 10_000,
      message: "bob to read alice's February message",
    })
    await postMessage({ ...bob, now: FEB_10 + HOUR }, "town_hall", { content: "feb bob" })
    for (const p of [a, b])
      await waitFor(async () => (await periodsOf(p))[0] === "2027-02" && contents(await roomMessages(p.workspace, "town_hall")).length === 2, {
        timeoutMs: 10_000,
        message: `${p.identity.name} to hold February's segment and both messages`,
      })

    // Bob goes offline; the relay closes February (March's segment); Alice writes into March.
    b.repo.networkSubsystem.disconnect()
    await waitFor(() => !relay.repo.peers.includes(b.repo.peerId), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]], message: "the relay to see bob leave" })
    expect(await addDueSegments(relay.workspace, MAR_1 + HOUR)).toBeGreaterThan(0)
    await waitFor(async () => (await periodsOf(a))[0] === "2027-03", { timeoutMs: 10_000, message: "alice to see March's segment" })
    await postMessage({ ...alice, now: MAR_1 + 2 * HOUR }, "town_hall", { content: "mar alice 1" })
    // Bob, offline, has no March segment: his March message goes into February's.
    expect(await periodsOf(b)).toEqual(["2027-02"])
    const late = await postMessage({ ...bob, now: MAR_1 + 3 * HOUR }, "town_hall", { content: "mar bob (offline)" })
    await postMessage({ ...alice, now: MAR_1 + 4 * HOUR }, "town_hall", { content: "mar alice 2" })
    const index = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
    const feb = index.doc().rooms.town_hall!.segments!.find(s => s.period === "2027-02")!
    expect((await b.repo.find<{ messages: Message[] }>(feb.url as AutomergeUrl)).doc().messages.map(m => m.id)).toContain(late.id)

    // Back online: every peer shows the message once, between Alice's two.
    b.repo.networkSubsystem.reconnect()
    const expected = ["feb alice", "feb bob", "mar alice 1", "mar bob (offline)", "mar alice 2"]
    for (const p of [a, b, relay])
      await waitFor(async () => expect(contents(await roomMessages(p.workspace, "town_hall"))).toEqual(expected), {
        timeoutMs: 15_000,
        message: `every message once and in order at ${"identity" in p ? p.identity.name : "the relay"}`,
      })
    // Bob's next message goes into March's segment, which he now holds.
    await waitFor(async () => (await periodsOf(b))[0] === "2027-03", { timeoutMs: 10_000, message: "bob to see March's segment" })
    await postMessage({ ...bob, now: MAR_1 + 5 * HOUR }, "town_hall", { content: "mar bob" })
    // The newest page reads March's segment alone.
    const page = await waitFor(
      async () => {
        const page = await roomPage(relay.workspace, "town_hall", 1)
        return page.messages.at(-1)?.content === "mar bob" && page
      },
      { timeoutMs: 10_000, message: "the relay to see bob's March message" },
    )
    expect(page.complete).toBe(false)
    expect(contents(page.messages)).toEqual(["mar alice 1", "mar alice 2", "mar bob"])
  })

  it("a workspace written before segments opens with every message, in the same order, nothing rewritten", async () => {
    const dataDir = join(makeTempDir(teardown, "vivarium-main-"), ".vivarium")
    cpSync(join(import.meta.dirname, "../fixtures/mainRooms/data"), dataDir, { recursive: true })
    const relay = await startTestRelay(teardown, { dataDir })
    const { peer, ctx } = await operator(relay, "carol")

    const entry = (await rooms(peer.workspace)).get("town_hall")!
    expect(entry.segments).toBeUndefined()
    const room = await relay.repo.find<{ messages: Message[] }>(entry.url as AutomergeUrl)
    const heads = room.heads()
    const before = await roomMessages(peer.workspace, "town_hall")
    expect(contents(before)).toEqual(Array.from({ length: 60 }, (_, i) => (i === 30 ? "Message 30, answering the first" : `Message ${i}`)))
    expect(before[30]!.replyTo).toBe(before[0]!.id)
    const dm = [...(await rooms(peer.workspace)).values()].find(r => r.kind === "dm")!
    expect(contents(await roomMessages(peer.workspace, dm.id))).toEqual(["DM 0", "DM 1", "DM 2"])

    // The relay adds January's segment: the old document stays the room's first one, untouched.
    expect(await addDueSegments(relay.workspace, Date.UTC(2027, 0, 10))).toBeGreaterThan(0)
    await waitFor(async () => (await periodsOf(peer))[0] === "2027-01", { timeoutMs: 10_000, message: "carol to see January's segment" })
    const after = (await rooms(peer.workspace)).get("town_hall")!
    expect(after.url).toBe(entry.url)
    await postMessage({ ...ctx, now: Date.UTC(2027, 0, 11) }, "town_hall", { content: "first of January", replyTo: before[0]!.id })
    await waitFor(async () => expect(contents(await roomMessages(relay.workspace, "town_hall"))).toEqual([...contents(before), "first of January"]), {
      timeoutMs: 10_000,
      message: "the relay to show the old messages and the new one",
    })
    expect(room.heads()).toEqual(heads)
    expect(contents(room.doc().messages)).toEqual(contents(before))
  })
})
