/**
 * Live output of a running task, as pure rules: how a worker cuts a process's output into
 * lines, and how a reader folds the batches it receives (ephemeral messages, not stored;
 * schemas/ephemeral.ts) into what it shows. The stored result stays the task's `result`.
 */
import { LIVE_OUTPUT_LIMITS, type OutputLine, type TaskOutput } from "../../../schemas/ephemeral.ts"

/** A line cut to the limit, marked so a reader knows there was more. */
export function capLine(text: string, max: number = LIVE_OUTPUT_LIMITS.lineChars): string {
  if (text.length <= max) return text
  let end = max - 1
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end--
  return `${text.slice(0, end)}…`
}

/**
 * Splits newly arrived text of one stream into complete lines, keeping the unfinished tail
 * for the next call. A tail longer than a line may be is let out as a (cut) line at once, so
 * output without newlines cannot grow the buffer. "\r\n" and a lone "\r" (progress bars)
 * end lines too.
 */
export function splitLines(rest: string, text: string, max: number = LIVE_OUTPUT_LIMITS.lineChars): { lines: string[]; rest: string } {
  const parts = (rest + text).split(/\r\n|\r|\n/)
  let tail = parts.pop() ?? ""
  const lines = parts.map(line => capLine(line, max))
  if (tail.length > max) {
    lines.push(capLine(tail, max))
    tail = ""
  }
  return { lines, rest: tail }
}

/** What a reader shows of one task's current run. */
export interface LiveRun {
  taskId: string
  leaseId: string
  /** The highest batch seen; older or repeated batches are ignored. */
  seq: number
  lines: OutputLine[]
  /** Lines the worker left out (over its rate) plus lines this reader let go (over its cap). */
  skipped: number
  /** When the last batch arrived (the reader's clock). */
  at: number
}

/** Lines a reader keeps per task: the newest, the older ones are counted as skipped. */
export const LIVE_LINES_KEPT = 2_000

/**
 * Folds one batch into a task's run: a batch of another lease starts a new run (the task was
 * run again), a batch already seen changes nothing (same object back).
 */
export function receiveOutput(run: LiveRun | undefined, batch: TaskOutput, at: number, keep = LIVE_LINES_KEPT): LiveRun {
  const current = run && run.leaseId === batch.leaseId ? run : { taskId: batch.taskId, leaseId: batch.leaseId, seq: 0, lines: [], skipped: 0, at }
  if (batch.seq <= current.seq) return run ?? current
  const lines = [...current.lines, ...batch.lines]
  const over = Math.max(0, lines.length - keep)
  return { ...current, seq: batch.seq, lines: over ? lines.slice(over) : lines, skipped: current.skipped + (batch.skipped ?? 0) + over, at }
}
