/**
 * The pure rules of journal reviews: the excerpt reviewers see (names out, at most 280
 * characters), what a submission costs and from which buckets, the reward of an accepted
 * entry, who may vote, what reviewers are shown, and who may change a review (each refusal
 * checked for its own reason, not just for `ok`).
 */
import { describe, expect, it } from "vitest"
import { JournalReview, type Vote } from "../../schemas/index.ts"
import type { AuthorityVerdict } from "../../src/core/authority/verdict.ts"
import {
  ALLOWED_COSTS,
  anonymizedExcerpt,
  authorizeJournalReviewChange,
  costSplit,
  EXCERPT_MAX,
  RateInput,
  rejectedForGaming,
  reviewerView,
  reviewIdOf,
  reviewReward,
  submissionCost,
  voteRefusal,
} from "../../src/domain/journalReviews/index.ts"
import { JOURNAL_VOTE, decideRound, voteKey } from "../../src/domain/votes/index.ts"
import { DAY_MS } from "../../src/domain/wallets/economy.ts"
import { principal } from "../helpers/verdicts.ts"

const T0 = 1_764_000_000_000
const alice = principal("alice", "operator")
const bob = principal("bob", "operator")
const w1 = principal("w1", "worker")
const w2 = principal("w2", "worker")
/** w1 plays Ada (the author), w2 plays Mira. */
const holders: Record<string, string> = { ada: "w1", mira: "w2" }

const review = (over: Partial<JournalReview> = {}): JournalReview => ({
  id: "review-0123456789abcdef",
  author: "ada",
  entry: "journal-1",
  excerpt: "Today [resident] and I mapped the moss.",
  submittedBy: "alice",
  at: T0,
  cost: 10,
  votes: {},
  past: [],
  ...over,
})
const vote = (voter: string, choice: Vote["choice"], over: Partial<Vote> = {}): Vote => ({ voter, voterKind: "resident", choice, reason: "well observed", at: T0 + 1, by: "alice", ...over })
const withVotes = (...votes: Vote[]) => review({ votes: Object.fromEntries(votes.map(v => [voteKey(v.voterKind, v.voter), v])) })
const decided = (r: JournalReview, now: number): JournalReview => ({ ...r, decision: decideRound(r, JOURNAL_VOTE, now)! })

const ctx = (doc: Record<string, unknown> = { reviews: {} }) => ({ key: "review-0123456789abcdef", doc, residentHolder: (r: string) => holders[r] })
const reason = (verdict: AuthorityVerdict) => (verdict.ok ? "allowed" : verdict.reason)

describe("the excerpt reviewers see", () => {
  const residents = [
    { id: "ada-lovelace", name: "Ada Lovelace" },
    { id: "bo", name: "Bo" },
  ]

  it("takes every resident's name out: whole name, each word of it, its id, in any case, whole words only", () => {
    expect(anonymizedExcerpt("Ada Lovelace met bo at dawn; ADA laughed, ada-lovelace logged it. Adamant, Lovelace's and Bob stay.", residents)).toBe(
      "[resident] met [resident] at dawn; [resident] laughed, [resident] logged it. Adamant, [resident]'s and Bob stay.",
    )
  })

  it("flattens whitespace and is at most 280 characters, its cut marked", () => {
    const long = anonymizedExcerpt(`Bo wrote\n\n${"moss ".repeat(100)}`, residents)
    expect(long.length).toBe(EXCERPT_MAX)
    expect(long.startsWith("[resident] wrote moss moss")).toBe(true)
    expect(long.endsWith("…")).toBe(true)
    expect(anonymizedExcerpt("  short   note ", [])).toBe("short note")
  })

  it("a review's id is fixed by author and entry and names neither", async () => {
    const id = await reviewIdOf("ada-lovelace", "journal-1")
    expect(id).toMatch(/^review-[0-9a-f]{16}$/)
    expect(await reviewIdOf("ada-lovelace", "journal-1")).toBe(id)
    expect(await reviewIdOf("ada-lovelace", "journal-2")).not.toBe(id)
    expect(id).not.toContain("ada")
  })
})

describe("what a submission costs", () => {
  const gamed = decided(withVotes(vote("mira", "gaming"), vote("bo", "gaming"), vote("noor", "accept")), T0 + 100)

  it("is 10, or 13 (×1.25 rounded up) for 2 days after the author's entry was rejected as gaming", () => {
    expect(rejectedForGaming(gamed)).toBe(true)
    expect(submissionCost("ada", [], T0)).toBe(10)
    expect(submissionCost("ada", [gamed], T0 + 200)).toBe(13)
    expect(submissionCost("ada", [gamed], T0 + 100 + 2 * DAY_MS - 1)).toBe(13)
    expect(submissionCost("ada", [gamed], T0 + 100 + 2 * DAY_MS)).toBe(10)
    // Another author's rejection, and a plain rejection, cost nothing more.
    expect(submissionCost("mira", [gamed], T0 + 200)).toBe(10)
    const rejected = decided(withVotes(vote("mira", "reject"), vote("bo", "reject"), vote("noor", "gaming")), T0 + 100)
    expect(rejected.decision!.outcome).toBe("rejected")
    expect(rejectedForGaming(rejected)).toBe(false)
    expect(submissionCost("ada", [rejected], T0 + 200)).toBe(10)
    expect(ALLOWED_COSTS).toEqual([10, 13])
  })

  it("gaming rejects whatever the average; counted votes only decide it", () => {
    // Two of four say gaming, two say exceptional: the average is 1, yet half flag it.
    const r = decided(withVotes(vote("mira", "gaming"), vote("bo", "exceptional"), vote("noor", "gaming"), vote("li", "exceptional")), T0 + 100)
    expect(r.decision).toMatchObject({ outcome: "rejected", score: 1 })
    expect(rejectedForGaming(r)).toBe(true)
    // A gaming vote merged in after an acceptance is kept and does not count.
    const accepted = decided(withVotes(vote("mira", "accept"), vote("bo", "accept"), vote("noor", "accept")), T0 + 100)
    const late = { ...accepted, votes: { ...accepted.votes, "resident:li": vote("li", "gaming"), "resident:zo": vote("zo", "gaming"), "resident:ky": vote("ky", "gaming") } }
    expect(rejectedForGaming(late)).toBe(false)
  })

  it("is paid from journal tokens first, then free time; undefined when both together fall short", () => {
    expect(costSplit(10, { journal: 45, freeTime: 105 })).toEqual({ journal: 10, freeTime: 0 })
    expect(costSplit(10, { journal: 4, freeTime: 105 })).toEqual({ journal: 4, freeTime: 6 })
    expect(costSplit(13, { journal: 0, freeTime: 13 })).toEqual({ journal: 0, freeTime: 13 })
    expect(costSplit(10, { journal: 4, freeTime: 5 })).toBeUndefined()
  })
})

describe("the reward of an accepted entry", () => {
  it.each([
    // average, cost → reward: norm = clamp(avg − 1, 0, 1); cost × (0.5 + 0.5 norm + norm^1.5), at most 2 × cost
    [1, 10, 5],
    [1, 13, 7],
    [4 / 3, 10, 9],
    [1.5, 10, 11],
    [5 / 3, 10, 14],
    [2, 10, 20],
    [2, 13, 26],
    [0.5, 10, 5],
  ])("average %s, cost %i → %i tokens", (average, cost, reward) => {
    expect(reviewReward(cost, average)).toBe(reward)
  })

  it("never pays more than twice the cost, nor anything for nothing paid", () => {
    for (let avg = 1; avg <= 2; avg += 0.05) expect(reviewReward(10, avg)).toBeLessThanOrEqual(20)
    expect(reviewReward(0, 2)).toBe(0)
  })
})

describe("who may vote", () => {
  it("anyone but the author, once, while it waits; refusing the author names nobody", () => {
    const r = withVotes(vote("mira", "accept"))
    expect(voteRefusal(r, { voter: "bo", voterKind: "resident" })).toBeUndefined()
    expect(voteRefusal(r, { voter: "alice", voterKind: "operator" })).toBeUndefined()
    const own = voteRefusal(r, { voter: "ada", voterKind: "resident" })
    expect(own).toBe("this voter may not rate this entry (nobody rates their own)")
    expect(own).not.toContain("ada")
    expect(voteRefusal(r, { voter: "mira", voterKind: "resident" })).toBe("this voter has rated it already")
    // An operator named like a resident is another voter.
    expect(voteRefusal(withVotes(vote("ada", "accept", { voterKind: "operator" })), { voter: "ada", voterKind: "operator" })).toBe("this voter has rated it already")
    expect(voteRefusal(decided(withVotes(vote("mira", "accept"), vote("bo", "accept"), vote("noor", "accept")), T0), { voter: "li", voterKind: "resident" })).toBe("it is decided already")
  })

  it("the rate input wants a choice of the four and a reason of 3 characters or more", () => {
    expect(RateInput.safeParse({ voter: "mira", voterKind: "resident", choice: "exceptional", reason: "sharp" }).success).toBe(true)
    expect(RateInput.safeParse({ voter: "mira", voterKind: "resident", choice: "accept", reason: " ok " }).success).toBe(false)
    expect(RateInput.safeParse({ voter: "mira", voterKind: "resident", choice: "love", reason: "sharp" }).success).toBe(false)
  })

  it("reviewers see the excerpt, who voted and how many are needed, never the author, nor the votes until decided", () => {
    const waiting = reviewerView(withVotes(vote("mira", "gaming")))
    expect(waiting).toEqual({ id: "review-0123456789abcdef", excerpt: "Today [resident] and I mapped the moss.", at: T0, round: { decided: false, voters: [{ voter: "mira", voterKind: "resident" }], needed: 2 } })
    expect(JSON.stringify(waiting)).not.toMatch(/ada|gaming|journal-1/)
    const done = reviewerView({ ...decided(withVotes(vote("mira", "accept"), vote("bo", "exceptional"), vote("noor", "accept")), T0 + 5), reward: 11 })
    expect(done).toMatchObject({ reward: 11, round: { decided: true, decision: { outcome: "accepted", score: 4 / 3 } } })
    // Cast at the same time: counted by voter.
    expect(done.round.decided && done.round.votes.map(v => [v.voter, v.choice])).toEqual([["bo", "exceptional"], ["mira", "accept"], ["noor", "accept"]])
  })
})

describe("authority: journal reviews", () => {
  it("a new review by an operator or the author's worker, as itself, undecided, for an entry not yet submitted", () => {
    expect(authorizeJournalReviewChange(undefined, review(), alice, ctx())).toEqual({ ok: true })
    expect(authorizeJournalReviewChange(undefined, review({ submittedBy: "w1", cost: 13 }), w1, ctx())).toEqual({ ok: true })
    expect(reason(authorizeJournalReviewChange(undefined, review({ submittedBy: "w2" }), w2, ctx()))).toBe("w2 does not play ada (the relay leased it to w1), so it cannot submit its journal entries")
    expect(reason(authorizeJournalReviewChange(undefined, review({ submittedBy: "bob" }), alice, ctx()))).toBe("journal review review-0123456789abcdef says bob submitted it, but alice wrote it")
    // Submitted and rated in one batch: its votes are judged as added.
    expect(authorizeJournalReviewChange(undefined, withVotes(vote("mira", "accept")), alice, ctx())).toEqual({ ok: true })
    expect(reason(authorizeJournalReviewChange(undefined, { ...withVotes(vote("ada", "accept", { by: "w1" })), submittedBy: "w1" }, w1, ctx()))).toBe(
      "journal review review-0123456789abcdef: the author of an entry never rates it",
    )
    const decision = { outcome: "accepted" as const, counted: ["resident:mira"], score: 2, reason: "forged", at: T0 }
    expect(reason(authorizeJournalReviewChange(undefined, review({ decision }), alice, ctx()))).toBe("a new journal review has no decision: only the relay writes it (it decides a round once the round holds its quorum)")
    expect(reason(authorizeJournalReviewChange(undefined, review({ reward: 20 }), alice, ctx()))).toBe("a new journal review has no reward: only the relay writes it (it fixes the reward when it decides)")
    expect(reason(authorizeJournalReviewChange(undefined, review({ past: [{ votes: {}, reopenedAt: T0, dispute: "d1" }] }), alice, ctx()))).toBe(
      "a new journal review has no past: only the relay writes it (it closes a round when a dispute reopens it)",
    )
    expect(reason(authorizeJournalReviewChange(undefined, review({ excerpt: "x".repeat(281) }), alice, ctx()))).toBe("journal review review-0123456789abcdef: reviewers see at most 280 characters, not 281")
    expect(reason(authorizeJournalReviewChange(undefined, review({ cost: 0 }), alice, ctx()))).toBe("journal review review-0123456789abcdef: a submission costs 10 tokens (13 after one rejected as gaming), not 0")
    expect(reason(authorizeJournalReviewChange(undefined, review(), alice, ctx({ reviews: { "review-other": review({ id: "review-other" }) } })))).toBe(
      "journal review review-0123456789abcdef: this entry was submitted already, as review review-other",
    )
    expect(reason(authorizeJournalReviewChange(undefined, review({ id: "review-elsewhere" }), alice, ctx()))).toBe(
      "journal review review-elsewhere is stored under the key review-0123456789abcdef: a review's key must be its id",
    )
    expect(reason(authorizeJournalReviewChange(undefined, review(), principal("eve", "pending"), ctx()))).toMatch(/^eve is not approved yet/)
  })

  it("never deleted, what was submitted never changes, and decision, reward and past are the relay's, each refused for its own reason", () => {
    const r = withVotes(vote("mira", "accept"), vote("bo", "accept"), vote("noor", "accept"))
    expect(reason(authorizeJournalReviewChange(r, undefined, alice, ctx()))).toBe("journal review review-0123456789abcdef is never deleted: its votes, decision and payments name it")
    expect(reason(authorizeJournalReviewChange(r, { ...r, excerpt: "something else" }, alice, ctx()))).toBe("journal review review-0123456789abcdef: excerpt is what was submitted and never changes")
    expect(reason(authorizeJournalReviewChange(r, { ...r, cost: 13 }, alice, ctx()))).toBe("journal review review-0123456789abcdef: cost is what was submitted and never changes")
    expect(reason(authorizeJournalReviewChange(r, decided(r, T0), alice, ctx()))).toBe(
      "journal review review-0123456789abcdef: only the relay writes its decision (it decides a round once the round holds its quorum)",
    )
    expect(reason(authorizeJournalReviewChange(r, { ...r, reward: 20 }, w1, ctx()))).toBe("journal review review-0123456789abcdef: only the relay writes its reward (it fixes the reward when it decides)")
    expect(reason(authorizeJournalReviewChange(r, { ...r, past: [{ votes: r.votes, reopenedAt: T0, dispute: "d1" }] }, alice, ctx()))).toBe(
      "journal review review-0123456789abcdef: only the relay writes its past (it closes a round when a dispute reopens it)",
    )
  })

  it("votes are only added, under their voter, naming their writer: residents' by their worker or an operator, operators' by themselves, never the author's", () => {
    const r = withVotes(vote("mira", "accept"))
    const add = (v: Vote, who = alice, before = r) => reason(authorizeJournalReviewChange(before, { ...before, votes: { ...before.votes, [voteKey(v.voterKind, v.voter)]: v } }, who, ctx()))
    expect(add(vote("bo", "reject"))).toBe("allowed")
    expect(add(vote("alice", "exceptional", { voterKind: "operator" }))).toBe("allowed")
    expect(add(vote("mira", "gaming", { by: "w2" }), w2, review())).toBe("allowed")
    // Merged in after the decision: kept (the decision does not count it).
    const done = decided(withVotes(vote("mira", "accept"), vote("bo", "accept"), vote("noor", "accept")), T0)
    expect(add(vote("li", "gaming"), alice, done)).toBe("allowed")

    expect(add(vote("ada", "exceptional", { by: "w1" }), w1)).toBe("journal review review-0123456789abcdef: the author of an entry never rates it")
    expect(add(vote("ada", "exceptional"), alice)).toBe("journal review review-0123456789abcdef: the author of an entry never rates it")
    expect(add(vote("bo", "accept", { by: "w2" }), w2)).toBe("journal review review-0123456789abcdef: w2 does not play bo (the relay leased it to nobody), so it cannot vote for it")
    expect(add(vote("bo", "accept", { by: "bob" }), alice)).toBe("journal review review-0123456789abcdef: the vote resident:bo says bob wrote it, but alice did")
    expect(add(vote("bob", "accept", { voterKind: "operator" }), alice)).toBe("journal review review-0123456789abcdef: alice votes as itself, not as operator bob")
    expect(add(vote("w2", "accept", { voterKind: "operator", by: "w2" }), w2)).toBe(
      "journal review review-0123456789abcdef: w2 is a worker and casts no operator's vote (it votes for the resident it plays)",
    )
    expect(reason(authorizeJournalReviewChange(r, { ...r, votes: { ...r.votes, "resident:someone-else": vote("bo", "accept") } }, alice, ctx()))).toBe(
      "journal review review-0123456789abcdef: a vote is stored under its voter (resident:bo), not resident:someone-else",
    )
    expect(reason(authorizeJournalReviewChange(r, { ...r, votes: {} }, alice, ctx()))).toBe("journal review review-0123456789abcdef: the vote resident:mira is never removed")
    expect(reason(authorizeJournalReviewChange(r, { ...r, votes: { "resident:mira": vote("mira", "gaming") } }, alice, ctx()))).toBe(
      "journal review review-0123456789abcdef: resident:mira has voted; a vote never changes",
    )
    // The same voter's vote written on another peer while apart: the merge keeps one of the two.
    expect(reason(authorizeJournalReviewChange(r, { ...r, votes: { "resident:mira": vote("mira", "reject", { by: "bob" }) } }, bob, ctx()))).toBe("allowed")
  })

  it("every record it allows passes the schema", () => {
    expect(JournalReview.safeParse(withVotes(vote("mira", "accept"), vote("alice", "exceptional", { voterKind: "operator" }))).success).toBe(true)
  })
})
