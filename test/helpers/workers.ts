/** In-process worker peers for tests, and admitting them the way an operator would. */
import { groqClient } from "../../worker/llm.ts"
import { Worker, type WorkerOptions } from "../../worker/worker.ts"
import type { FakeGroq } from "./fakeGroq.ts"
import { decide, startTestRelay, type TestRelay } from "./relay.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { connectTestPeer } from "./peers.ts"
import { peerOperator } from "./socialFixture.ts"
import { makeTempDir } from "./tempDir.ts"
import type { Teardown } from "./teardown.ts"
import { waitFor } from "./waitFor.ts"

/** A worker with fast test timings; `fake` points its groq-sdk at a fake Groq server. */
export async function startWorker(t: Teardown, relay: TestRelay, name: string, opts: Partial<WorkerOptions> & { fake?: FakeGroq } = {}): Promise<Worker> {
  const { fake, ...rest } = opts
  const worker = await Worker.start({
    relay: relay.wsUrl,
    token: relay.token,
    dataDir: makeTempDir(t, `vivarium-${name}-`),
    name,
    scanMs: 50,
    heartbeatMs: 200,
    leaseMs: 3_000,
    // The default 60 LLM calls a minute would pace the 300-task test to 1 task/s per worker.
    rateLimitPerMinute: 100_000,
    env: {},
    ...(fake ? { llm: groqClient({ apiKey: "test-key", baseURL: fake.baseURL, maxRetries: 3 }) } : {}),
    ...rest,
  })
  t.add(() => worker.stop())
  return worker
}

/** Approves an enrolled worker through the relay's replica, signed by the owner (as `vivarium worker approve`). */
export async function approveWorker(relay: TestRelay, name: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => !!relay.workspace.root.peers[name], { timeoutMs, events: [[relay.workspace.rootHandle, "change"]], message: `${name} to register` })
  await decide(relay, name, "approved")
}

/** A relay with one approved worker answering through `fake`, and an operator's peer with its signing context. */
export async function relayWithWorker(t: Teardown, fake: FakeGroq, opts: Partial<WorkerOptions> = {}): Promise<{ relay: TestRelay; worker: Worker; op: NodePeer; ctx: OperatorContext }> {
  const relay = await startTestRelay(t, { schedulerTickMs: 50 })
  const worker = await startWorker(t, relay, "w1", { fake, ...opts })
  await approveWorker(relay, worker.name)
  const op = await connectTestPeer(t, relay)
  return { relay, worker, op, ctx: await peerOperator(op) }
}
