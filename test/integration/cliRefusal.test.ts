/**
 * The CLI refuses in the catalogue's words (src/core/errors.ts): a forbidden command at once,
 * before it even looks for a relay, with the same sentence the panel shows as it is typed;
 * a refusal from an action after connecting too; --json gives the stable code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { UserError } from "../../src/core/errors.ts"
import { taskTextRefusal } from "../../src/domain/tasks/index.ts"
import { runCli, type CliResult } from "../helpers/cli.ts"
import { spawnRelay, type RelayProcess } from "../helpers/relayProcess.ts"
import { createTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"

const FORBIDDEN = "rm -rf /"

/** Exit code 2, nothing on stdout, one line on stderr: the sentence and the next step. */
function expectRefusal(result: CliResult, error: UserError): void {
  const context = JSON.stringify(result)
  expect(result.code, context).toBe(2)
  expect(result.stdout, context).toBe("")
  expect(result.stderr, context).toBe(`vivarium: ${error.message} ${error.next}\n`)
  expect(result.stderr, context).not.toMatch(/[A-Z]{2,}_[A-Z]/)
}

describe("CLI refusals in plain words", () => {
  const teardown = createTeardown()
  afterAll(() => teardown.run())
  let relay: RelayProcess
  let dataDir: string
  beforeAll(async () => {
    dataDir = makeTempDir(teardown, "vivarium-cli-refusal-")
    relay = await spawnRelay(teardown, { dataDir })
  })

  it("task add --command 'rm -rf /' is refused at submit with the panel's sentence, and nothing is queued", async () => {
    const refusal = taskTextRefusal({ command: FORBIDDEN })!
    expect(refusal.message).toBe(`This command is not allowed: "rm -rf" is denied: recursive or forced deletion is not allowed.`)
    expectRefusal(await runCli(["task", "add", "--command", FORBIDDEN, "--data", dataDir]), refusal)

    // At once: refused before looking for a relay (this directory has none).
    expectRefusal(await runCli(["task", "add", "--command", FORBIDDEN, "--data", makeTempDir(teardown, "vivarium-no-relay-")]), refusal)

    const json = await runCli(["task", "add", "--command", FORBIDDEN, "--json", "--data", dataDir])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: "command_not_allowed", message: refusal.message, next: refusal.next } })

    const listed = await runCli(["task", "list", "--json", "--data", dataDir])
    expect(listed.code, listed.stderr).toBe(0)
    expect((JSON.parse(listed.stdout) as { command?: string }[]).filter(t => t.command === FORBIDDEN)).toEqual([])
  })

  it("a refusal from an action after connecting reads the same way", async () => {
    const missing = "task-nope-0000"
    expectRefusal(await runCli(["task", "cancel", missing, "--relay", relay.wsUrl, "--token", relay.token, "--data", relay.dataDir]), new UserError("task_not_found", { id: missing }))
  })
})
