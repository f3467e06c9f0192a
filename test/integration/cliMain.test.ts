/**
 * More CLI cases, run in-process through cli/main.ts's main() (no child process per case,
 * so many cases stay cheap). test/integration/cli.test.ts covers the real processes.
 */
import { beforeAll, describe, expect, it } from "vitest"
import type { Captured } from "../helpers/captureConsole.ts"
import { runMain as run } from "../helpers/cli.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"

const teardown = useTeardown("all")
let emptyDir: string
beforeAll(() => {
  emptyDir = makeTempDir(teardown, "vivarium-cli-empty-")
})
function expectUsageError(result: Captured<number>, pattern: RegExp): void {
  const context = JSON.stringify(result)
  expect(result.value, context).toBe(2)
  expect(result.stdout, context).toBe("")
  expect(result.stderr.split("\n").filter(Boolean), context).toEqual([expect.stringMatching(pattern)])
  expect(result.stderr, context).toMatch(/^vivarium: /)
}

describe("CLI main(): flag errors are one line and exit code 2", () => {
  it.each([
    ["an unknown flag on relay", ["relay", "--verbose"], /relay: Unknown option '--verbose'/],
    ["an out-of-range port", ["relay", "--port", "70000"], /relay: --port: port must be a number from 0 to 65535/],
    ["a fractional port", ["relay", "--port", "80.5"], /relay: --port: port must be a whole number/],
    ["a negative budget given as --flag=value", ["task", "add", "--command", "ls", "--max-budget=-1"], /task add: --max-budget: budgets are USD amounts of 0 or more/],
    ["a budget that is not a number", ["task", "add", "--command", "ls", "--min-budget", "lots"], /task add: --min-budget: expected a USD amount/],
    ["an empty prompt", ["task", "add", "--prompt", ""], /task add: --prompt: prompt is empty/],
    ["a priority out of range", ["task", "add", "--command", "ls", "--priority", "500"], /task add: --priority: /],
    ["a malformed --depends-on", ["task", "add", "--command", "ls", "--depends-on", "bad id!"], /task add: --depends-on: /],
    ["an unknown model", ["task", "add", "--prompt", "p", "--model", "gpt-9"], /task add: --model: /],
    ["an unknown status filter", ["task", "list", "--status", "exploded"], /task list: --status: /],
    ["a stray argument", ["status", "now"], /status: unexpected argument 'now'/],
    ["a relay address that is not ws://", ["task", "list", "--relay", "http://127.0.0.1:1", "--token", "x"], /task list: --relay: expected ws:\/\/host:port/],
    ["an unknown flag on join-link", ["join-link", "--qr"], /join-link: Unknown option '--qr'/],
  ])("%s", async (_label, argv, pattern) => {
    expectUsageError(await run(argv), pattern)
  })

  it.each([
    ["an empty --max-budget (not $0)", ["task", "add", "--command", "ls", "--max-budget="], /task add: --max-budget: /],
    ["an empty --min-budget (not $0)", ["task", "add", "--command", "ls", "--min-budget", ""], /task add: --min-budget: /],
    ["an empty --priority (not 0)", ["task", "add", "--command", "ls", "--priority="], /task add: --priority: /],
  ])("%s", async (_label, argv, pattern) => {
    // --data: so that, should the flag be accepted, no relay is found and nothing is written.
    expectUsageError(await run([...argv, "--data", emptyDir]), pattern)
  })

  it("no relay to talk to: no flags, no environment, no local data dir", async () => {
    expectUsageError(await run(["task", "list", "--data", emptyDir]), /no relay to talk to/)
  })

  it("a malformed VIVARIUM_RELAY", async () => {
    expectUsageError(await run(["status", "--data", emptyDir], { VIVARIUM_RELAY: "127.0.0.1:8420", VIVARIUM_TOKEN: "x" }), /VIVARIUM_RELAY: expected ws:\/\/host:port, got 127\.0\.0\.1:8420/)
  })

  it("join-link in a data dir where no relay ever ran", async () => {
    expectUsageError(await run(["join-link", "--data", emptyDir]), /join-link: no relay has run with data dir/)
  })

  it("--help exits 0 with the usage on stdout", async () => {
    const result = await run(["task", "add", "--help"])
    expect(result.value).toBe(0)
    expect(result.stdout).toMatch(/Usage: vivarium task/)
    expect(result.stderr).toBe("")
  })
})

describe("CLI main(): peer commands against an in-process relay", () => {
  let relay: TestRelay
  beforeAll(async () => {
    relay = await startTestRelay(teardown)
  })

  it("flags win over the environment", async () => {
    // --data: the relay's own directory, so the command acts as its owner (it holds the key).
    const added = await run(["task", "add", "--command", "echo flags", "--relay", relay.wsUrl, "--token", relay.token, "--data", relay.dataDir], {
      VIVARIUM_RELAY: "ws://127.0.0.1:1",
      VIVARIUM_TOKEN: "wrong-wrong-wrong",
    })
    expect(added, added.stderr).toMatchObject({ value: 0, stderr: "" })
    const id = added.stdout.trim()
    expect(relay.workspace.tasks.get(id)).toMatchObject({ command: "echo flags", createdBy: "owner", status: "queued" })
  })

  it("task add --depends-on refuses an unknown task and writes nothing", async () => {
    const before = relay.workspace.tasks.entries.size
    expectUsageError(await run(["task", "add", "--command", "ls", "--depends-on", "task-nope", "--data", relay.dataDir]), /^vivarium: This task depends on a task not in the live queue: task-nope\. Pick its dependencies from the open tasks\.$/)
    expect(relay.workspace.tasks.entries.size).toBe(before)
  })

  it("task list prints a table, filtered by --status", async () => {
    const data = ["--data", relay.dataDir]
    const added = await run(["task", "add", "--command", "echo tabulate", "--title", "table row", ...data])
    const id = added.stdout.trim()
    const table = await run(["task", "list", ...data])
    expect(table.value).toBe(0)
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+MODE\s+TITLE {2}\[WHY IT WAITS\]$/m)
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+queued\\s+local\\s+table row {2}\\[no worker online\\]$`, "m"))
    const none = await run(["task", "list", "--status", "running", ...data])
    expect(none.stdout).toBe("no tasks\n")
  })
})
