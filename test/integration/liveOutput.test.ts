/**
 * Live output: a real worker runs a real command whose lines reach another peer through the
 * relay while it runs (ephemeral messages, never stored); what a peer may not send as live
 * output is dropped at the relay, which keeps serving, and a pending peer never hears any.
 */
import * as A from "@automerge/automerge"
import { cbor } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { TASK_OUTPUT_MARKER, TaskOutputEnvelope, type TaskOutput } from "../../schemas/ephemeral.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { openRawPeer } from "../helpers/rawSocket.ts"
import { approvedIdentity, enrol, freshIdentity, startTestRelay, until } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { startTickerWorker, TICKER_COMMAND } from "../helpers/ticker.ts"

const teardown = useTeardown()

const encode = (message: unknown) => Buffer.from(cbor.encode(message))

describe("live output of a running task", { timeout: 60_000 }, () => {
  it("reaches another peer through the relay while the command runs; forged and malformed ephemeral messages are dropped", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const ticker = await startTickerWorker(teardown, relay)
    const watcher = await connectTestPeer(teardown, relay)
    const queue = watcher.workspace.queueHandle
    const batches: TaskOutput[] = []
    queue.on("ephemeral-message", ({ message }) => {
      const parsed = TaskOutputEnvelope.safeParse(message)
      if (parsed.success) batches.push(parsed.data[TASK_OUTPUT_MARKER])
    })
    const lines = () => batches.flatMap(b => b.lines)
    // A peer that is enrolled but not approved asks for the queue too.
    const pendingIdentity = await freshIdentity()
    await enrol(relay, pendingIdentity)
    const pending = await openRawPeer(teardown, relay, pendingIdentity)
    pending.ws.send(encode({ type: "join", senderId: "pending-peer", peerMetadata: {}, supportedProtocolVersions: ["1"] }))
    const ask = A.encodeSyncMessage({ heads: [], need: [], have: [], changes: [] })
    pending.ws.send(encode({ type: "request", senderId: "pending-peer", targetId: relay.adapter.peerId, documentId: queue.documentId, data: ask }))

    const task = watcher.workspace.addTask({ command: TICKER_COMMAND, title: "Tick" }, operatorOf(watcher))
    await until(relay, task.id, "running")
    ticker.go()
    const first = await waitFor(() => lines().length >= 3 && lines(), { events: [[queue, "ephemeral-message"]], message: "the first three lines to reach the watcher" })
    // Two pipes: each stream keeps its order, the two may interleave either way.
    expect(first.filter(l => l.stream === "stdout").map(l => l.text)).toEqual(["first line to stdout", "second line to stdout"])
    expect(first.filter(l => l.stream === "stderr").map(l => l.text)).toEqual(["a warning to stderr"])
    // Seen while the command still runs: nothing of it is stored yet.
    expect(relay.workspace.tasks.get(task.id)?.status).toBe("running")
    expect(relay.workspace.tasks.get(task.id)?.result).toBeUndefined()
    const lease = relay.workspace.tasks.get(task.id)!.lease!
    expect(batches.every(b => b.taskId === task.id && b.leaseId === lease.leaseId)).toBe(true)

    // A rogue operator (approved, but not the lease holder) and broken payloads: all dropped.
    const rogue = await openRawPeer(teardown, relay, await approvedIdentity(relay))
    rogue.ws.send(encode({ type: "join", senderId: "rogue", peerMetadata: {}, supportedProtocolVersions: ["1"] }))
    const ephemeral = (count: number, documentId: string, data: Uint8Array) =>
      encode({ type: "ephemeral", senderId: "rogue", targetId: relay.adapter.peerId, documentId, count, sessionId: "rogue-session", data })
    const forged = { [TASK_OUTPUT_MARKER]: { taskId: task.id, leaseId: lease.leaseId, seq: 99, lines: [{ stream: "stdout", text: "FORGED" }] } }
    const dropsBefore = relay.metrics.ephemeralDropped
    rogue.ws.send(ephemeral(1, queue.documentId, cbor.encode(forged)))
    rogue.ws.send(ephemeral(2, queue.documentId, new Uint8Array([0xff, 0xff, 0xff])))
    rogue.ws.send(ephemeral(3, relay.workspace.rootHandle.documentId, cbor.encode(5)))
    rogue.ws.send(ephemeral(4, queue.documentId, cbor.encode({ [TASK_OUTPUT_MARKER]: { taskId: task.id, leaseId: lease.leaseId, seq: 1, lines: "not a list" } })))
    await waitFor(() => relay.metrics.ephemeralDropped === dropsBefore + 4, { message: "the relay to drop the four rogue messages" })
    expect(relay.logs.filter(l => l.includes("dropped an ephemeral message from"))).toHaveLength(1)
    expect(rogue.ws.readyState).toBe(rogue.ws.OPEN)

    // The relay goes on: the rest of the run arrives, then the stored result.
    ticker.stop()
    await waitFor(() => lines().some(l => l.text === "stopping now"), { events: [[queue, "ephemeral-message"]], message: "the last line" })
    const done = await until(relay, task.id, "pending_review")
    expect(done.result?.output).toContain("stopping now")
    expect(lines().map(l => l.text)).not.toContain("FORGED")
    expect(new Set(batches.map(b => b.seq)).size).toBe(batches.length)

    // The pending peer never heard a line: the relay forwards only to peers that may read the queue.
    const heard = pending.received.map(frame => cbor.decode(frame) as { type: string })
    expect(heard.some(m => m.type === "doc-unavailable")).toBe(true)
    expect(heard.filter(m => m.type === "ephemeral")).toEqual([])
  })
})
