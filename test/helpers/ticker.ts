/**
 * A worker that may run `node ticker.cjs`: a real command whose run the test paces. The
 * script waits for a `go` file in its directory, prints to stdout and stderr, then waits for
 * a `stop` file, prints a last line and exits; the test creates the files when it wants.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { DEFAULT_LOCAL_POLICY } from "../../src/core/safety.ts"
import type { TestRelay } from "./relay.ts"
import { makeTempDir } from "./tempDir.ts"
import type { Teardown } from "./teardown.ts"
import { approveWorker, startWorker } from "./workers.ts"

export const TICKER_COMMAND = "node ticker.cjs"

const TICKER = `
const fs = require("node:fs")
const when = (file, then) => {
  const poll = setInterval(() => {
    if (!fs.existsSync(file)) return
    clearInterval(poll)
    then()
  }, 20)
}
when("go", () => {
  console.log("first line to stdout")
  console.error("a warning to stderr")
  console.log("second line to stdout")
  when("stop", () => console.log("stopping now"))
})
`

export interface Ticker {
  /** Lets the running command print its first lines. */
  go(): void
  /** Lets it print its last line and exit. */
  stop(): void
}

/** Starts and approves worker `name` whose jail holds the ticker and whose policy allows node. */
export async function startTickerWorker(teardown: Teardown, relay: TestRelay, name = "w1"): Promise<Ticker> {
  const dataDir = makeTempDir(teardown, `vivarium-${name}-`)
  const jail = join(dataDir, "workspace")
  mkdirSync(jail, { recursive: true })
  writeFileSync(join(jail, "ticker.cjs"), TICKER)
  await startWorker(teardown, relay, name, { dataDir, policy: { ...DEFAULT_LOCAL_POLICY, allow: [...DEFAULT_LOCAL_POLICY.allow, "node"] } })
  await approveWorker(relay, name)
  return { go: () => writeFileSync(join(jail, "go"), ""), stop: () => writeFileSync(join(jail, "stop"), "") }
}
