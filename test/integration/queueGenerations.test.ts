/**
 * Queue generations between real peers of a real relay: the relay copies the live tasks into
 * a fresh queue document and every peer follows the root to it; what an offline peer wrote
 * into the closed generation meanwhile (a new task, a decision on an old one) is carried
 * forward once, and the new generation holds a fraction of the old one's history.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { QueueDoc } from "../../schemas/index.ts"
import { addTask, decideTask } from "../../src/domain/tasks/index.ts"
import { carryForward, rotateQueue } from "../../peer-server/queueGenerations.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { refusals, startGateHarness } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const ALWAYS = { minOps: 0, historyFactor: 0 }

async function operator(relay: TestRelay, name: string) {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  return { peer, ctx: await peerOperator(peer) }
}

const hasTasks = (peer: Pick<NodePeer, "workspace">, ids: string[]) => ids.every(id => peer.workspace.tasks.get(id))

describe("queue generations", () => {
  it("peers follow a new generation; an offline peer's task and decision written into the old one are carried forward once", async () => {
    // The relay checks hourly: the test starts the generation itself.
    const relay = await startTestRelay(teardown, { queueGenerationIntervalMs: 3_600_000 })
    const { peer: a, ctx: alice } = await operator(relay, "alice")
    const { peer: b, ctx: bob } = await operator(relay, "bob")

    // History: 40 tasks come and go (as the archiver removes finished ones); two stay live.
    const gone: string[] = []
    for (let i = 0; i < 40; i++) gone.push((await addTask(alice, { command: `echo history ${i}` })).id)
    const kept = [(await addTask(alice, { command: "echo kept one" })).id, (await addTask(alice, { command: "echo kept two" })).id]
    await waitFor(() => hasTasks(relay, [...gone, ...kept]), { events: [[relay.workspace.tasks, "change"]], timeoutMs: 15_000, message: "the relay to see every task" })
    relay.workspace.queueHandle.change(d => {
      for (const id of gone) delete d.tasks[id]
    })
    await waitFor(() => hasTasks(b, kept) && !b.workspace.tasks.get(gone[0]!), { events: [[b.workspace.tasks, "change"]], timeoutMs: 10_000, message: "bob to see the live queue" })

    // Bob goes offline; the relay starts a new generation.
    b.repo.networkSubsystem.disconnect()
    await waitFor(() => !relay.repo.peers.includes(b.repo.peerId), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]], message: "the relay to see bob leave" })
    const old = relay.workspace.queueHandle
    const url = rotateQueue(relay.repo, relay.workspace, ALWAYS)
    expect(url).toBeDefined()
    expect(relay.workspace.root.docs.queue).toBe(url)
    expect(relay.workspace.root.docs.formerQueues).toEqual([old.url])
    const fresh = await relay.repo.find<QueueDoc>(url!)
    expect(fresh.doc().generation).toBe(1)
    expect(A.stats(fresh.doc()).numOps * 5).toBeLessThan(A.stats(old.doc()).numOps)

    // Alice follows the root to it, with the same tasks.
    await waitFor(() => a.workspace.queueHandle.url === url, { events: [[a.workspace.rootHandle, "change"], [a.workspace.tasks, "change"]], timeoutMs: 10_000, message: "alice to follow the new queue" })
    expect([...a.workspace.tasks.entries.keys()].sort()).toEqual([...kept].sort())

    // Offline, Bob still writes into the closed generation: a new task and a cancelled one.
    expect(b.workspace.queueHandle.url).toBe(old.url)
    const late = await addTask(bob, { command: "echo written offline" })
    await decideTask(bob, kept[0]!, "cancel")

    // Back online: the relay carries both into the live queue; every peer shows them there.
    b.repo.networkSubsystem.reconnect()
    for (const p of [relay, a, b])
      await waitFor(() => p.workspace.queueHandle.url === url && !!p.workspace.tasks.get(late.id) && p.workspace.tasks.get(kept[0]!)?.status === "cancelled", {
        events: [[p.workspace.tasks, "change"], [p.workspace.rootHandle, "change"]],
        timeoutMs: 15_000,
        message: `${"identity" in p ? p.identity.name : "the relay"} to show bob's offline task and decision in the new queue`,
      })
    expect(relay.workspace.tasks.get(late.id)!.command).toBe("echo written offline")
    expect(relay.workspace.tasks.get(kept[1]!)!.status).toBe("queued")

    // Carried once: nothing is left to carry, and the closed generation says where its tasks went.
    const closed = await relay.repo.find<QueueDoc>(old.url as AutomergeUrl)
    expect(closed.doc().movedTo).toBe(url)
    expect(carryForward(closed, fresh as DocHandle<QueueDoc>)).toEqual({ carried: [], dropped: [] })
  })

  it("a peer may not write a queue's generation fields: the gate refuses the change", async () => {
    const h = await startGateHarness(teardown)
    const mallory = await h.peer("mallory", "operator")
    mallory.workspace.queueHandle.change(d => {
      d.movedTo = mallory.workspace.root.docs.rooms as QueueDoc["movedTo"]
      d.generation = 7
    })
    expect(refusals(await mallory.push())).toEqual([expect.stringMatching(/queue\.(movedTo|generation) is written by the relay only/)])
    expect(h.workspace.queueHandle.doc().movedTo).toBeUndefined()
  })
})
