/** The pure rules of audit segments: their order, which are due, where the owner writes, who may append. */
import { describe, expect, it } from "vitest"
import type { AuditEntry } from "../../schemas/index.ts"
import { auditSegments, auditSegmentsDue, auditWriteSegment } from "../../src/domain/audit/segments.ts"
import { authorizeAuditChange } from "../../src/domain/audit/authority.ts"
import { principal } from "../helpers/gateHarness.ts"

const FIRST = "automerge:first"
const JAN = { period: "2099-01", url: "automerge:jan" }
const FEB = { period: "2099-02", url: "automerge:feb" }
const MAR = { period: "2099-03", url: "automerge:mar" }
const at = (month: number, day: number) => Date.UTC(2099, month - 1, day)
const record = (segments?: (typeof JAN)[]) => ({ auditUrl: FIRST, registeredAt: at(1, 5) - 40 * 86_400_000, ...(segments ? { auditSegments: segments } : {}) })

describe("audit segments", () => {
  it("lists a log's segments newest first, its first document last", () => {
    expect(auditSegments(record())).toEqual([{ url: FIRST }])
    expect(auditSegments(record([FEB, JAN]))).toEqual([FEB, JAN, { url: FIRST }])
  })

  it("makes the current period's segment due, and the next one in the last days of a period", () => {
    expect(auditSegmentsDue(record(), at(1, 10))).toEqual(["2099-01"])
    expect(auditSegmentsDue(record([JAN]), at(1, 10))).toEqual([])
    expect(auditSegmentsDue(record([JAN]), at(1, 30))).toEqual(["2099-02"])
    expect(auditSegmentsDue(record([JAN]), at(3, 2))).toEqual(["2099-03"])
    // A peer registered this month needs none until the next one.
    expect(auditSegmentsDue({ auditUrl: FIRST, registeredAt: at(1, 2) }, at(1, 10))).toEqual([])
  })

  it("writes into the newest segment whose period has begun, never behind the newest entry", () => {
    const segments = auditSegments(record([MAR, FEB, JAN]))
    expect(auditWriteSegment(segments, at(2, 10))).toEqual(FEB)
    expect(auditWriteSegment(segments, at(3, 1))).toEqual(MAR)
    expect(auditWriteSegment(segments, at(4, 1))).toEqual(MAR)
    expect(auditWriteSegment(segments, at(1, 1) - 1)).toEqual({ url: FIRST })
    // The clock stepped back after an entry went into March: March still.
    expect(auditWriteSegment(segments, at(2, 10), MAR.url)).toEqual(MAR)
    expect(auditWriteSegment(segments, at(3, 10), FEB.url)).toEqual(MAR)
  })
})

describe("appending to a segment", () => {
  const entry = (seq: number, name = "alice"): AuditEntry => ({ seq, prev: "a".repeat(64), at: 1, actor: { kind: "operator", name }, kind: "approval", subject: "s", data: "{}", sig: "b".repeat(128) })
  const head = (seq: number) => ({ seq, hash: "c".repeat(64), sig: "d".repeat(128) })
  const alice = principal("alice", "operator")

  it("an empty segment takes the seq its first entry carries; later entries continue it", () => {
    expect(authorizeAuditChange({ peer: "alice", entriesBefore: 0, firstSeq: undefined, appended: [entry(7), entry(8)], headAfter: head(8) }, alice)).toMatchObject({ ok: true })
    expect(authorizeAuditChange({ peer: "alice", entriesBefore: 2, firstSeq: 7, appended: [entry(9)], headBefore: head(8), headAfter: head(9) }, alice)).toMatchObject({ ok: true })
    expect(authorizeAuditChange({ peer: "alice", entriesBefore: 2, firstSeq: 7, appended: [entry(2)] }, alice)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/position 9 carries seq 2/),
    })
  })

  it("refuses a head naming an entry outside the segment, and anyone but the owner", () => {
    expect(authorizeAuditChange({ peer: "alice", entriesBefore: 0, firstSeq: undefined, appended: [entry(7)], headAfter: head(3) }, alice)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/names entry 3, which is not in the log/),
    })
    expect(authorizeAuditChange({ peer: "alice", entriesBefore: 0, firstSeq: undefined, appended: [entry(7)] }, principal("bob", "operator"))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/only alice writes it/),
    })
  })
})
