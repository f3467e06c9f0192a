/**
 * What peers may send each other as automerge-repo ephemeral messages (`DocHandle.broadcast`,
 * CBOR in the `data` of a wire `ephemeral` message): never stored, never part of a document.
 * Two kinds exist: automerge-repo's Presence (on the root) and a running task's live output
 * (on the queue). The relay drops every other payload before its Repo reads it
 * (peer-server/gate/ephemeralGate.ts); receivers check the same schemas again.
 */
import { z } from "zod"
import { Id } from "./common.ts"

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

/** Every ephemeral payload a peer may send. */
export const EphemeralPayload = z.union([PresenceEnvelope, TaskOutputEnvelope])
export type EphemeralPayload = z.infer<typeof EphemeralPayload>
