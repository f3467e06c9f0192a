/**
 * The README's run command: `vivarium start` runs the relay and an approved local worker,
 * so a local-mode task runs with no key and no further setup.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { spawnCli } from "../helpers/child.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

describe("vivarium start", () => {
  it("runs relay + worker: a local task added from the CLI runs to review, and Ctrl+C stops cleanly", async () => {
    const dataDir = makeTempDir(teardown, "vivarium-start-")
    const app = spawnCli(["start", "--port", "0", "--data", dataDir], { cwd: dataDir, env: { GROQ_API_KEY: undefined } })
    teardown.add(() => app.stop("SIGKILL"))
    await waitFor(() => /Press Ctrl\+C to stop/.test(app.stdout()) || !app.isRunning(), { timeoutMs: 20_000, message: "start to print its banner" })
    const out = app.stdout()
    expect(out).toMatch(/Control panel: http:\/\/127\.0\.0\.1:\d+\/#join=/)
    expect(out).toMatch(/Worker:\s+local-worker \(approved; local tasks only/)
    const wsUrl = /Relay:\s+(ws:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!
    const token = readFileSync(join(dataDir, "join-secret"), "utf8").trim()

    const added = await runCli(["task", "add", "--command", "echo started by start", "--data", dataDir])
    expect(added.code, added.stderr).toBe(0)
    const id = added.stdout.trim()
    const peer = await connectTestPeer(teardown, { wsUrl, token, dataDir })
    await waitFor(() => peer.workspace.tasks.get(id)?.status === "pending_review", {
      timeoutMs: 15_000,
      events: [[peer.workspace.tasks, "change"]],
      message: "the embedded worker to run the task",
    })
    expect(peer.workspace.tasks.get(id)?.result).toMatchObject({ worker: "local-worker", output: "started by start\n", exitCode: 0 })
    await peer.close()

    expect(await app.stop("SIGINT")).toEqual({ code: 0, signal: null })
    expect(app.stderr()).toMatch(/SIGINT: saving and stopping/)
  }, 60_000)
})
