/**
 * What the workspace of `npm run bench -- bounded` holds, the same for every layout: a year
 * of history, twelve UTC months up to the current one. Messages and ledger entries are spread
 * evenly over those months (the current month holds a twelfth, written between its start and
 * now); finished tasks sit in the eleven months before it, the live ones in the current one.
 * The generators are the other benches' (bench/syncData.ts, bench/social.ts); only their
 * times are set here. Pure: `now` is given.
 */
import type { LedgerEntry, Message, Task } from "../schemas/index.ts"
import { makeLedger } from "./social.ts"
import { makeMessage, makeTask } from "./syncData.ts"

/** The months of history, the current one included. */
export const MONTHS = 12

export interface Month {
  /** "2026-11" */
  period: string
  start: number
  /** When the month ends: the next month's first instant, or `now` for the current month. */
  end: number
}

/** The UTC month `back` months before `now`'s (0: the current month). */
export function monthBefore(now: number, back: number): Month {
  const d = new Date(now)
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back + 1, 1)
  return { period: new Date(start).toISOString().slice(0, 7), start, end: Math.min(next, now) }
}

/** When the workspace was created: the first instant of its oldest month. */
export const createdAt = (now: number): number => monthBefore(now, MONTHS - 1).start

/** Which of `months` months (0 the oldest) item `i` of `count` belongs to: an even share each, in order. */
export function monthOf(i: number, count: number, months = MONTHS): number {
  return Math.floor((i * months) / count)
}

/** The items of month `m` of `months`: indices `first` up to (not including) `last`. */
export function monthShare(m: number, count: number, months = MONTHS): { first: number; last: number } {
  return { first: Math.ceil((m * count) / months), last: Math.ceil(((m + 1) * count) / months) }
}

/**
 * When item `i` of `count` was written: in its month (monthOf, the oldest first, the current
 * one last), its share spread evenly from the month's start to its end.
 */
export function spreadAt(i: number, count: number, now: number, months = MONTHS): number {
  const m = monthOf(i, count, months)
  const { first, last } = monthShare(m, count, months)
  const month = monthBefore(now, months - 1 - m)
  return month.start + Math.floor(((i - first) * (month.end - month.start)) / (last - first))
}

/** Message `i` of the big room's `count`. */
export function boundedMessage(i: number, count: number, now: number): Message {
  return { ...makeMessage(i, 0), at: spreadAt(i, count, now) }
}

/** The ledger of bench/social.ts, its entries spread over the months in the order it makes them. */
export function boundedLedger(count: number, residents: number, now: number): LedgerEntry[] {
  return makeLedger(count, residents).map((entry, i) => ({ ...entry, at: spreadAt(i, count, now) }))
}

const HOUR = 3_600_000

/** A live task: finished an hour ago, so the archiver keeps it in the live queue for a day and no worker runs it. */
export const recentlyApproved = (i: number, now: number): Task => ({ ...makeTask(i, now - HOUR), status: "approved" })

/** Finished task `i` of month `back` before the current one (1 to MONTHS - 1), finished mid-month. */
export function archivedTask(i: number, back: number, now: number): Task {
  const { start } = monthBefore(now, back)
  return { ...makeTask(1_000_000 + i, start + 14.5 * 24 * HOUR), status: "approved" }
}
