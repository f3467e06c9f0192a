/**
 * Money counted right: every LLM attempt a worker makes, retries included, is recorded on
 * the task with the token counts the API returned, and the spend against the cap — one rule
 * for the relay, the workers and the dashboard — is the sum of what the API billed.
 */
import { describe, expect, it } from "vitest"
import { spendState } from "../../src/core/dashboard.ts"
import { costUsd } from "../../src/domain/tasks/pricing.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const MODEL = "llama-3.3-70b-versatile"

describe("spend accounting", () => {
  it("errors, retries and the answer are each recorded with the API's usage; spend is their sum, the same for relay, worker and dashboard", async () => {
    const fake = await startFakeGroq({
      kind: "script",
      steps: [
        { status: 500, usage: { prompt_tokens: 1_000, completion_tokens: 300 } }, // billed, then retried by the SDK
        { status: 429 }, // not billed
        { status: 200, usage: { prompt_tokens: 2_345, completion_tokens: 678 } },
      ],
    })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const worker = await startWorker(teardown, relay, "w1", { fake })
    await approveWorker(relay, "w1")
    const op = await connectTestPeer(teardown, relay)
    const task = op.workspace.addTask({ prompt: "Write one sentence about caves.", model: MODEL }, operatorOf(op))

    const done = await until(relay, task.id, "approved")
    await waitFor(() => relay.workspace.tasks.get(task.id)?.calls?.length === 3, { events: [[relay.workspace.tasks, "change"]], message: "three calls recorded" })
    const calls = relay.workspace.tasks.get(task.id)!.calls!
    expect(calls.map(c => [c.ok, c.promptTokens, c.completionTokens, c.model, c.worker, c.leaseId])).toEqual([
      [false, 1_000, 300, MODEL, "w1", done.result!.leaseId],
      [false, 0, 0, MODEL, "w1", done.result!.leaseId],
      [true, 2_345, 678, MODEL, "w1", done.result!.leaseId],
    ])
    const billed = costUsd(MODEL, 1_000, 300) + costUsd(MODEL, 2_345, 678)
    expect(done.result!.costUsd).toBe(costUsd(MODEL, 2_345, 678))
    expect(relay.workspace.spendAgainstCap().spentUsd).toBeCloseTo(billed, 12)
    // Not an estimate from words: the prompt is 5 words, the billed counts are the API's.
    expect(fake.counts.get("Write one sentence about caves.")).toBe(3)
    expect(worker.workspace.spendAgainstCap().spentUsd).toBeCloseTo(billed, 12)
    expect(spendState([...relay.workspace.tasks.entries.values()], relay.workspace.root, relay.workspace.archivedSpendUsd).spentUsd).toBeCloseTo(billed, 12)
  })

  it("the relay halts at the cap counting failed billed attempts: a task whose calls all failed still spends", async () => {
    const fake = await startFakeGroq({
      kind: "script",
      steps: [0, 1, 2, 3].map(() => ({ status: 500 as const, usage: { prompt_tokens: 1_000_000, completion_tokens: 0 } })),
    })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    relay.workspace.rootHandle.change(d => {
      d.controls.spendCapUsd = 2
    })
    await startWorker(teardown, relay, "w1", { fake, maxExecutionErrors: 1 })
    await approveWorker(relay, "w1")
    const op = await connectTestPeer(teardown, relay)
    const task = op.workspace.addTask({ prompt: "Fail expensively.", model: MODEL }, operatorOf(op))
    await until(relay, task.id, "failed")
    await waitFor(() => relay.workspace.root.controls.killSwitch.on, { events: [[relay.workspace.rootHandle, "change"], [relay.workspace.tasks, "change"]], message: "the kill switch" })
    // Four attempts (one call, three SDK retries) at 1M prompt tokens each: 4 × $0.59.
    expect(relay.workspace.spendAgainstCap().spentUsd).toBeCloseTo(4 * 0.59, 9)
    expect(relay.workspace.root.controls.killSwitch.reason).toMatch(/spend cap reached \(\$2\.36 >= \$2\.00\)/)
  })
})
