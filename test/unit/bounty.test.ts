/** Bounty rules: slot multipliers, fingerprints, payout plans (src/domain/bounties/bounty.ts). */
import { describe, expect, it } from "vitest"
import type { Bounty, Submission } from "../../schemas/index.ts"
import { BountyRuleError, arrivalOrder, bountyPrompt, fnv1a64, payoutKey, payoutPlan, rankSubmissions, slotOutcome, submissionFingerprint } from "../../src/domain/bounties/bounty.ts"

const LONG = "a careful write-up of the cave map, with sources"

const sub = (id: string, at: number, identity: string, content = LONG, members = [identity]): Submission => ({ id, identity, members, content, at })
const bountyOf = (slots: number, subs: Submission[]): Pick<Bounty, "id" | "slots" | "submissions"> => ({ id: "b1", slots, submissions: Object.fromEntries(subs.map(s => [s.id, s])) })

describe("slotOutcome", () => {
  it("in-slot submissions get 1.0; the slot index is the number of earlier submissions + 1", () => {
    expect(slotOutcome(2, [], { identity: "ada", content: LONG })).toEqual({ slotIndex: 1, multiplier: 1, reason: "in_slot" })
    expect(slotOutcome(2, [{ identity: "ada", multiplier: 1 }], { identity: "bo", content: LONG })).toEqual({ slotIndex: 2, multiplier: 1, reason: "in_slot" })
  })

  it("overflow halves per place past the slots, down to a floor of 0.05", () => {
    const earlier = (n: number) => Array.from({ length: n }, (_, i) => ({ identity: `r${i}`, multiplier: 1 }))
    expect(slotOutcome(2, earlier(2), { identity: "x", content: LONG })).toEqual({ slotIndex: 3, multiplier: 0.5, reason: "overflow" })
    expect(slotOutcome(2, earlier(3), { identity: "x", content: LONG }).multiplier).toBe(0.25)
    expect(slotOutcome(2, earlier(5), { identity: "x", content: LONG }).multiplier).toBe(0.0625)
    expect(slotOutcome(2, earlier(6), { identity: "x", content: LONG })).toEqual({ slotIndex: 7, multiplier: 0.05, reason: "overflow" })
    expect(slotOutcome(1, earlier(60), { identity: "x", content: LONG }).multiplier).toBe(0.05)
  })

  it("zero for a repeat by an identity that already has a rewarded submission", () => {
    expect(slotOutcome(3, [{ identity: "ada", multiplier: 1 }], { identity: "ada", content: LONG })).toEqual({ slotIndex: 2, multiplier: 0, reason: "repeat_submission" })
    // An earlier submission that earned nothing does not count as rewarded.
    expect(slotOutcome(3, [{ identity: "ada", multiplier: 0 }], { identity: "ada", content: LONG }).multiplier).toBe(1)
  })

  it("zero for a submission under 20 characters (trimmed); reasons are joined", () => {
    expect(slotOutcome(1, [], { identity: "ada", content: "   nineteen chars!!    " })).toEqual({ slotIndex: 1, multiplier: 0, reason: "insufficient_contribution" })
    expect(slotOutcome(1, [], { identity: "ada", content: "x".repeat(20) }).multiplier).toBe(1)
    expect(slotOutcome(1, [{ identity: "ada", multiplier: 1 }], { identity: "ada", content: "short" })).toEqual({
      slotIndex: 2,
      multiplier: 0,
      reason: "overflow,repeat_submission,insufficient_contribution",
    })
  })
})

describe("rankSubmissions", () => {
  it("orders by time then id and recomputes every outcome from the merged set", () => {
    // Two offline peers both saw themselves in slot 1; after the merge only the earlier is.
    const subs = [sub("s-b", 10, "bo"), sub("s-a", 10, "ada"), sub("s-c", 5, "cy"), sub("s-d", 20, "ada")]
    expect(arrivalOrder(subs).map(s => s.id)).toEqual(["s-c", "s-a", "s-b", "s-d"])
    const ranks = rankSubmissions(bountyOf(2, subs))
    expect(Object.fromEntries(ranks)).toEqual({
      "s-c": { slotIndex: 1, multiplier: 1, reason: "in_slot" },
      "s-a": { slotIndex: 2, multiplier: 1, reason: "in_slot" },
      "s-b": { slotIndex: 3, multiplier: 0.5, reason: "overflow" },
      "s-d": { slotIndex: 4, multiplier: 0, reason: "overflow,repeat_submission" },
    })
  })
})

describe("fingerprints", () => {
  it("FNV-1a 64 matches the published test vectors", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325")
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c")
    expect(fnv1a64("foobar")).toBe("85944171f73967e8")
  })

  it("ignores spacing, case and member order; differs by identity, content or members", () => {
    const base = submissionFingerprint({ identity: "ada", content: "The Cave  Map\n", members: ["ada", "bo"] })
    expect(base).toMatch(/^[0-9a-f]{16}$/)
    expect(submissionFingerprint({ identity: "ada", content: " the cave map", members: ["bo", "ada", "bo"] })).toBe(base)
    expect(submissionFingerprint({ identity: "bo", content: "the cave map", members: ["ada", "bo"] })).not.toBe(base)
    expect(submissionFingerprint({ identity: "ada", content: "the cave maps", members: ["ada", "bo"] })).not.toBe(base)
    expect(submissionFingerprint({ identity: "ada", content: "the cave map", members: ["ada"] })).not.toBe(base)
  })
})

describe("payoutPlan", () => {
  it("winner and runner-up: reward × multiplier, rounded, to each member", () => {
    const subs = [sub("s1", 1, "ada", LONG, ["ada", "bo"]), sub("s2", 2, "cy"), sub("s3", 3, "dee")]
    // One slot: s2 is overflow (0.5), s3 overflow (0.25).
    expect(payoutPlan(bountyOf(1, subs), { winner: "s2", runnerUp: "s1", winnerReward: 45, runnerUpReward: 11 })).toEqual([
      { place: 1, submission: "s2", member: "cy", amount: 23 },
      { place: 2, submission: "s1", member: "ada", amount: 11 },
      { place: 2, submission: "s1", member: "bo", amount: 11 },
    ])
  })

  it("a single submission: reward × its multiplier; zero amounts are left out", () => {
    expect(payoutPlan(bountyOf(1, [sub("s1", 1, "ada")]), { winner: "s1", winnerReward: 50, runnerUpReward: 0 })).toEqual([{ place: 1, submission: "s1", member: "ada", amount: 50 }])
    expect(payoutPlan(bountyOf(1, [sub("s1", 1, "ada", "too short")]), { winner: "s1", winnerReward: 50, runnerUpReward: 0 })).toEqual([])
    expect(payoutPlan(bountyOf(2, [sub("s1", 1, "ada"), sub("s2", 2, "bo")]), { winner: "s1", runnerUp: "s2", winnerReward: 50, runnerUpReward: 0 })).toHaveLength(1)
  })

  it("refuses an unknown submission or the same one twice", () => {
    const b = bountyOf(1, [sub("s1", 1, "ada")])
    expect(() => payoutPlan(b, { winner: "nope", winnerReward: 1, runnerUpReward: 0 })).toThrow(new BountyRuleError("not_found", { thing: "submission", id: "nope", where: "bounty b1" }))
    expect(() => payoutPlan(b, { winner: "s1", runnerUp: "s1", winnerReward: 1, runnerUpReward: 1 })).toThrow("The runner-up is the same submission as the winner.")
  })

  it("payout keys name bounty, place and member", () => {
    expect(payoutKey("b1", { place: 2, member: "ada" })).toBe("bounty:b1:place:2:ada")
  })
})

describe("bountyPrompt", () => {
  it("names the resident, the bounty and what to answer, within the prompt limit", () => {
    const text = bountyPrompt({ id: "bounty-1", title: "Map the west cave", description: "Exits and water.", reward: 50 }, "Wren")
    expect(text).toContain("Bounty for Wren (bounty-1): Map the west cave")
    expect(text).toContain("Reward: 50 tokens")
    expect(bountyPrompt({ id: "b", title: "t", description: "x".repeat(10_000), reward: 1 }, "W").length).toBeLessThanOrEqual(4_000)
  })
})
