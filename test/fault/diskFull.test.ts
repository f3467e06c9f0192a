/**
 * Fault campaign, disk full: the relay's durable storage fails every write with ENOSPC on
 * demand (its fault-injection option) while a peer keeps writing. Nothing unsaved is
 * acknowledged, the relay says why it refuses writes, /healthz answers 503, and once space
 * returns it recovers by itself; every acknowledged write survives a crash after that.
 */
import { describe, expect, it } from "vitest"
import type { WriteFaults } from "../../peer-server/storage/durableFileStorage.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import type { RefusedNotice } from "../../src/peer/relayClientAdapter.ts"
import { peerHasOurHeads } from "../../src/workspace/sync.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

/** The disk: while `error` is set, every write fails with it. */
function disk(): WriteFaults & { error?: NodeJS.ErrnoException } {
  const faults: WriteFaults & { error?: NodeJS.ErrnoException } = { beforeWrite: () => faults.error }
  return faults
}
const fsError = (code: string) => Object.assign(new Error(`${code}: simulated, write`), { code })

function addTasks(peer: NodePeer, n: number, label: string): string[] {
  return Array.from({ length: n }, (_, i) => peer.workspace.addTask({ command: `echo ${i}`, title: `${label} ${i}` }, operatorOf(peer)).id)
}

async function health(relay: TestRelay): Promise<{ status: number; body: { ok: boolean; reasons?: string[] } }> {
  const res = await fetch(`${relay.httpUrl}/healthz`)
  return { status: res.status, body: (await res.json()) as { ok: boolean; reasons?: string[] } }
}

describe("fault campaign: disk full", () => {
  it("acknowledges nothing unsaved, says why, recovers by itself, and loses nothing acknowledged", async () => {
    const faults = disk()
    const relay = await startTestRelay(teardown, { storageFaults: faults, storageRetry: { baseMs: 10, capMs: 50 } })
    const writer = await connectTestPeer(teardown, relay)
    const relayPeer = writer.relayPeerId()!
    const acknowledged = new Set<string>()

    // Write load before the fault: acknowledged as usual.
    for (let burst = 0; burst < 3; burst++) {
      const ids = addTasks(writer, 5, `before ${burst}`)
      await writer.flushToRelay()
      ids.forEach(id => acknowledged.add(id))
    }
    expect(await health(relay)).toMatchObject({ status: 200, body: { ok: true } })

    // The disk fills up. The relay takes the next writes into memory, but cannot save them,
    // so it must not acknowledge them — not even after several retries.
    faults.error = fsError("ENOSPC")
    const during = addTasks(writer, 10, "during")
    await waitFor(() => during.every(id => relay.workspace.tasks.get(id)), { events: [[relay.workspace.tasks, "change"]], message: "the relay to receive the writes" })
    const failedBefore = relay.storageHealth.failedWrites
    await waitFor(() => relay.storageHealth.failedWrites >= failedBefore + 5, { events: [[relay.storageHealth, "change"]], message: "more failed save attempts" })
    expect(peerHasOurHeads(writer.repo, writer.workspace.queueHandle, relayPeer)).toBe(false)

    // It says why: the refusal the change gate sends, /healthz, /metrics and the log.
    expect(relay.storageHealth.refusal()).toMatch(/^the relay cannot save changes now \(ENOSPC on save .*\); nothing was stored: retry once .* freed disk space/)
    const sick = await health(relay)
    expect(sick.status).toBe(503)
    expect(sick.body).toMatchObject({ ok: false, reasons: [expect.stringMatching(/^storage failing since .*: ENOSPC on save /)] })
    const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/^vivarium_storage_failing 1$/m)
    expect(Number(/^vivarium_storage_write_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(5)
    expect(relay.logs).toContainEqual(expect.stringMatching(/^storage failing: .*ENOSPC.*refusing new writes and retrying/))

    // Space returns: the relay saves what it holds, acknowledges it, and is healthy again.
    faults.error = undefined
    await writer.flushToRelay()
    during.forEach(id => acknowledged.add(id))
    await waitFor(async () => expect(await health(relay)).toMatchObject({ status: 200, body: { ok: true } }), { events: [[relay.storageHealth, "change"]] })
    expect((await (await fetch(`${relay.httpUrl}/metrics`)).text())).toMatch(/^vivarium_storage_failing 0$/m)
    expect(relay.logs).toContainEqual("storage works again: pending writes saved")
    const after = addTasks(writer, 5, "after")
    await writer.flushToRelay()
    after.forEach(id => acknowledged.add(id))

    // An I/O error freezes the disk as a crash would: nothing more reaches it. The writer,
    // which holds every task too, is gone; the restarted relay has only its disk.
    await writer.close()
    faults.error = fsError("EIO")
    await relay.close()
    const restarted = await startTestRelay(teardown, { dataDir: relay.dataDir })
    const missing = [...acknowledged].filter(id => !restarted.workspace.tasks.get(id))
    expect(missing).toEqual([])
    expect(acknowledged.size).toBe(30)
  })

  it("a read-only file system is reported the same way and recovers the same way", async () => {
    const faults = disk()
    const relay = await startTestRelay(teardown, { storageFaults: faults, storageRetry: { baseMs: 10, capMs: 50 } })
    const writer = await connectTestPeer(teardown, relay)
    faults.error = fsError("EROFS")
    const ids = addTasks(writer, 3, "ro")
    await waitFor(() => relay.storageHealth.failedWrites >= 3, { events: [[relay.storageHealth, "change"]] })
    expect(peerHasOurHeads(writer.repo, writer.workspace.queueHandle, writer.relayPeerId()!)).toBe(false)
    expect(await health(relay)).toMatchObject({ status: 503, body: { ok: false, reasons: [expect.stringMatching(/EROFS/)] } })
    // A write made now is refused for now, and the writer is told it will be offered again.
    const notices: RefusedNotice[] = []
    writer.notices.on("refused", notice => notices.push(notice))
    const late = addTasks(writer, 1, "late")
    await waitFor(() => notices.length > 0, { events: [[writer.notices, "refused"]], message: "the writer to hear of the refusal" })
    expect(notices[0]).toMatchObject({ retry: true, reason: expect.stringMatching(/^the relay cannot save changes now \(EROFS/) })
    faults.error = undefined
    await waitFor(() => relay.storageHealth.state === "ok", { events: [[relay.storageHealth, "change"]], message: "storage health back to ok" })
    // Writes that arrived once storage was known to fail were refused for now (retry): the
    // writer offers them again in a new sync session by itself, and now they are stored.
    await writer.flushToRelay()
    expect([...ids, ...late].every(id => relay.workspace.tasks.get(id))).toBe(true)
  })
})
