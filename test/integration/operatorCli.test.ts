/**
 * The operator's CLI against a live workspace: admitting workers, deciding reviews, the
 * kill switch, and verifying the signed audit logs (also after tampering).
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { AuditDoc, Task } from "../../schemas/index.ts"
import { Worker } from "../../worker/worker.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()

function statusOf(relay: TestRelay, id: string): Task["status"] | undefined {
  return relay.workspace.tasks.get(id)?.status
}

describe("operator CLI", () => {
  it("approves workers, decides reviews, halts and resumes, and verifies the signed audit logs", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    // Run next to the relay's data directory, the CLI acts as the relay's owner.
    const cli = async (args: string[], code = 0) => {
      const r = await runCli(args, { cwd: relay.workDir })
      expect(r.code, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(code)
      if (code === 2) expect(r.stderr.trim().split("\n")).toHaveLength(1)
      return r
    }
    const worker = await Worker.start({ relay: relay.wsUrl, token: relay.token, dataDir: makeTempDir(teardown, "vivarium-w1-"), name: "w1", scanMs: 50, env: {} })
    teardown.add(() => worker.stop())
    await waitFor(() => !!relay.workspace.root.peers.w1, { events: [[relay.workspace.rootHandle, "change"]] })

    // Admission.
    expect(JSON.parse((await cli(["worker", "list", "--json"])).stdout)).toEqual([expect.objectContaining({ name: "w1", state: "pending" })])
    await cli(["worker", "approve", "w1"])
    expect((await cli(["worker", "approve", "w1"], 2)).stderr).toMatch(/w1 is already approved/)
    expect((await cli(["worker", "approve", "nobody"], 2)).stderr).toMatch(/There is no worker nobody\. Check the worker's name in its list/)
    expect(relay.workspace.root.peers.w1).toMatchObject({ state: "approved", decidedBy: "owner" })

    // Review: a local result waits for a human; approve it once, and only once.
    const id = (await cli(["task", "add", "--command", "echo reviewed"])).stdout.trim()
    await waitFor(() => statusOf(relay, id) === "pending_review", { timeoutMs: 10_000, events: [[relay.workspace.tasks, "change"]] })
    const shown = (await cli(["task", "show", id])).stdout
    expect(shown).toMatch(new RegExp(`^${id}  pending_review`))
    expect(shown).toMatch(/result: {3}by w1, local, \$0, exit 0\n {2}\| reviewed/)
    expect(shown).toMatch(/review: {3}approve \(confidence 0\.95\)/)
    expect(shown).toMatch(/queued → claimed {2}by Relay: lease granted to w1/)
    expect(shown).toMatch(new RegExp(`decide: {3}vivarium task approve ${id}`))
    expect((await cli(["task", "show", "task-nope"], 2)).stderr).toMatch(/no task task-nope/)
    await cli(["task", "approve", id, "--tip", "3", "--feedback", "nice and short"])
    await waitFor(() => statusOf(relay, id) === "approved", { events: [[relay.workspace.tasks, "change"]] })
    expect(relay.workspace.tasks.get(id)?.review).toMatchObject({ decidedBy: "owner", tip: 3, feedback: "nice and short" })
    expect((await cli(["task", "approve", id], 2)).stderr).toMatch(/is approved, so it cannot become approved\. Approved is final\. Add a new task to do the work again\.$/m)
    expect((await cli(["task", "requeue", "task-does-not-exist"], 2)).stderr).toMatch(/no task task-does-not-exist/)

    // Kill switch: new work is blocked, not run; fail is refused outside pending_review; cancel works.
    await cli(["halt", "--reason", "maintenance window"])
    expect((await cli(["halt"], 2)).stderr).toMatch(/--reason TEXT is required/)
    const held = (await cli(["task", "add", "--command", "echo later"])).stdout.trim()
    await waitFor(() => statusOf(relay, held) === "blocked", { events: [[relay.workspace.tasks, "change"]] })
    expect((await cli(["status"])).stdout).toMatch(/kill switch: ON — maintenance window \(by Owner/)
    expect((await cli(["task", "list"])).stdout).toMatch(new RegExp(`${held} +blocked .*\\[halted\\]`))
    expect((await cli(["task", "fail", held], 2)).stderr).toMatch(/is blocked, so it cannot become failed\. From blocked an operator can make it queued, cancelled\./)
    await cli(["resume"])
    await waitFor(() => statusOf(relay, held) !== "blocked", { events: [[relay.workspace.tasks, "change"]] })
    await waitFor(() => statusOf(relay, held) === "pending_review", { timeoutMs: 10_000, events: [[relay.workspace.tasks, "change"]] })
    await cli(["task", "requeue", held])
    await waitFor(() => statusOf(relay, held) === "pending_review" && relay.workspace.tasks.get(held)!.executions.length === 2, {
      timeoutMs: 10_000,
      events: [[relay.workspace.tasks, "change"]],
    })
    await cli(["task", "fail", held, "--reason", "not needed after all"])
    await cli(["worker", "revoke", "w1"])

    // Every peer's chain verifies: the operator's decisions, the worker's transitions, the relay's grants.
    const verified = JSON.parse((await cli(["audit", "verify", "--json"])).stdout) as { ok: boolean; peers: { peer: string; ok: boolean; entries: number }[] }
    expect(verified.ok).toBe(true)
    expect(verified.peers.map(p => p.peer).sort()).toEqual(["owner", "relay", "w1"])
    expect(verified.peers.every(p => p.ok && p.entries > 0)).toBe(true)

    // A second peer rewriting one byte of the operator's approval entry is refused by the relay.
    const intruder = await connectTestPeer(teardown, relay)
    const auditUrl = intruder.workspace.root.peers.owner!.auditUrl as AutomergeUrl
    const log = await intruder.repo.find<AuditDoc>(auditUrl)
    const seq = auditEntries(log.doc()).findIndex(e => e.kind === "approval")
    expect(seq).toBeGreaterThanOrEqual(0)
    const tamper = (d: AuditDoc) => {
      d.entries[seq]!.data = String(d.entries[seq]!.data).replace('"tip":3', '"tip":9')
    }
    log.change(tamper)
    await waitFor(() => relay.logs.some(l => l.startsWith("refused a change") && l.includes("this is the audit log of owner: only owner writes it")), { intervalMs: 50, message: "the relay to refuse the rewrite" })
    expect(JSON.parse((await cli(["audit", "verify", "--json"])).stdout)).toMatchObject({ ok: true })
    // The same rewrite in the relay's own replica (history from an older relay): verify names peer and seq.
    ;(await relay.repo.find<AuditDoc>(auditUrl)).change(tamper)
    const broken = await runCli(["audit", "verify"], { cwd: relay.workDir })
    expect(broken.code).toBe(1)
    expect(broken.stdout).toMatch(new RegExp(`BROKEN  owner: seq ${seq}:`))
    expect(broken.stderr).toMatch(new RegExp(`peer owner broken at seq ${seq}`))
  }, 180_000) // about twenty CLI processes, each enrolling and proving its key over a fresh connection
})
