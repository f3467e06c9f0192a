/**
 * The collaboration request's rules: which request is active, the finished ones with how long
 * they ran, the suggestion task's budget band; and every refusal of its authority rule checked
 * for its own reason.
 */
import { describe, expect, it } from "vitest"
import type { CollabRequest } from "../../schemas/index.ts"
import { ALLOWED } from "../../src/core/authority/verdict.ts"
import { activeRequest, authorizeCollabRequestChange, durationLabel, finishedRequests, suggestionBudget, suggestionTaskId, FINISHED_SHOWN } from "../../src/domain/collaboration/index.ts"
import { expectRefused, principal } from "../helpers/verdicts.ts"

const MIN = 60_000
const request = (id: string, at: number, over: Partial<CollabRequest> = {}): CollabRequest => ({ id, text: `help with ${id}`, by: "alice", at, taskId: suggestionTaskId(id), ...over })

describe("collaboration request rules", () => {
  it("the active request is the newest one, unless it is done", () => {
    expect(activeRequest([])).toBeUndefined()
    const old = request("r1", 1_000)
    const newer = request("r2", 2_000)
    expect(activeRequest([newer, old])?.id).toBe("r2")
    // Done, it leaves no active request: the older one was replaced by it, not revived.
    expect(activeRequest([old, { ...newer, closed: { by: "bob", at: 3_000 } }])).toBeUndefined()
    // Two set at the same time (offline): every peer picks the same one.
    expect(activeRequest([request("r-a", 5_000), request("r-b", 5_000)])?.id).toBe(activeRequest([request("r-b", 5_000), request("r-a", 5_000)])?.id)
  })

  it("lists the others newest first, done or replaced by the next one, with how long each ran, at most 50", () => {
    expect(durationLabel(12 * MIN)).toBe("12 min")
    expect(durationLabel(90 * MIN)).toBe("1.5 hrs")
    expect(durationLabel(5 * 24 * 60 * MIN)).toBe("5 days")
    const H = 60 * MIN
    const list = finishedRequests([
      request("a", 0, { closed: { by: "alice", at: 30 * MIN } }),
      request("b", 1 * H, { closed: { by: "bob", at: 4 * H } }),
      request("c", 5 * H),
      request("d", 6 * H),
    ])
    expect(list.map(r => [r.id, r.outcome, r.duration])).toEqual([
      ["c", "replaced", "1.0 hrs"],
      ["b", "done", "3.0 hrs"],
      ["a", "done", "30 min"],
    ])
    expect(activeRequest([request("c", 5 * H), request("d", 6 * H)])?.id).toBe("d")
    const many = Array.from({ length: FINISHED_SHOWN + 5 }, (_, i) => request(`r${i}`, i * 10 * MIN, { closed: { by: "alice", at: i * 10 * MIN + MIN } }))
    expect(finishedRequests(many)).toHaveLength(FINISHED_SHOWN)
    expect(finishedRequests(many)[0]!.id).toBe(`r${FINISHED_SHOWN + 4}`)
  })

  it("gives the suggestion task at least $0.18–$0.40, more when the defaults are higher", () => {
    expect(suggestionBudget({ defaultMinBudgetUsd: 0.05, defaultMaxBudgetUsd: 0.1 })).toEqual({ minBudgetUsd: 0.18, maxBudgetUsd: 0.4 })
    expect(suggestionBudget({ defaultMinBudgetUsd: 0.5, defaultMaxBudgetUsd: 2 })).toEqual({ minBudgetUsd: 0.5, maxBudgetUsd: 2 })
  })
})

describe("who may change the collaboration requests", () => {
  const alice = principal("alice", "operator")
  const bob = principal("bob", "operator")
  const ctx = (key: string) => ({ key })
  const r1 = request("r1", 1_000)

  it("an operator sets one as itself and marks one done, once, as itself", () => {
    expect(authorizeCollabRequestChange(undefined, r1, alice, ctx("r1"))).toEqual(ALLOWED)
    expect(authorizeCollabRequestChange(r1, { ...r1, closed: { by: "bob", at: 2_000 } }, bob, ctx("r1"))).toEqual(ALLOWED)
  })

  it("refuses workers, pending peers, deletion, another's name, a wrong key or task, and rewriting", () => {
    expectRefused(authorizeCollabRequestChange(undefined, r1, principal("w1", "worker"), ctx("r1")), /w1 is a worker: only operators set collaboration requests/)
    expectRefused(authorizeCollabRequestChange(undefined, r1, principal("p1", "pending"), ctx("r1")), /a pending peer writes nothing/)
    expectRefused(authorizeCollabRequestChange(r1, undefined, alice, ctx("r1")), /cannot be deleted: mark it done/)
    expectRefused(authorizeCollabRequestChange(undefined, r1, bob, ctx("r1")), /says alice set it, but bob wrote it/)
    expectRefused(authorizeCollabRequestChange(undefined, r1, alice, ctx("r9")), /stored under the key r9/)
    expectRefused(authorizeCollabRequestChange(undefined, { ...r1, taskId: "task-other" }, alice, ctx("r1")), /queues the task suggestion-r1, not task-other/)
    expectRefused(authorizeCollabRequestChange(undefined, { ...r1, closed: { by: "alice", at: 1 } }, alice, ctx("r1")), /a new request is not done yet/)
    expectRefused(authorizeCollabRequestChange(r1, { ...r1, text: "something else" }, alice, ctx("r1")), /text does not change/)
    expectRefused(authorizeCollabRequestChange(r1, { ...r1, closed: { by: "alice", at: 2_000 } }, bob, ctx("r1")), /says alice marked it done, but bob wrote it/)
    const done = { ...r1, closed: { by: "alice", at: 2_000 } }
    expectRefused(authorizeCollabRequestChange(done, { ...r1, closed: { by: "bob", at: 3_000 } }, bob, ctx("r1")), /was marked done by alice already/)
  })
})
