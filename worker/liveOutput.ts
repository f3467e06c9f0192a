/**
 * A running command's output as it comes, for operators watching the task: stdout and
 * stderr cut into lines, gathered over a short window and broadcast as ephemeral messages
 * on the queue document. The relay forwards them only to peers that may read the queue
 * (peer-server/gate/ephemeralGate.ts); nothing is stored, the task's result keeps the whole
 * output. Long lines are cut; lines over the rate are counted as skipped, not sent.
 */
import { StringDecoder } from "node:string_decoder"
import type { DocHandle } from "@automerge/automerge-repo"
import { LIVE_OUTPUT_LIMITS, TASK_OUTPUT_MARKER, type OutputLine, type OutputStream, type TaskOutput } from "../schemas/ephemeral.ts"
import type { RunRef } from "../schemas/index.ts"
import { capLine, splitLines } from "../src/domain/tasks/index.ts"
import { RateLimiter } from "./rateLimit.ts"

export interface LiveOutputOptions {
  /** How long lines gather before they go out as one message. */
  flushMs?: number
  linesPerSecond?: number
  now?: () => number
}

const STREAMS: readonly OutputStream[] = ["stdout", "stderr"]

export class LiveOutput {
  readonly #send: (batch: TaskOutput) => void
  readonly #run: RunRef
  readonly #flushMs: number
  readonly #rate: RateLimiter
  readonly #rest: Record<OutputStream, string> = { stdout: "", stderr: "" }
  readonly #decoders: Record<OutputStream, StringDecoder> = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") }
  #pending: OutputLine[] = []
  #skipped = 0
  #seq = 0
  #timer?: NodeJS.Timeout
  #closed = false

  constructor(send: (batch: TaskOutput) => void, run: RunRef, opts: LiveOutputOptions = {}) {
    this.#send = send
    this.#run = run
    this.#flushMs = opts.flushMs ?? 200
    const perSecond = opts.linesPerSecond ?? LIVE_OUTPUT_LIMITS.linesPerSecond
    this.#rate = new RateLimiter(perSecond * 60, opts.now, perSecond)
  }

  /** A chunk of one stream, as the process wrote it (UTF-8 split anywhere). */
  readonly write = (stream: OutputStream, chunk: Buffer): void => {
    if (this.#closed) return
    const { lines, rest } = splitLines(this.#rest[stream], this.#decoders[stream].write(chunk))
    this.#rest[stream] = rest
    for (const text of lines) this.#add(stream, text)
  }

  /** The process ended: unfinished last lines go out with everything pending. Idempotent. */
  close(): void {
    if (this.#closed) return
    for (const stream of STREAMS) {
      const tail = this.#rest[stream] + this.#decoders[stream].end()
      this.#rest[stream] = ""
      if (tail) this.#add(stream, capLine(tail))
    }
    this.#closed = true
    this.#flush()
  }

  #add(stream: OutputStream, text: string): void {
    if (!this.#rate.tryTake().ok) this.#skipped++
    else this.#pending.push({ stream, text })
    if (this.#pending.length >= LIVE_OUTPUT_LIMITS.linesPerMessage) this.#flush()
    else this.#timer ??= setTimeout(() => this.#flush(), this.#flushMs)
  }

  #flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#pending.length && !this.#skipped) return
    const batch: TaskOutput = { taskId: this.#run.taskId, leaseId: this.#run.leaseId, seq: ++this.#seq, lines: this.#pending, ...(this.#skipped ? { skipped: this.#skipped } : {}) }
    this.#pending = []
    this.#skipped = 0
    this.#send(batch)
  }
}

/** Live output of one run, broadcast on `queue` (the queue document's handle). */
export function liveOutputOn(queue: DocHandle<unknown>, run: RunRef, opts?: LiveOutputOptions): LiveOutput {
  return new LiveOutput(batch => queue.broadcast({ [TASK_OUTPUT_MARKER]: batch }), run, opts)
}
