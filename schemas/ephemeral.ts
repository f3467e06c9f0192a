/**
 * What peers may send each other as automerge-repo ephemeral messages (`DocHandle.broadcast`,
 * CBOR in the `data` of a wire `ephemeral` message): never stored, never part of a document.
 * Three kinds exist: automerge-repo's Presence (on the root), a running task's live output
 * (on the queue) and a worker's beat (on the root: it is online, and renews its leases). The relay drops every other payload before its Repo reads it
 * (peer-server/gate/ephemeralGate.ts); receivers check the same schemas again.
 */
import { z } from "zod"
import { Id, PeerName } from "./common.ts"

/** Limits of live output: they bound what one worker can push through the relay to every reader. */
export const LIVE_OUTPUT_LIMITS = {
  /** Characters of one line; a longer line is cut and marked. */
  lineChars: 1_000,
  /** Lines in one message (the worker sends what came within a short window as one). */
  linesPerMessage: 50,
  /** Lines a second one run may send, sustained; what comes faster is counted as skipped. */
  linesPerSecond: 100,
  /** Messages a second the relay forwards from one worker (all its runs together; twice that at once). */
  messagesPerSecond: 30,
} as const

export const OutputStream = z.enum(["stdout", "stderr"])
export type OutputStream = z.infer<typeof OutputStream>

export const OutputLine = z.object({ stream: OutputStream, text: z.string().max(LIVE_OUTPUT_LIMITS.lineChars) }).strict()
export type OutputLine = z.infer<typeof OutputLine>

/** One batch of a running task's output lines, from the worker holding the task's lease. */
export const TaskOutput = z
  .object({
    taskId: Id,
    leaseId: Id,
    /** Counts up from 1 within one lease: receivers drop a batch they have already seen. */
    seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    lines: z.array(OutputLine).max(LIVE_OUTPUT_LIMITS.linesPerMessage),
    /** Lines the worker left out since the previous batch (over the rate). */
    skipped: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
export type TaskOutput = z.infer<typeof TaskOutput>

/** The key a task-output payload lives under (as Presence's live under `__presence`). */
export const TASK_OUTPUT_MARKER = "__taskOutput"
export const TaskOutputEnvelope = z.object({ [TASK_OUTPUT_MARKER]: TaskOutput }).strict()
export type TaskOutputEnvelope = z.infer<typeof TaskOutputEnvelope>

/**
 * automerge-repo Presence's envelope (`{__presence: {type, …}}`): its own handler reads
 * `type`, `channel`, `value` and `state` and would throw on anything that is not an object.
 */
export const PresenceEnvelope = z
  .object({
    __presence: z.discriminatedUnion("type", [
      z.object({ type: z.literal("heartbeat") }).strict(),
      z.object({ type: z.literal("goodbye") }).strict(),
      z.object({ type: z.literal("update"), channel: z.string().min(1).max(100), value: z.unknown() }).strict(),
      z.object({ type: z.literal("snapshot"), state: z.record(z.string().max(100), z.unknown()) }).strict(),
    ]),
  })
  .strict()

/** Leases one beat renews at most (a worker runs at most 64 tasks at once: schemas/root.ts). */
export const MAX_BEAT_LEASES = 64

/**
 * A worker's beat, every few seconds: it is online, and it still holds (and renews) these
 * task leases. The relay decides liveness and lease expiry by its own clock from the last beat
 * it received (peer-server/liveness.ts); nothing of it is written to a document. `worker`
 * names the sender: the relay refuses a beat naming another peer, and renews only the leases
 * the named worker holds (a follower relay passes its peers' beats on under their names).
 */
export const WorkerBeat = z
  .object({
    worker: PeerName,
    leases: z.array(z.object({ taskId: Id, leaseId: Id }).strict()).max(MAX_BEAT_LEASES),
    /** The worker is stopping: no new lease for it, from now on. */
    goodbye: z.literal(true).optional(),
  })
  .strict()
export type WorkerBeat = z.infer<typeof WorkerBeat>

export const WORKER_BEAT_MARKER = "__workerBeat"
export const WorkerBeatEnvelope = z.object({ [WORKER_BEAT_MARKER]: WorkerBeat }).strict()
export type WorkerBeatEnvelope = z.infer<typeof WorkerBeatEnvelope>

/** Every ephemeral payload a peer may send. */
export const EphemeralPayload = z.union([PresenceEnvelope, TaskOutputEnvelope, WorkerBeatEnvelope])
export type EphemeralPayload = z.infer<typeof EphemeralPayload>
