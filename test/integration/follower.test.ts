/**
 * Beyond one relay: a follower relay replicates the primary's workspace over the same
 * authenticated sync protocol and serves it to its own peers. Real relays (in-process), real
 * WebSockets on 127.0.0.1, real disks: write through one, read through the other, kill one,
 * go on.
 */
import * as A from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import type { QueueDoc, Task } from "../../schemas/index.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import { createQuest, quests } from "../../src/domain/quests/actions.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { loadOrCreateIdentity } from "../../src/peer/peerIdentity.ts"
import type { PeerIdentity } from "../../src/domain/peers/index.ts"
import { runMain } from "../helpers/cli.ts"
import { startFollower as startFollowerOf, whenApprovedOn } from "../helpers/followers.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { approvedIdentity, decide, enrol, startTestRelay, until, type TestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const startFollower = (primary: TestRelay, name: string, dataDir?: string) => startFollowerOf(teardown, primary, name, dataDir)

/** An operator key registered and approved at the primary, once the follower has heard of it. */
async function approvedThrough(primary: TestRelay, follower: TestRelay, role: "operator" | "worker" = "operator"): Promise<PeerIdentity> {
  const identity = await approvedIdentity(primary, role)
  await whenApprovedOn(follower, identity.name)
  return identity
}

function seen(peer: NodePeer, id: string, check: (t: Task) => boolean = () => true, timeoutMs = 10_000): Promise<Task> {
  return waitFor(
    () => {
      const task = peer.workspace.tasks.get(id)
      return task && check(task) ? task : false
    },
    { timeoutMs, events: [[peer.workspace.tasks, "change"]], message: `task ${id} on ${peer.identity.name}` },
  )
}

describe("follower relay", () => {
  it("write through one, read through the other; a change under another peer's actor is refused on the follower", async () => {
    const primary = await startTestRelay(teardown)
    const follower = await startFollower(primary, "mirror-a")
    expect(primary.workspace.root.peers["mirror-a"]?.role).toBe("mirror")
    const a = await connectTestPeer(teardown, follower, { identity: await approvedThrough(primary, follower) })
    const b = await connectTestPeer(teardown, primary)

    const fromA = a.workspace.addTask({ command: "echo far", title: "through the follower" }, operatorOf(a))
    expect(await seen(b, fromA.id)).toEqual(fromA)
    const fromB = b.workspace.addTask({ command: "echo near", title: "through the primary" }, operatorOf(b))
    expect(await seen(a, fromB.id)).toEqual(fromB)
    // Edits either way, judged upstream as the peer who made them (not as the follower).
    b.workspace.updateTask(fromA.id, d => applyTransition(d, "cancelled", operatorOf(b), Date.now(), "b says no"))
    await seen(a, fromA.id, t => t.status === "cancelled")
    a.workspace.updateTask(fromB.id, d => applyTransition(d, "cancelled", operatorOf(a), Date.now(), "a says no"))
    expect((await seen(b, fromB.id, t => t.status === "cancelled")).history.at(-1)?.by).toEqual(operatorOf(a))
    // A new document made through the follower (a quest, and its index entry) reaches the primary's peers.
    const quest = await createQuest({ workspace: a.workspace, actor: operatorOf(a) }, { title: "far quest", budgetUsd: 1 })
    await waitFor(async () => (await quests(b.workspace)).some(q => q.id === quest.id && q.createdBy === a.identity.name), { timeoutMs: 10_000, message: "the quest on b" })

    // c, on the follower, replays a change under b's actor: b wrote only through the primary,
    // which told the follower whose that actor is, so the follower refuses it itself.
    const c = await connectTestPeer(teardown, follower, { identity: await approvedThrough(primary, follower) })
    const target = b.workspace.addTask({ command: "echo target", title: "through the primary" }, operatorOf(b))
    await seen(c, target.id)
    c.workspace.queueHandle.update(doc => {
      const actor = A.getActorId(b.workspace.queueHandle.doc())
      return A.merge(doc, A.change(A.clone(doc, actor), (d: QueueDoc) => void (d.tasks[target.id]!.title = "forged as b")))
    })
    await waitFor(() => follower.logs.some(l => l.includes(`which belongs to ${b.identity.name}, not ${c.identity.name}`)), { message: "the follower refusing" })
    expect(follower.workspace.tasks.get(target.id)?.title).toBe("through the primary")
    expect(primary.workspace.tasks.get(target.id)?.title).toBe("through the primary")
  }, 60_000)

  it("a worker on the follower runs what the primary leased to it; kill the follower and the primary goes on", async () => {
    const primary = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const follower = await startFollower(primary, "mirror-b")
    // The worker's key enrols at the primary (a follower registers no keys), then it runs on the follower.
    const dataDir = makeTempDir(teardown, "vivarium-far-worker-")
    const id = await loadOrCreateIdentity(dataDir, "w-far", "worker")
    await enrol(primary, id, { concurrency: 1, hasLlmKey: false })
    await decide(primary, id.name, "approved")
    await whenApprovedOn(follower, id.name)
    await startWorker(teardown, follower, id.name, { dataDir })

    const op = await connectTestPeer(teardown, primary)
    const task = op.workspace.addTask({ command: "echo ran far away" }, operatorOf(op))
    const done = await until(primary, task.id, "pending_review", 20_000)
    expect(done.result?.output.trim()).toBe("ran far away")
    expect(done.result?.worker).toBe("w-far")
    expect(done.history.map(h => `${h.to}:${h.by.kind}`)).toEqual(["claimed:system", "running:worker", "pending_review:worker"])

    await follower.close()
    const after = op.workspace.addTask({ command: "echo still here" }, operatorOf(op))
    const other = await connectTestPeer(teardown, primary)
    // (The scheduler may lease it to w-far at once: its lease runs out, as for any worker gone quiet.)
    expect((await seen(other, after.id)).title).toBe("echo still here")
  }, 60_000)

  it("kill and restart the primary: peers on the follower keep working, and everything converges when it is back", async () => {
    const primary = await startTestRelay(teardown)
    const follower = await startFollower(primary, "mirror-c")
    const a = await connectTestPeer(teardown, follower, { identity: await approvedThrough(primary, follower) })
    const b = await connectTestPeer(teardown, primary)
    const latecomer = await approvedThrough(primary, follower)
    const before = b.workspace.addTask({ command: "echo before" }, operatorOf(b))
    await seen(a, before.id)

    const upstreamState = async () => (await fetch(`${follower.httpUrl}/api/upstream`)).json()
    expect(await upstreamState()).toEqual({ following: `${primary.wsUrl}/`, connected: true })
    await primary.close()
    await waitFor(async () => !(await upstreamState()).connected, { message: "the follower to say the primary left" })
    // Offline-first: a goes on through the follower, b on its own replica.
    const whileAway = a.workspace.addTask({ command: "echo while away" }, operatorOf(a))
    a.workspace.updateTask(before.id, d => applyTransition(d, "cancelled", operatorOf(a), Date.now(), "not needed"))
    const offline = b.workspace.addTask({ command: "echo offline" }, operatorOf(b))
    // A peer that joins the follower now reads everything from it.
    const late = await connectTestPeer(teardown, follower, { identity: latecomer })
    expect(await seen(late, whileAway.id)).toEqual(whileAway)
    // Two peers' changes to one document wait on the follower: they go up together, each judged as its author.
    const lateTask = late.workspace.addTask({ command: "echo late" }, operatorOf(late))
    await seen(a, lateTask.id)

    const back = await startTestRelay(teardown, { dataDir: primary.dataDir, port: primary.port })
    for (const id of [whileAway.id, lateTask.id, offline.id]) await waitFor(() => !!back.workspace.tasks.get(id), { timeoutMs: 20_000, events: [[back.workspace.tasks, "change"]], message: `${id} on the restarted primary` })
    await waitFor(() => back.workspace.tasks.get(before.id)?.status === "cancelled", { events: [[back.workspace.tasks, "change"]] })
    expect(await seen(b, whileAway.id, () => true, 20_000)).toEqual(whileAway)
    expect((await upstreamState()).connected).toBe(true)
    expect(await seen(a, offline.id, () => true, 20_000)).toEqual(offline)
  }, 60_000)

  it("a follower restarted while the primary is away starts from its own copy, and catches up when the primary is back", async () => {
    const primary = await startTestRelay(teardown)
    const follower = await startFollower(primary, "mirror-d")
    const reader = await approvedThrough(primary, follower)
    const b = await connectTestPeer(teardown, primary)
    const before = b.workspace.addTask({ command: "echo before" }, operatorOf(b))
    await waitFor(() => !!follower.workspace.tasks.get(before.id), { events: [[follower.workspace.tasks, "change"]] })

    await primary.close()
    await follower.close()
    const again = await startTestRelay(teardown, { dataDir: follower.dataDir, follow: { url: primary.wsUrl, token: primary.token, retryMs: 200 } })
    expect(again.logs.join("\n")).toMatch(/is out of reach .*serving this follower's copy until it is back/)
    const r = await connectTestPeer(teardown, again, { identity: reader })
    expect(await seen(r, before.id)).toEqual(before)
    const offline = r.workspace.addTask({ command: "echo from the restarted follower" }, operatorOf(r))

    const back = await startTestRelay(teardown, { dataDir: primary.dataDir, port: primary.port })
    await waitFor(() => !!back.workspace.tasks.get(offline.id), { timeoutMs: 20_000, events: [[back.workspace.tasks, "change"]], message: "the follower's write on the restarted primary" })
    expect(await seen(b, offline.id, () => true, 20_000)).toEqual(offline)
  }, 60_000)

  it("vivarium relay --follow takes the secret from --token or VIVARIUM_TOKEN, never from the address", async () => {
    const data = makeTempDir(teardown, "vivarium-follow-cli-")
    const refused = async (argv: string[], pattern: RegExp, env: Record<string, string> = {}) => {
      const result = await runMain(["relay", "--data", data, "--port", "0", ...argv], env)
      expect(result.value).toBe(2)
      expect(result.stderr).toMatch(pattern)
    }
    await refused(["--follow", "ws://127.0.0.1:9/?token=abc"], /never in the address/)
    await refused(["--follow", "ws://user:abc@127.0.0.1:9"], /never in the address/)
    await refused(["--follow", "ws://127.0.0.1:9"], /needs the workspace's join secret: pass --token SECRET or set VIVARIUM_TOKEN/)
    await refused(["--token", "abc"], /--token and --follower-name go with --follow/)
    const start = await runMain(["start", "--data", data, "--follow", "ws://127.0.0.1:9"], { VIVARIUM_TOKEN: "abc" })
    expect(start.stderr).toMatch(/use vivarium relay --follow/)
  })
})
