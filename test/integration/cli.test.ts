/**
 * The `vivarium` CLI as users run it: `node bin/vivarium.js …` as child processes, against
 * a relay child process. Tests run concurrently (each CLI run mostly waits), so every test
 * cleans up through its own teardown. More cases run in-process in
 * test/integration/cliMain.test.ts.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TASK_STATUSES } from "../../schemas/index.ts"
import { BIN, cliEnv } from "../helpers/child.ts"
import { runCli, type CliResult } from "../helpers/cli.ts"
import { spawnRelay, type RelayProcess } from "../helpers/relayProcess.ts"
import { createTeardown, teardownFor } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"

const execFileAsync = promisify(execFile)

/** A user error: exit code 2, nothing on stdout, exactly one line on stderr. */
function expectUsageError(result: CliResult, pattern: RegExp): void {
  const context = JSON.stringify(result)
  expect(result.code, context).toBe(2)
  expect(result.stdout, context).toBe("")
  const lines = result.stderr.split("\n").filter(Boolean)
  expect(lines, context).toHaveLength(1)
  expect(lines[0], context).toMatch(/^vivarium: /)
  expect(lines[0], context).toMatch(pattern)
}

function expectOk(result: CliResult): void {
  expect(result, JSON.stringify(result)).toMatchObject({ code: 0, stderr: "" })
}

const authFailures = async (httpUrl: string) =>
  Number(/^vivarium_auth_failures_total (\d+)$/m.exec(await (await fetch(`${httpUrl}/metrics`)).text())![1])

describe.concurrent("vivarium CLI", () => {
  describe("bad usage gives one line on stderr and exit code 2", () => {
    it.each([
      ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
      ["an unknown task subcommand", ["task", "frob"], /task: unknown subcommand 'frob' \(expected add, list, show, context, approve, requeue, fail, cancel\)/],
      ["an unknown flag", ["task", "add", "--prompt", "hi", "--bogus"], /task add: Unknown option '--bogus'/],
      ["a non-numeric port", ["relay", "--port", "abc"], /relay: --port: port must be a number from 0 to 65535/],
      ["a negative budget", ["task", "add", "--command", "ls", "--max-budget", "-1"], /task add: .*max-budget/],
      ["both --prompt and --command", ["task", "add", "--prompt", "p", "--command", "c"], /task add: give exactly one of --prompt TEXT or --command CMD/],
      ["neither --prompt nor --command", ["task", "add", "--title", "t"], /task add: give exactly one of --prompt TEXT or --command CMD/],
    ])("%s", async (_label, args, pattern) => {
      expectUsageError(await runCli(args), pattern)
    })
  })

  describe("peer commands against a relay child process", () => {
    const shared = createTeardown()
    afterAll(() => shared.run())
    let relay: RelayProcess
    let dataDir: string
    beforeAll(async () => {
      dataDir = makeTempDir(shared, "vivarium-cli-data-")
      relay = await spawnRelay(shared, { dataDir })
    })

    // The two task adds speak for the same operator (the relay's owner): run at once, both
    // would append entry 0 of its audit log, a fork of the chain the relay refuses.
    it.sequential("task add + task list --json, finding the relay through --data DIR", async () => {
      const added = await runCli(["task", "add", "--command", "echo hi", "--title", "greet", "--max-budget", "0.2", "--json", "--data", dataDir])
      expectOk(added)
      const task = JSON.parse(added.stdout) as { id: string }
      expect(task).toMatchObject({ status: "queued", mode: "local", maxBudgetUsd: 0.2, minBudgetUsd: 0.05, createdBy: "owner" })

      const listed = await runCli(["task", "list", "--json", "--data", dataDir])
      expectOk(listed)
      const tasks = JSON.parse(listed.stdout) as unknown
      expect(Array.isArray(tasks)).toBe(true)
      expect(tasks).toContainEqual(expect.objectContaining({ id: task.id, status: "queued", title: "greet" }))
    })

    it("on a terminal a peer command says what it is doing, then erases that line before its result; through a pipe only the result", async () => {
      // util-linux `script` gives the command a pseudo-terminal, as a person's shell does.
      const command = [process.execPath, BIN, "status", "--data", dataDir].map(a => `'${a}'`).join(" ")
      const onTerminal = await execFileAsync("script", ["-qfec", command, "/dev/null"], { env: cliEnv(), encoding: "utf8" })
      const erase = "\r\x1b[2K"
      expect(onTerminal.stdout).toContain(`${erase}vivarium status: loading…`)
      expect(onTerminal.stdout).toContain(`${erase}vivarium: connecting to ${relay.wsUrl}…`)
      expect(onTerminal.stdout).toContain(`${erase}vivarium: reading "Vivarium" at ${relay.wsUrl} as its owner…`)
      // Whatever follows the last erase is the result alone, starting on a clean line.
      expect(onTerminal.stdout.slice(onTerminal.stdout.lastIndexOf(erase) + erase.length)).toMatch(/^workspace: {3}Vivarium\r?\n/)

      const piped = await runCli(["status", "--data", dataDir])
      expectOk(piped)
      expect(piped.stdout).toMatch(/^workspace: {3}Vivarium\n/)
      expect(piped.stderr).toBe("")
    })

    it.sequential("task add + task list --json, finding the relay through VIVARIUM_RELAY and VIVARIUM_TOKEN", async () => {
      const env = { VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: relay.token }
      // Away from the data directory the command reaches the relay (it names its workspace)
      // but has no key to act with: this terminal is not paired.
      const away = await runCli(["task", "list"], { env })
      expectUsageError(away, /this terminal is not paired with the workspace "Vivarium": run `vivarium pair`/)
      // A local task: with no worker holding a key, the relay would block an LLM task at once.
      // With the data directory at hand the command acts as the owner; the environment still
      // names the relay (it wins over the data directory's relay.json).
      const added = await runCli(["task", "add", "--command", "echo haiku", "--data", dataDir], { env })
      expectOk(added)
      const id = added.stdout.trim()
      expect(id).toMatch(/^task-[0-9a-z]+-[0-9a-f]{4}$/)

      const listed = await runCli(["task", "list", "--json", "--status", "queued", "--data", dataDir], { env })
      expectOk(listed)
      const tasks = JSON.parse(listed.stdout) as Array<{ id: string; status: string }>
      expect(tasks).toContainEqual(expect.objectContaining({ id, status: "queued", mode: "local", command: "echo haiku" }))
      for (const t of tasks) expect(t).toEqual(expect.objectContaining({ id: expect.any(String), status: "queued" }))
    })

    it("join-link --json prints {url, lanUrls, relay, token} (no LAN links without --lan)", async () => {
      const result = await runCli(["join-link", "--json", "--data", dataDir])
      expectOk(result)
      expect(JSON.parse(result.stdout)).toEqual({
        url: `${relay.httpUrl}/#join=${encodeURIComponent(relay.token)}`,
        lanUrls: [],
        relay: relay.wsUrl,
        token: relay.token,
      })
    })

    it("a wrong token exits 2 with one clear line, and the relay counts the refusal", async () => {
      const before = await authFailures(relay.httpUrl)
      const viaFlag = await runCli(["task", "list", "--relay", relay.wsUrl, "--token", "definitely-not-the-secret"])
      expectUsageError(viaFlag, /refused the secret \(401\).*--token or VIVARIUM_TOKEN/)
      const viaEnv = await runCli(["status"], { env: { VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: "definitely-not-the-secret" } })
      expectUsageError(viaEnv, /refused the secret \(401\)/)
      expect(viaFlag.stderr + viaEnv.stderr).not.toContain(relay.token)
      expect(await authFailures(relay.httpUrl)).toBe(before + 2)
    })

    it("relay on a port that is in use: one line, exit code 2, and the process ends", async ({ onTestFinished }) => {
      const otherDir = makeTempDir(teardownFor({ onTestFinished }))
      const result = await runCli(["relay", "--port", String(relay.port), "--data", otherDir], { timeoutMs: 20_000 })
      expectUsageError(result, new RegExp(`relay: port ${relay.port} is in use`))
    })
  })

  it("relay stops cleanly on SIGTERM (exit code 0); after a restart its data is there and status --json counts it", async ({ onTestFinished }) => {
    const teardown = teardownFor({ onTestFinished })
    const dataDir = makeTempDir(teardown, "vivarium-cli-lifecycle-")
    const first = await spawnRelay(teardown, { dataDir })
    const added = await runCli(["task", "add", "--command", "echo survive", "--data", dataDir])
    expectOk(added)
    const id = added.stdout.trim()

    const exit = await first.stop("SIGTERM")
    expect(exit, first.stderr()).toEqual({ code: 0, signal: null })
    expect(first.stderr()).toMatch(/SIGTERM: saving and stopping/)
    expect(first.stderr()).not.toMatch(/error/i)

    const second = await spawnRelay(teardown, { dataDir })
    expect(second.token).toBe(first.token)
    const listed = await runCli(["task", "list", "--json", "--data", dataDir])
    expectOk(listed)
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, command: "echo survive", status: "queued" })])

    const status = await runCli(["status", "--json", "--data", dataDir], { env: { VIVARIUM_RELAY: second.wsUrl, VIVARIUM_TOKEN: second.token } })
    expectOk(status)
    const report = JSON.parse(status.stdout) as { queue: Record<string, number> }
    expect(report.queue).toEqual(Object.fromEntries(TASK_STATUSES.map(s => [s, s === "queued" ? 1 : 0])))
    // The relay (it signs its system actions) and the owner (its key in the data directory) are registered.
    expect(report).toMatchObject({
      workspace: "Vivarium",
      peers: [
        { name: "owner", role: "operator", state: "approved" },
        { name: "relay", role: "relay", state: "approved" },
      ],
      killSwitch: { on: false },
      dataIssues: [],
    })
  }, 90_000) // two relay starts and three CLI processes, each proving its key: more than the default 30 s on a loaded 2-core machine
})
