/**
 * A peer's audit log by period: one document per UTC month, the same periods as a room's
 * (src/domain/rooms/segments.ts), so opening the newest page of a log reads its newest
 * segments, not its whole history. The registration's `auditUrl` is the log's first
 * document (all of a log from before segments: nothing rewritten); `auditSegments` lists the
 * later ones, newest first, added by the relay alone ahead of time. Only the log's owner
 * writes entries into any of them. The hash chain runs on across segments: the first entry
 * of a segment carries the seq after, and the hash of, the last entry before it.
 */
import type { PeerRecord } from "../../../schemas/index.ts"
import { roomSegments, segmentsDue, writeSegment, type Segment } from "../rooms/segments.ts"

export type { Segment }

type SegmentedRecord = Pick<PeerRecord, "auditUrl" | "auditSegments">

/** Every segment of a peer's log, newest first; its first document last. */
export function auditSegments(record: SegmentedRecord): Segment[] {
  return roomSegments({ url: record.auditUrl, segments: record.auditSegments })
}

/** The periods the relay should add to a peer's log at `now` (the current one, the next one near its start). */
export function auditSegmentsDue(record: SegmentedRecord & Pick<PeerRecord, "registeredAt">, now: number): string[] {
  return segmentsDue({ createdAt: record.registeredAt, segments: record.auditSegments }, now)
}

/**
 * Where the owner appends an entry written at `at`: the newest segment whose period has
 * begun, but never one older than `newestWritten` (the newest segment holding an entry), so
 * the chain's order is the segments' order even when the clock steps back.
 */
export function auditWriteSegment(segments: readonly Segment[], at: number, newestWritten?: string): Segment {
  const target = writeSegment(segments, at)
  const written = segments.findIndex(s => s.url === newestWritten)
  return written >= 0 && written < segments.indexOf(target) ? segments[written]! : target
}
