/**
 * Time travel through the built CLI against a real relay: a named snapshot of every document,
 * a document read as it was (by snapshot and by time), the changes since, and a restore written
 * as a new, audited change that every peer receives; a restore the gate does not allow an
 * operator is refused and changes nothing.
 */
import { describe, expect, it } from "vitest"
import { auditEntries } from "../../src/domain/audit/index.ts"
import { hatsOf } from "../../src/domain/hats/index.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

describe("snapshots and time travel", () => {
  it("snapshot, show, diff and restore a document; the restore reaches every peer and is audited", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runCli([...args, "--data", relay.dataDir], { timeoutMs: 60_000 })
    expect((await cli("hat", "edit", "builder", "--prompt", "Build it small and test it.")).code).toBe(0)
    const taken = await cli("snapshot", "create", "--name", "before the rewrite", "--json")
    expect(taken.code, taken.stderr).toBe(0)
    const snap = JSON.parse(taken.stdout) as { id: string; at: number; documents: number }
    expect(snap.documents).toBeGreaterThan(8)
    const between = Date.now()
    expect((await cli("hat", "edit", "builder", "--prompt", "Build it big.")).code).toBe(0)

    const listed = JSON.parse((await cli("snapshot", "list", "--json")).stdout) as { name: string; by: string }[]
    expect(listed).toEqual([expect.objectContaining({ name: "before the rewrite", by: "owner" })])
    const shown = JSON.parse((await cli("snapshot", "show", "before the rewrite", "--doc", "skills", "--json")).stdout) as { value: { hats: Record<string, { prompt: string }> } }
    expect(shown.value.hats.builder!.prompt).toBe("Build it small and test it.")
    // By time: the moment between the two edits.
    const atTime = JSON.parse((await cli("snapshot", "show", "--at", new Date(between).toISOString(), "--doc", "skills", "--json")).stdout) as typeof shown
    expect(atTime.value.hats.builder!.prompt).toBe("Build it small and test it.")
    const diff = JSON.parse((await cli("snapshot", "diff", "before the rewrite", "--doc", "skills", "--json")).stdout) as { changes: { path: string }[] }
    expect(diff.changes.map(c => c.path)).toContain("hats.builder.prompt")

    const watcher = await connectTestPeer(teardown, relay)
    const restored = await cli("snapshot", "restore", "before the rewrite", "--doc", "skills")
    expect(restored.code, restored.stderr).toBe(0)
    expect(restored.stdout).toMatch(/skills restored to snapshot "before the rewrite" .*: \d+ path\(s\) written back/)
    await waitFor(async () => (await hatsOf(watcher.workspace)).find(h => h.id === "builder")?.prompt === "Build it small and test it.", { timeoutMs: 10_000, message: "the restore to reach another peer" })
    const owner = relay.workspace.root.peers.owner!
    const log = await relay.repo.find<unknown>(owner.auditUrl as never)
    expect(auditEntries(log.doc()).filter(e => e.kind === "restore").map(e => JSON.parse(e.data) as { from: string })).toEqual([expect.objectContaining({ from: expect.stringContaining("before the rewrite") })])
    // Restoring again changes nothing.
    expect((await cli("snapshot", "restore", "before the rewrite", "--doc", "skills")).stdout).toContain("nothing written")
  }, 120_000)

  it("a restore the relay does not allow an operator (the task queue) is refused and changes nothing; unknown names are explained", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runCli([...args, "--data", relay.dataDir], { timeoutMs: 60_000 })
    expect((await cli("snapshot", "create", "--name", "empty queue")).code).toBe(0)
    expect((await cli("task", "add", "--command", "echo after the snapshot")).code).toBe(0)
    await waitFor(() => relay.workspace.tasks.entries.size === 1, { events: [[relay.workspace.tasks, "change"]] })
    const refused = await cli("snapshot", "restore", "empty queue", "--doc", "queue")
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/the relay refused this change/)
    expect(relay.workspace.tasks.entries.size).toBe(1)

    const unknown = await cli("snapshot", "show", "no such thing", "--doc", "queue")
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("There is no snapshot named no such thing.")
    const badDoc = await cli("snapshot", "show", "empty queue", "--doc", "queues")
    expect(badDoc.stderr).toContain("No document of this workspace is called queues.")
  }, 120_000)
})
