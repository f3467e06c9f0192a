/**
 * Fault: a worker process SIGKILLed mid-run. Its lease expires, another worker runs the task,
 * and exactly one result is accepted — by the relay and by every other peer. Real relay, a
 * real worker process, fake Groq on loopback.
 */
import { describe, expect, it } from "vitest"
import type { Task } from "../../schemas/index.ts"
import { groqClient } from "../../worker/llm.ts"
import { Worker } from "../../worker/worker.ts"
import { spawnCli } from "../helpers/child.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const LEASE_MS = 1_500


function task(relay: TestRelay, id: string): Task | undefined {
  return relay.workspace.tasks.get(id)
}

async function until(relay: TestRelay, what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  await waitFor(check, { timeoutMs, events: [[relay.workspace.tasks, "change"]], message: what })
}

describe("a worker killed mid-run", () => {
  it("a worker SIGKILLed mid-task loses its lease; another worker completes the task after expiry; nothing is lost", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50 })
    const dir = makeTempDir(teardown, "vivarium-doomed-")
    const doomed = spawnCli(
      ["worker", "--relay", relay.wsUrl, "--token", relay.token, "--data", dir, "--name", "doomed", "--lease-ms", String(LEASE_MS)],
      { cwd: dir, env: { GROQ_API_KEY: "test-key", GROQ_BASE_URL: fake.baseURL } },
    )
    teardown.add(() => doomed.stop("SIGKILL"))
    // A cold worker process can take a while to start on a busy 2-core CI box.
    await approveWorker(relay, "doomed", 45_000).catch(error => {
      throw new Error(`${(error as Error).message}\nworker stderr:\n${doomed.stderr()}`)
    })
    const op = await connectTestPeer(teardown, relay)
    const t = op.workspace.addTask({ prompt: "Survive the crash of your first worker." }, operatorOf(op))
    await until(relay, "the doomed worker to run the task", () => task(relay, t.id)?.status === "running")
    await waitFor(() => fake.hungCount() === 1, { message: "the doomed worker's LLM call" })
    const leaseId = task(relay, t.id)!.lease!.leaseId

    expect(await doomed.stop("SIGKILL")).toMatchObject({ signal: "SIGKILL" })
    fake.behaviour = { kind: "answer" }
    const rescuer = await Worker.start({
      relay: relay.wsUrl,
      token: relay.token,
      dataDir: makeTempDir(teardown, "vivarium-rescuer-"),
      name: "rescuer",
      scanMs: 50,
      leaseMs: LEASE_MS,
      llm: groqClient({ apiKey: "test-key", baseURL: fake.baseURL }),
    })
    teardown.add(() => rescuer.stop())
    await approveWorker(relay, "rescuer")

    await until(relay, "the task approved by the rescuer", () => task(relay, t.id)?.status === "approved")
    const done = task(relay, t.id)!
    expect(done.result?.worker).toBe("rescuer")
    expect(done.executions.map(e => [e.worker, e.outcome, e.expiredAt !== undefined])).toEqual([
      ["doomed", undefined, true],
      ["rescuer", "ok", false],
    ])
    // A cold worker process on a busy machine may not start its run before its first lease ends:
    // that claim expires unused (no execution) and the task is leased again. From the lease the
    // doomed worker ran under, the history is exact.
    const first = done.history.findIndex(h => h.leaseId === leaseId)
    expect(done.history.slice(0, first).map(h => `${h.to}:${h.by.kind}`).join(",")).toMatch(/^(claimed:system,queued:system,?)*$/)
    const history = done.history.slice(first)
    // Between the expiry and the rescuer's approval no worker with a key may be online: the relay then blocks the task and lets it go once the rescuer is.
    const moves = history.map(h => h.to)
    expect(moves.slice(0, 3)).toEqual(["claimed", "running", "queued"])
    expect(moves.slice(-3)).toEqual(["claimed", "running", "approved"])
    expect(moves.slice(3, -3).join(",")).toMatch(/^(blocked,queued,?)*$/)
    expect(history[2]?.reason).toContain(`lease of doomed expired`)
    expect(done.duplicateRun).toBeUndefined()
    expect(fake.counts.get("Survive the crash of your first worker.")).toBe(2)
    expect(leaseId).not.toBe(done.executions[1]?.leaseId)
    // Exactly one result, under the lease that is current, everywhere.
    expect(done.result?.leaseId).toBe(done.executions[1]?.leaseId)
    await waitFor(() => op.workspace.tasks.get(t.id)?.status === "approved", { events: [[op.workspace.tasks, "change"]], message: "the operator's peer to see the approval" })
    expect(op.workspace.tasks.get(t.id)!.result).toEqual(done.result)
    expect(done.history.filter(h => h.by.kind === "worker" && h.leaseId === leaseId).map(h => h.to)).toEqual(["running"])
    expect(history.filter(h => h.by.kind === "system" && h.leaseId).map(h => [h.to, h.leaseId])).toEqual([
      ["claimed", leaseId],
      ["queued", leaseId],
      ["claimed", done.result?.leaseId],
    ])
  }, 90_000)
})
