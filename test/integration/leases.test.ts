/**
 * Leases when things go wrong: a worker killed mid-task, and a worker cut off by a
 * partition that finishes anyway. Real relay, real worker processes, fake Groq on loopback.
 */
import { describe, expect, it } from "vitest"
import type { AuditDoc, RootDoc, Task } from "../../schemas/index.ts"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { groqClient } from "../../worker/llm.ts"
import { Worker } from "../../worker/worker.ts"
import { spawnCli } from "../helpers/child.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const OPERATOR = { kind: "operator", name: "alice" } as const
const LEASE_MS = 1_500


function task(relay: TestRelay, id: string): Task | undefined {
  return relay.workspace.tasks.get(id)
}

async function until(relay: TestRelay, what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  await waitFor(check, { timeoutMs, events: [[relay.workspace.tasks, "change"]], message: what })
}

describe("leases", () => {
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
    // A cold worker process (tsx loading the whole worker) can take a while on a busy 2-core CI box.
    await approveWorker(relay, "doomed", 45_000).catch(error => {
      throw new Error(`${(error as Error).message}\nworker stderr:\n${doomed.stderr()}`)
    })
    const op = await connectTestPeer(teardown, relay)
    const t = op.workspace.addTask({ prompt: "Survive the crash of your first worker." }, OPERATOR)
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
    expect(done.history.map(h => h.to)).toEqual(["claimed", "running", "queued", "claimed", "running", "approved"])
    expect(done.history[2]?.reason).toContain(`lease of doomed expired`)
    expect(done.duplicateRun).toBeUndefined()
    expect(fake.counts.get("Survive the crash of your first worker.")).toBe(2)
    expect(leaseId).not.toBe(done.executions[1]?.leaseId)
  }, 90_000)

  it("under a partition a task may run twice: the duplicate is detected, flagged and audited", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50 })
    const start = async (name: string) => {
      const w = await Worker.start({
        relay: relay.wsUrl,
        token: relay.token,
        dataDir: makeTempDir(teardown, `vivarium-${name}-`),
        name,
        scanMs: 50,
        heartbeatMs: 200,
        leaseMs: LEASE_MS,
        llm: groqClient({ apiKey: "test-key", baseURL: fake.baseURL }),
      })
      teardown.add(() => w.stop())
      await approveWorker(relay, name)
      return w
    }
    const island = await start("island")
    const op = await connectTestPeer(teardown, relay)
    const prompt = "Run me once, if the network allows."
    const t = op.workspace.addTask({ prompt }, OPERATOR)
    await until(relay, "the island worker to run the task", () => task(relay, t.id)?.status === "running")
    await waitFor(() => fake.hungCount() === 1)

    // The island is cut off, then its LLM call returns: it finishes on its own replica.
    const net = island.workspace.repo.networkSubsystem
    net.disconnect()
    fake.behaviour = { kind: "answer" }
    const finished = new Promise(resolve => island.once("task-finished", resolve))
    fake.releaseHung()
    expect(await finished).toMatchObject({ taskId: t.id, status: "approved" })

    // Meanwhile the relay sees no heartbeat, expires the lease, and another worker runs it.
    await start("mainland")
    await until(relay, "the mainland worker to finish the task", () => task(relay, t.id)?.result?.worker === "mainland")
    net.reconnect()

    await until(relay, "the duplicate to be flagged", () => task(relay, t.id)?.duplicateRun === true)
    const merged = task(relay, t.id)!
    expect(merged.executions.filter(e => e.finishedAt !== undefined).map(e => e.worker).sort()).toEqual(["island", "mainland"])
    expect(fake.counts.get(prompt)).toBe(2)

    const relayAudit = await relay.repo.find<AuditDoc>(relay.workspace.root.peers.relay!.auditUrl as AutomergeUrl)
    await waitFor(() => relayAudit.doc().entries.some(e => e.kind === "duplicate_run" && e.subject === t.id), {
      events: [[relayAudit, "change"]],
      message: "a duplicate_run audit entry by the relay",
    })
  }, 40_000)
})
