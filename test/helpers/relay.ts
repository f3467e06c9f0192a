/** An in-process relay on 127.0.0.1, port 0, in its own temp data dir; closed by the teardown. */
import type { Task } from "../../schemas/index.ts"
import { startRelay, type Relay, type RelayOptions } from "../../peer-server/relay.ts"
import { waitFor } from "./waitFor.ts"
import { makeTempDir } from "./tempDir.ts"
import type { Teardown } from "./teardown.ts"

export interface TestRelay extends Relay {
  readonly dataDir: string
  /** The relay's operator log lines (auth failures, data issues). */
  readonly logs: string[]
}

export async function startTestRelay(teardown: Teardown, opts: Partial<RelayOptions> = {}): Promise<TestRelay> {
  const dataDir = opts.dataDir ?? makeTempDir(teardown, "vivarium-relay-")
  const logs: string[] = []
  const relay = await startRelay({ port: 0, host: "127.0.0.1", log: line => { logs.push(line); if (process.env.GATE_DEBUG && line.startsWith("refused a change")) console.log(line) }, ...opts, dataDir })
  teardown.add(() => relay.close())
  return { ...relay, dataDir, logs }
}

/** A task's status as the relay sees it. */
export function statusOf(relay: TestRelay, id: string): Task["status"] | undefined {
  return relay.workspace.tasks.get(id)?.status
}

/** Waits until the relay's replica shows task `id` in `status`. */
export async function until(relay: TestRelay, id: string, status: Task["status"], timeoutMs = 10_000): Promise<Task> {
  await waitFor(() => statusOf(relay, id) === status, {
    timeoutMs,
    events: [[relay.workspace.tasks, "change"]],
    message: `task ${id} to become ${status} (is ${statusOf(relay, id)})`,
  })
  return relay.workspace.tasks.get(id)!
}
