/**
 * `vivarium service install`: the unit it writes (checked by systemd-analyze where the machine
 * has it), secrets kept out of the unit in a 0600 environment file, and the service's start
 * and stop run through the very command line the unit's ExecStart names: started, a worker
 * takes a task; stopped with the unit's KillSignal, it gives the task back and exits 0.
 */
import { execFileSync, spawn } from "node:child_process"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { execStartOf } from "../../cli/systemdUnit.ts"
import { cliEnv } from "../helpers/child.ts"
import { runCli } from "../helpers/cli.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { approveWorker } from "../helpers/workers.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

/** systemd-analyze where the machine has it (it needs no running systemd). */
function systemdAnalyze(): boolean {
  try {
    execFileSync("systemd-analyze", ["--version"], { stdio: "pipe" })
    return true
  } catch {
    return false
  }
}

/** An EnvironmentFile's variables (KEY="value" lines, as the install writes them). */
function environmentOf(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map(line => [line.slice(0, line.indexOf("=")), JSON.parse(line.slice(line.indexOf("=") + 1)) as string]),
  )
}

describe("vivarium service install", () => {
  it("--dry-run prints a relay unit and writes nothing; --json gives the same as data", async () => {
    const dir = makeTempDir(teardown, "vivarium-svc-dry-")
    const unitDir = join(dir, "units")
    const text = await runCli(["service", "install", "relay", "--dry-run", "--unit-dir", unitDir, "--data", "relay-data", "--port", "8555"], { cwd: dir })
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`# would write ${join(unitDir, "vivarium-relay.service")}`)
    const execStart = /^ExecStart=(.+)$/m.exec(text.stdout)![1]!
    expect(execStart).toMatch(/^\S+node\S* \S+\/bin\/vivarium\.js relay /)
    expect(execStart).toContain(" --port 8555")
    expect(execStart).toContain(` --data ${join(dir, "relay-data")}`)
    expect(text.stdout).toContain("Restart=on-failure")
    expect(text.stdout).toContain("WantedBy=default.target")
    expect(() => statSync(unitDir)).toThrow()
    const json = await runCli(["service", "install", "relay", "--dry-run", "--json", "--system", "--unit-dir", unitDir], { cwd: dir })
    const data = JSON.parse(json.stdout) as { scope: string; dryRun: boolean; unit: string; environmentFile: string | null }
    expect(data).toMatchObject({ scope: "system", dryRun: true, environmentFile: null })
    expect(data.unit).toContain("WantedBy=multi-user.target")
    expect(data.unit).toMatch(/^User=\S+$/m)
  })

  it("refuses a role it does not know and the role's own bad flags, with the command's sentence", async () => {
    const unknown = await runCli(["service", "install", "scheduler", "--dry-run"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("expected relay or worker, got 'scheduler'")
    const badPort = await runCli(["service", "install", "relay", "--dry-run", "--port", "99999"])
    expect(badPort.code).toBe(2)
    expect(badPort.stderr).toMatch(/--port: /)
  })

  it("a worker unit keeps its token and model key in a 0600 file; the unit's own command line runs the worker, and its stop signal gives the task back", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const dir = makeTempDir(teardown, "vivarium-svc-worker-")
    const unitDir = join(dir, "units")
    const install = await runCli(
      ["service", "install", "worker", "--unit-dir", unitDir, "--relay", relay.wsUrl, "--data", "worker-data", "--name", "svc-worker", "--json"],
      { cwd: dir, env: { VIVARIUM_TOKEN: relay.token, GROQ_API_KEY: "test-key", GROQ_BASE_URL: fake.baseURL } },
    )
    expect(install.code, install.stderr).toBe(0)
    const result = JSON.parse(install.stdout) as { unitPath: string; environmentFile: string; environment: string[]; enabled: boolean; note: string }
    expect(result.environment).toEqual(["VIVARIUM_TOKEN", "GROQ_API_KEY", "GROQ_BASE_URL"])
    // No systemd runs here: the unit is written and the note says what to run.
    if (!result.enabled) expect(result.note).toContain("enable --now vivarium-worker.service")
    const unit = readFileSync(result.unitPath, "utf8")
    expect(unit).not.toContain(relay.token)
    expect(unit).not.toContain("test-key")
    expect(unit).toContain(`EnvironmentFile=${result.environmentFile}`)
    expect(statSync(result.environmentFile).mode & 0o777).toBe(0o600)
    const environment = environmentOf(result.environmentFile)
    expect(environment).toEqual({ VIVARIUM_TOKEN: relay.token, GROQ_API_KEY: "test-key", GROQ_BASE_URL: fake.baseURL })
    if (systemdAnalyze()) execFileSync("systemd-analyze", ["verify", result.unitPath], { stdio: "pipe" })

    // What systemd would run: the ExecStart words, in the unit's WorkingDirectory, with its environment file.
    const [command, ...args] = execStartOf(unit)
    const workingDirectory = /^WorkingDirectory=(.+)$/m.exec(unit)![1]!
    const service = spawn(command!, args, { cwd: workingDirectory, env: cliEnv(environment), stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    service.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    const exited = new Promise<number | null>(resolve => service.once("close", code => resolve(code)))
    teardown.add(async () => {
      if (service.exitCode === null) service.kill("SIGKILL")
      await exited
    })
    await approveWorker(relay, "svc-worker")
    const op = await connectTestPeer(teardown, relay)
    const task = op.workspace.addTask({ prompt: "Take your time with this one." }, operatorOf(op))
    const running = await until(relay, task.id, "running", 20_000)
    expect(running.lease?.holder).toBe("svc-worker")

    service.kill(/^KillSignal=(\w+)$/m.exec(unit)![1] as NodeJS.Signals)
    expect(await exited, stderr).toBe(0)
    expect(stderr).toContain("giving running tasks back")
    // Given back: the queue has it again (blocked, as no worker with a model key is left).
    await waitFor(() => relay.workspace.tasks.get(task.id)?.status !== "running", { timeoutMs: 10_000, events: [[relay.workspace.tasks, "change"]], message: "the task given back" })
    const back = relay.workspace.tasks.get(task.id)!
    expect(back.lease).toBeUndefined()
    expect(back.history.some(h => h.from === "running" && h.to === "requeued" && h.by.name === "svc-worker" && h.reason === "worker stopped")).toBe(true)
  }, 60_000)
})
