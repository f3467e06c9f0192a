/**
 * Workers keep exactly-once execution while the relay starts new queue generations under
 * them: what a run wrote into a closed generation (its result, its lease removed) is carried
 * into the live queue, and a run that ended there is not started again when the worker's
 * view moves to the new generation before the carried result reaches it.
 */
import { describe, expect, it } from "vitest"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, statusOf } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()

describe("workers across queue generations", () => {
  it("60 LLM tasks run once each while the relay starts a new generation every second", async () => {
    const fake = await startFakeGroq()
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, {
      schedulerTickMs: 50,
      leaseMs: 60_000,
      queueGenerationIntervalMs: 1_000,
      queueRotation: { minOps: 0, historyFactor: 0 },
    })
    const workers = await Promise.all(["a", "b"].map(n => startWorker(teardown, relay, `gen-${n}`, { fake, concurrency: 4, leaseMs: 60_000 })))
    for (const w of workers) await approveWorker(relay, w.name)
    const op = await connectTestPeer(teardown, relay)
    const firstQueue = relay.workspace.root.docs.queue
    const ids: string[] = []
    for (let i = 0; i < 60; i++) ids.push(op.workspace.addTask({ prompt: `Name fruit number ${i} in one word.` }, operatorOf(op)).id)
    // What is tested is once each, not how fast: under a full parallel suite on two cores the 60
    // tasks through two workers have taken more than a minute (none stuck, all still moving).
    await waitFor(() => ids.every(id => statusOf(relay, id) === "approved"), {
      timeoutMs: 150_000,
      intervalMs: 200,
      events: [[relay.workspace.tasks, "change"]],
      message: "all 60 tasks approved",
    })
    expect(relay.workspace.root.docs.queue).not.toBe(firstQueue)
    expect((relay.workspace.root.docs.formerQueues ?? []).length).toBeGreaterThan(1)
    // Results written into a closed generation were carried, none dropped.
    expect(relay.logs.some(l => l.startsWith("carried"))).toBe(true)
    expect(relay.logs.filter(l => l.includes("not carried"))).toEqual([])
    const prompts = ids.map(id => relay.workspace.tasks.get(id)!.prompt!)
    expect(prompts.map(p => fake.counts.get(p))).toEqual(prompts.map(() => 1))
    for (const id of ids) expect(relay.workspace.tasks.get(id)!.executions).toHaveLength(1)
  }, 180_000)
})
