/**
 * Live output, the pure parts: the ephemeral message schema, how a worker cuts output into
 * batches, how a reader folds batches, and the relay's judgement of one payload.
 */
import { cbor } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { EphemeralPayload, LIVE_OUTPUT_LIMITS, TASK_OUTPUT_MARKER, TaskOutputEnvelope, type TaskOutput } from "../../schemas/ephemeral.ts"
import type { Task } from "../../schemas/index.ts"
import { judgeEphemeral } from "../../peer-server/gate/ephemeralGate.ts"
import { capLine, receiveOutput, splitLines } from "../../src/domain/tasks/index.ts"
import { LiveOutput } from "../../worker/liveOutput.ts"

const batch = (extra: Partial<TaskOutput> = {}): TaskOutput => ({ taskId: "task-1", leaseId: "lease-1", seq: 1, lines: [{ stream: "stdout", text: "hello" }], ...extra })

describe("the ephemeral message schema", () => {
  it("takes a task-output batch and presence, and nothing else", () => {
    expect(TaskOutputEnvelope.safeParse({ [TASK_OUTPUT_MARKER]: batch() }).success).toBe(true)
    expect(TaskOutputEnvelope.safeParse({ [TASK_OUTPUT_MARKER]: batch({ skipped: 3, lines: [] }) }).success).toBe(true)
    for (const bad of [
      batch({ lines: [{ stream: "stdout", text: "x".repeat(LIVE_OUTPUT_LIMITS.lineChars + 1) }] }),
      batch({ lines: Array.from({ length: LIVE_OUTPUT_LIMITS.linesPerMessage + 1 }, () => ({ stream: "stdout" as const, text: "x" })) }),
      batch({ seq: 0 }),
      batch({ taskId: "../etc" }),
      { ...batch(), extra: 1 },
      { ...batch(), lines: [{ stream: "stdin", text: "x" }] },
    ])
      expect(TaskOutputEnvelope.safeParse({ [TASK_OUTPUT_MARKER]: bad }).success, JSON.stringify(bad).slice(0, 80)).toBe(false)
    expect(EphemeralPayload.safeParse({ __presence: { type: "heartbeat" } }).success).toBe(true)
    expect(EphemeralPayload.safeParse({ __presence: { type: "update", channel: "operator", value: { name: "ada" } } }).success).toBe(true)
    expect(EphemeralPayload.safeParse({ __presence: { type: "snapshot", state: { operator: {} } } }).success).toBe(true)
    for (const bad of [5, null, "x", [], {}, { __presence: 5 }, { __presence: { type: "dance" } }, { __presence: { type: "heartbeat" }, [TASK_OUTPUT_MARKER]: batch() }])
      expect(EphemeralPayload.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
  })
})

describe("cutting output into lines", () => {
  it("ends lines at \\n, \\r\\n and a lone \\r, keeps the unfinished tail, and cuts long lines", () => {
    expect(splitLines("", "a\nb\r\nc\rd")).toEqual({ lines: ["a", "b", "c"], rest: "d" })
    expect(splitLines("d", "one\n")).toEqual({ lines: ["done"], rest: "" })
    expect(splitLines("", "x".repeat(12), 10)).toEqual({ lines: [`${"x".repeat(9)}…`], rest: "" })
    expect(capLine("short", 10)).toBe("short")
    // A surrogate pair is not split by the cut.
    expect(capLine(`abcd😀efgh`, 6)).toBe("abcd…")
  })

  it("a worker batches lines per window, marks stderr, keeps UTF-8 whole across chunks, and counts lines over the rate as skipped", () => {
    const sent: TaskOutput[] = []
    // A stopped clock: the bucket holds 3 lines and never refills.
    const live = new LiveOutput(b => sent.push(b), { taskId: "task-1", leaseId: "lease-1" }, { linesPerSecond: 3, now: () => 0, flushMs: 60_000 })
    const euro = Buffer.from("€\n")
    live.write("stdout", Buffer.from("one\ntw"))
    live.write("stderr", euro.subarray(0, 1))
    live.write("stderr", euro.subarray(1))
    live.write("stdout", Buffer.from("o\nthree\nfour\n"))
    expect(sent).toEqual([])
    live.close()
    expect(sent).toEqual([
      {
        taskId: "task-1",
        leaseId: "lease-1",
        seq: 1,
        lines: [
          { stream: "stdout", text: "one" },
          { stream: "stderr", text: "€" },
          { stream: "stdout", text: "two" },
        ],
        skipped: 2,
      },
    ])
    live.write("stdout", Buffer.from("after the end\n"))
    live.close()
    expect(sent).toHaveLength(1)
  })

  it("a full batch goes out at once; the last unfinished line goes out on close", () => {
    const sent: TaskOutput[] = []
    const live = new LiveOutput(b => sent.push(b), { taskId: "task-1", leaseId: "lease-1" }, { flushMs: 60_000 })
    live.write("stdout", Buffer.from("x\n".repeat(LIVE_OUTPUT_LIMITS.linesPerMessage) + "no newline"))
    expect(sent.map(b => b.lines.length)).toEqual([LIVE_OUTPUT_LIMITS.linesPerMessage])
    live.close()
    expect(sent.map(b => [b.seq, b.lines.map(l => l.text)])).toEqual([
      [1, Array(LIVE_OUTPUT_LIMITS.linesPerMessage).fill("x")],
      [2, ["no newline"]],
    ])
  })
})

describe("a reader folding batches", () => {
  it("appends in seq order, ignores repeats, starts over for a new lease, and keeps the newest lines", () => {
    const one = receiveOutput(undefined, batch(), 10)
    expect(one).toEqual({ taskId: "task-1", leaseId: "lease-1", seq: 1, lines: [{ stream: "stdout", text: "hello" }], skipped: 0, at: 10 })
    expect(receiveOutput(one, batch(), 11)).toBe(one)
    const two = receiveOutput(one, batch({ seq: 2, lines: [{ stream: "stderr", text: "oops" }], skipped: 4 }), 12)
    expect(two.lines.map(l => l.text)).toEqual(["hello", "oops"])
    expect(two.skipped).toBe(4)
    const again = receiveOutput(two, batch({ leaseId: "lease-2", seq: 1, lines: [{ stream: "stdout", text: "rerun" }] }), 13)
    expect(again).toMatchObject({ leaseId: "lease-2", seq: 1, skipped: 0, lines: [{ stream: "stdout", text: "rerun" }] })
    const capped = receiveOutput(two, batch({ seq: 3, lines: [{ stream: "stdout", text: "three" }] }), 14, 2)
    expect(capped.lines.map(l => l.text)).toEqual(["oops", "three"])
    expect(capped.skipped).toBe(5)
  })
})

describe("the relay's judgement of an ephemeral payload", () => {
  const running = { id: "task-1", status: "running", lease: { holder: "w1", leaseId: "lease-1" } } as unknown as Task
  const judge = (peer: string, data: unknown, documentId = "queue") =>
    judgeEphemeral({
      principal: { peer, role: "worker", publicKeyHex: "0".repeat(64) },
      documentId,
      data: data instanceof Uint8Array ? data : cbor.encode(data),
      queueDocumentId: "queue",
      rootDocumentId: "root",
      task: id => (id === running.id ? running : undefined),
    })

  it("passes presence, and task output from the lease holder on the queue", () => {
    expect(judge("anyone", { __presence: { type: "heartbeat" } }, "root")).toEqual({ ok: true, kind: "presence" })
    expect(judge("w1", { [TASK_OUTPUT_MARKER]: batch() })).toEqual({ ok: true, kind: "taskOutput" })
  })

  it("drops what is not CBOR, not a known payload, not on the queue, or not from the lease holder", () => {
    expect(judge("w1", new Uint8Array([0xff, 0xff]))).toMatchObject({ ok: false, reason: /not CBOR/ })
    expect(judge("w1", 5)).toMatchObject({ ok: false, reason: /neither presence, task output nor a worker's beat/ })
    expect(judge("w1", { [TASK_OUTPUT_MARKER]: batch() }, "root")).toMatchObject({ ok: false, reason: /queue document only/ })
    expect(judge("w2", { [TASK_OUTPUT_MARKER]: batch() })).toMatchObject({ ok: false, reason: /does not hold its lease/ })
    expect(judge("w1", { [TASK_OUTPUT_MARKER]: batch({ leaseId: "lease-0" }) })).toMatchObject({ ok: false, reason: /does not hold its lease/ })
    expect(judge("w1", { [TASK_OUTPUT_MARKER]: batch({ taskId: "task-2" }) })).toMatchObject({ ok: false, reason: /does not hold its lease/ })
  })
})
