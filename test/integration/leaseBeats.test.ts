/**
 * Leases renewed by ephemeral beats, through a real relay: a held lease lives on with no change
 * to the queue or the root while it is renewed; it expires when the beats stop, even while its
 * holder stays connected; and a renewal from a peer that does not hold the lease is refused,
 * with the relay going on (it leases the task again). Through a follower relay, beats reach the
 * primary under the worker's name.
 */
import { getHeads } from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import { WORKER_BEAT_MARKER, type WorkerBeat } from "../../schemas/ephemeral.ts"
import type { Lease } from "../../schemas/index.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { startFakeGroq, type FakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { approvedIdentity, decide, enrol, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { startFollower, whenApprovedOn } from "../helpers/followers.ts"
import { loadOrCreateIdentity } from "../../src/peer/peerIdentity.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const LEASE_MS = 1_500

/** Resolves once the relay has taken renewals of `leaseId` spanning more than `spanMs` (its own clock). */
function renewalsSpanning(relay: TestRelay, leaseId: string, spanMs: number): Promise<number> {
  const liveness = relay.liveness!
  return new Promise(resolve => {
    let first: number | undefined
    let count = 0
    const seen = (id: string, at: number) => {
      if (id !== leaseId) return
      first ??= at
      count++
      if (at - first <= spanMs) return
      liveness.off("renewed", seen)
      resolve(count)
    }
    liveness.on("renewed", seen)
  })
}

/** The lease of task `id` once a worker runs it (its LLM call hangs at the fake Groq). */
async function heldWhileRunning(relay: TestRelay, id: string, fake: FakeGroq): Promise<Lease> {
  await waitFor(() => relay.workspace.tasks.get(id)?.status === "running" && fake.hungCount() === 1, {
    events: [[relay.workspace.tasks, "change"]],
    timeoutMs: 15_000,
    message: "a worker to run the task",
  })
  return relay.workspace.tasks.get(id)!.lease!
}

function beat(peer: NodePeer, body: WorkerBeat): void {
  peer.rootHandle.broadcast({ [WORKER_BEAT_MARKER]: body })
}

describe("leases renewed by beats", () => {
  it("a running worker's lease is renewed for several lease times with no change to the queue or the root", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50, onlineWindowMs: 1_000 })
    const op = await connectTestPeer(teardown, relay)
    await startWorker(teardown, relay, "steady", { fake, leaseMs: LEASE_MS })
    await approveWorker(relay, "steady")
    const task = op.workspace.addTask({ prompt: "Think for a long time." }, operatorOf(op))
    const lease = await heldWhileRunning(relay, task.id, fake)
    const queueHeads = getHeads(relay.workspace.queueHandle.doc())
    const rootHeads = getHeads(relay.workspace.rootHandle.doc())

    const renewals = await renewalsSpanning(relay, lease.leaseId, 3 * LEASE_MS)

    expect(renewals).toBeGreaterThan(3)
    expect(relay.workspace.tasks.get(task.id)).toMatchObject({ status: "running", lease })
    expect(getHeads(relay.workspace.queueHandle.doc())).toEqual(queueHeads)
    expect(getHeads(relay.workspace.rootHandle.doc())).toEqual(rootHeads)
    expect(relay.workspace.root.peers.steady).toMatchObject({ online: true })
  })

  it("a worker cut off for less than a lease comes back and goes on renewing: the relay marks it offline and online again, the lease stays", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50, onlineWindowMs: 1_000 })
    const op = await connectTestPeer(teardown, relay)
    const worker = await startWorker(teardown, relay, "blinker", { fake, leaseMs: LEASE_MS })
    await approveWorker(relay, "blinker")
    const task = op.workspace.addTask({ prompt: "Keep thinking through a blink." }, operatorOf(op))
    const lease = await heldWhileRunning(relay, task.id, fake)

    const onlineIs = (online: boolean, message: string) =>
      waitFor(() => relay.workspace.root.peers.blinker?.online === online, { events: [[relay.workspace.rootHandle, "change"]], message })
    worker.workspace.repo.networkSubsystem.disconnect()
    await onlineIs(false, "the relay to mark the worker offline")
    worker.workspace.repo.networkSubsystem.reconnect()
    await onlineIs(true, "the relay to mark the worker online again")
    await renewalsSpanning(relay, lease.leaseId, 2 * LEASE_MS)
    expect(relay.workspace.tasks.get(task.id)).toMatchObject({ status: "running", lease })
  })

  it("a lease expires when its renewals stop though its holder stays connected; a forged renewal is refused and the relay goes on", async () => {
    const relay = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50, onlineWindowMs: 1_000 })
    const op = await connectTestPeer(teardown, relay)
    const holderId = await approvedIdentity(relay, "worker", "holder", { concurrency: 1 })
    const holder = await connectTestPeer(teardown, relay, { identity: holderId })
    await waitFor(() => relay.workspace.root.peers.holder?.online === true, { events: [[relay.workspace.rootHandle, "change"]], message: "the holder marked online" })
    const task = op.workspace.addTask({ title: "Hold on", mode: "local", command: "true" }, operatorOf(op))
    await waitFor(() => relay.workspace.tasks.get(task.id)?.lease?.holder === "holder", { events: [[relay.workspace.tasks, "change"]], message: "the lease granted to the holder" })
    const { leaseId } = relay.workspace.tasks.get(task.id)!.lease!
    const renewal = { taskId: task.id, leaseId }

    // The holder renews for two lease times: the lease lives on.
    const renewing = setInterval(() => beat(holder, { worker: "holder", leases: [renewal] }), 200)
    teardown.add(() => clearInterval(renewing))
    await renewalsSpanning(relay, leaseId, 2 * LEASE_MS)
    expect(relay.workspace.tasks.get(task.id)?.lease?.leaseId).toBe(leaseId)

    // The holder goes quiet (still connected); another worker keeps naming the lease, as itself and as the holder.
    const forgerId = await approvedIdentity(relay, "worker", "forger", { concurrency: 1 })
    const forger = await connectTestPeer(teardown, relay, { identity: forgerId })
    clearInterval(renewing)
    const forging = setInterval(() => {
      beat(forger, { worker: "forger", leases: [renewal] })
      beat(forger, { worker: "holder", leases: [renewal] })
    }, 100)
    teardown.add(() => clearInterval(forging))

    await waitFor(() => relay.workspace.tasks.get(task.id)?.history.some(h => h.leaseId === leaseId && h.to === "queued" && h.by.kind === "system"), {
      events: [[relay.workspace.tasks, "change"]],
      timeoutMs: 10_000,
      message: "the holder's lease to expire",
    })
    expect(relay.workspace.root.peers.holder?.online).toBe(true)
    // Logged once a minute per peer (the first refusal), counted every time.
    expect(relay.logs.some(l => l.includes(`renewal refused: forger does not hold ${task.id}`) || l.includes("a beat naming holder from forger"))).toBe(true)
    expect(relay.metrics.ephemeralDropped).toBeGreaterThan(2)
    // The relay goes on: it leases the task again, to the worker that was not lapsed.
    await waitFor(() => relay.workspace.tasks.get(task.id)?.lease?.holder === "forger", { events: [[relay.workspace.tasks, "change"]], message: "the task leased again" })
    clearInterval(forging)
  })

  it("a worker on a follower relay is online at the primary and keeps its lease by beats passed on upstream", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const primary = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50, onlineWindowMs: 1_000 })
    const follower = await startFollower(teardown, primary, "mirror-beats")
    const dataDir = makeTempDir(teardown, "vivarium-far-holder-")
    const id = await loadOrCreateIdentity(dataDir, "far-holder", "worker")
    await enrol(primary, id, { concurrency: 1, hasLlmKey: true })
    await decide(primary, id.name, "approved")
    await whenApprovedOn(follower, id.name)
    await startWorker(teardown, follower, id.name, { dataDir, fake, leaseMs: LEASE_MS })
    await waitFor(() => primary.workspace.root.peers["far-holder"]?.online === true, { events: [[primary.workspace.rootHandle, "change"]], message: "the far worker online at the primary" })

    const op = await connectTestPeer(teardown, primary)
    const task = op.workspace.addTask({ prompt: "Think far away." }, operatorOf(op))
    const lease = await heldWhileRunning(primary, task.id, fake)
    await renewalsSpanning(primary, lease.leaseId, 3 * LEASE_MS)
    expect(primary.workspace.tasks.get(task.id)).toMatchObject({ status: "running", lease })
  }, 60_000)
})
