/**
 * Every wait says why, in the CLI: a real relay, a real `vivarium worker` process, and the
 * CLI's `task list` (a short reason per row), `task show` and `status` (the whole sentence)
 * through each wait — a worker awaiting approval, no worker online, a dependency, no worker
 * with an LLM key (the relay's block says so), no worker playing the resident, the queue
 * behind a busy worker, a review, a worker that went silent, halted, a cancelled
 * dependency, and the spend cap.
 */
import { execFileSync } from "node:child_process"
import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { Task } from "../../schemas/index.ts"
import { updateControls } from "../../src/domain/peers/index.ts"
import { forgeIdentity } from "../../src/domain/residents/index.ts"
import { isOnline } from "../../src/domain/tasks/index.ts"
import { spawnCli } from "../helpers/child.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { decide, startTestRelay, until } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

/** The row of `task list` for `task`. */
function rowOf(listing: string, task: Pick<Task, "id">): string {
  const row = listing.split("\n").find(line => line.startsWith(task.id))
  if (!row) throw new Error(`no row for ${task.id} in:\n${listing}`)
  return row
}

/** Lets a `cat` blocked on the named pipe finish (if one still reads it). */
function release(pipe: string): void {
  try {
    const fd = openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK)
    writeSync(fd, "released\n")
    closeSync(fd)
  } catch {
    // No reader: nothing waits on it.
  }
}

describe("why a task waits, in the CLI", () => {
  it("task list, task show and status say why each task waits, as the workspace changes", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const env = { VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: relay.token, GROQ_API_KEY: undefined }
    const cli = async (...args: string[]) => {
      const result = await runCli([...args, "--data", relay.dataDir], { env })
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0)
      return result.stdout
    }
    const op = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(op)
    const ada = await forgeIdentity(ctx, { name: "Ada Stone", statement: "I keep the lab notebook in order." })

    // A worker in its own process, not approved yet; its jail holds a pipe that `cat` blocks on.
    const workerDir = makeTempDir(teardown, "vivarium-box-")
    const pipe = join(workerDir, "workspace", "pipe")
    mkdirSync(join(workerDir, "workspace"), { recursive: true })
    execFileSync("mkfifo", [pipe])
    teardown.add(() => release(pipe))
    const box = spawnCli(["worker", "--relay", relay.wsUrl, "--token", relay.token, "--name", "box", "--data", workerDir], { cwd: workerDir, env })
    teardown.add(() => box.stop("SIGKILL"))
    await waitFor(() => relay.workspace.root.peers.box?.state === "pending", { timeoutMs: 20_000, events: [[relay.workspace.rootHandle, "change"]], message: "box to enrol" })

    const add = (input: Parameters<typeof op.workspace.addTask>[0]) => op.workspace.addTask(input, ctx.actor)
    const listed = add({ command: "ls", title: "list the jail" })
    const haiku = add({ prompt: "Write a haiku about moss.", title: "moss haiku" })
    const reader = add({ command: "cat pipe", title: "read the pipe" })
    const after = add({ command: "ls", title: "after the pipe", dependsOn: [reader.id] })
    await op.flushToRelay()

    let list = await cli("task", "list")
    expect(list).toMatch(/WHY IT WAITS/)
    expect(rowOf(list, listed)).toMatch(/\[box awaits approval\]$/)
    expect(rowOf(list, haiku)).toMatch(/\[no worker online\]$/)
    expect(rowOf(list, after)).toMatch(/\[waiting for “read the pipe”\]$/)
    let status = await cli("status")
    expect(status).toContain(`waiting:     2 tasks (${listed.id}, ${reader.id}): worker box could take it but awaits approval: vivarium worker approve box`)
    expect(status).toContain(`waiting:     1 task (${haiku.id}): no worker is online: vivarium start runs one`)
    expect(status).toContain(`(${after.id}): waiting for “read the pipe” (${reader.id}, queued) to be approved`)

    // Approved: box runs `ls` to review, then blocks on the pipe; the relay blocks the LLM task.
    await decide(relay, "box", "approved")
    await until(relay, listed.id, "pending_review", 20_000)
    await until(relay, reader.id, "running", 20_000)
    await until(relay, haiku.id, "blocked")
    // Added within one millisecond, so priorities fix their dispatch order (ties go by random id).
    const next = add({ command: "ls", title: "next one", priority: 2 })
    const last = add({ command: "ls", title: "last one", priority: 1 })
    const forAda = add({ command: "ls", title: "for Ada", targetIdentity: ada.id })
    await op.flushToRelay()

    list = await cli("task", "list")
    expect(rowOf(list, listed)).toMatch(/pending_review .*\[waits for your review\]$/)
    expect(rowOf(list, haiku)).toMatch(/blocked .*\[no worker with an LLM key\]$/)
    expect(rowOf(list, reader)).toMatch(/running .*read the pipe$/)
    expect(rowOf(list, next)).toMatch(/\[next in line\]$/)
    expect(rowOf(list, last)).toMatch(/\[behind 1 task\]$/)
    expect(rowOf(list, forAda)).toMatch(/\[no worker plays Ada Stone\]$/)
    const shown = await cli("task", "show", haiku.id)
    expect(shown).toContain("waiting:  no online worker has an LLM key: an LLM task needs a worker started with GROQ_API_KEY in its environment (vivarium start, or vivarium worker)")
    expect(shown).not.toMatch(/^blocked:/m)
    status = await cli("status")
    expect(status).toContain(`(${next.id}): next in line: the workers that can take it (box) are busy; it runs when one of them finishes a task`)
    expect(status).toContain(`(${forAda.id}): no online worker plays resident Ada Stone: the worker of vivarium start plays every resident`)
    expect(status).toContain(`(${listed.id}): its result waits for an operator's review`)

    // The worker dies mid-task: once its heartbeat is stale, its lease is on a silent worker.
    await box.stop("SIGKILL")
    await waitFor(() => !isOnline(relay.workspace.root.peers.box!, Date.now()), { timeoutMs: 30_000, intervalMs: 500, message: "box to count as offline" })
    list = await cli("task", "list")
    expect(rowOf(list, reader)).toMatch(/running .*\[box went silent\]$/)
    expect(rowOf(list, next)).toMatch(/\[no worker online\]$/)
    expect(await cli("task", "show", reader.id)).toMatch(/waiting:  leased to box, which has not been heard from for \d+ s: the relay gives the task to another worker once the lease runs out/)

    // Cancelled dependency, then halted, then over the spend cap.
    await cli("task", "cancel", reader.id)
    await cli("halt", "--reason", "maintenance")
    list = await cli("task", "list")
    expect(rowOf(list, after)).toMatch(/\[dependency cancelled\]$/)
    expect(rowOf(list, next)).toMatch(/\[halted\]$/)
    expect(await cli("task", "show", after.id)).toContain(`waiting:  it depends on “read the pipe” (${reader.id}), which was cancelled: it cannot run; cancel it, or edit it to drop that dependency`)
    status = await cli("status")
    expect(status).toMatch(/\): the workspace is halted \(owner: maintenance\): no worker takes a task until an operator resumes/)

    await updateControls(ctx, { spendCapUsd: 0 })
    await op.flushToRelay()
    await cli("resume")
    await waitFor(() => relay.workspace.root.controls.killSwitch.reason.startsWith("spend cap reached"), { events: [[relay.workspace.rootHandle, "change"]], message: "the relay to halt at the cap" })
    status = await cli("status")
    expect(status).toMatch(/\): over budget: LLM spend \$0\.00 has reached the workspace's spend cap \$0\.00; the relay halted the workspace: raise the cap under Runtime, then resume/)
  }, 120_000)
})
