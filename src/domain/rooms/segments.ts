/**
 * A room keeps its messages in segments, one document per period (a UTC month), so opening
 * a room reads its newest segments, not its whole history. The room's index entry lists
 * the segments newest first; its `url` is the room's first document (every room from
 * before segments is exactly that: one segment, nothing rewritten). Only the relay adds
 * segments, ahead of time, so peers usually hold the next one before they need it. A peer
 * writes into the newest segment it holds for the message's period; readers merge the
 * segments by (at, id) and keep each message id once, so a message written late, or into
 * an older segment by a peer that was offline, lands once and in order.
 */
import type { Message, RoomEntry } from "../../../schemas/index.ts"

/** How long before a period ends the relay adds the next period's segment. */
export const SEGMENT_LEAD_MS = 3 * 24 * 3600_000

/** "2026-11": the UTC month `at` falls in, the period of a segment. */
export function segmentPeriod(at: number): string {
  return new Date(at).toISOString().slice(0, 7)
}

/** When `period` ends (the first instant of the next period), in ms. */
export function periodEnd(period: string): number {
  const [year, month] = period.split("-").map(Number) as [number, number]
  return Date.UTC(year, month, 1)
}

/** One document of a room: `period` absent for the room's first document. */
export interface Segment {
  period?: string
  url: string
}

/** Every segment of a room, newest first; the first document last. */
export function roomSegments(entry: Pick<RoomEntry, "url" | "segments">): Segment[] {
  return [...(entry.segments ?? []), { url: entry.url }]
}

/**
 * Where a message written at `at` goes: the newest segment whose period has begun by then
 * (a segment the relay made ahead of time waits for its period); the first document when
 * none has. `segments` are the ones this peer holds, newest first.
 */
export function writeSegment(segments: readonly Segment[], at: number): Segment {
  const period = segmentPeriod(at)
  return segments.find(s => s.period === undefined || s.period <= period) ?? segments[segments.length - 1]!
}

const before = (a: Message, b: Message) => a.at < b.at || (a.at === b.at && a.id < b.id)

/**
 * The messages of several segments as one list, oldest first: the segments' lists merged
 * by (at, id), each message id once (the first met). Within a segment its own order is
 * kept, so a room of one segment reads exactly as its document lists it.
 */
export function mergeSegments(lists: readonly (readonly Message[])[]): Message[] {
  const at = lists.map(() => 0)
  const seen = new Set<string>()
  const out: Message[] = []
  for (;;) {
    let pick = -1
    for (let i = 0; i < lists.length; i++) {
      const m = lists[i]![at[i]!]
      if (m && (pick < 0 || before(m, lists[pick]![at[pick]!]!))) pick = i
    }
    if (pick < 0) return out
    const m = lists[pick]![at[pick]!++]!
    if (!seen.has(m.id)) out.push(m), seen.add(m.id)
  }
}

/**
 * The periods the relay should add to a room at `now`, oldest first: the current period
 * once the room is older than it, and the next one within `leadMs` of the current one's end.
 * A room whose newest segment already covers them needs none.
 */
export function segmentsDue(entry: Pick<RoomEntry, "createdAt" | "segments">, now: number, leadMs = SEGMENT_LEAD_MS): string[] {
  const current = segmentPeriod(now)
  const newest = entry.segments?.[0]?.period ?? segmentPeriod(entry.createdAt)
  const wanted = now >= periodEnd(current) - leadMs ? [current, segmentPeriod(periodEnd(current))] : [current]
  return wanted.filter(p => p > newest)
}
