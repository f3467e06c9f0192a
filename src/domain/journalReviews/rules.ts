/**
 * Journal review rules, pure (apart from the WebCrypto hash of a review's id): what reviewers
 * see of an entry (an excerpt of at most 280 characters with the residents' names taken out),
 * what a submission costs (10 tokens, a quarter more for 2 days after the author's last one was
 * rejected as gaming) and from which buckets, the reward of an accepted entry, and who may vote.
 */
import type { Identity, JournalReview, VoterKind } from "../../../schemas/index.ts"
import { sha256Hex } from "../../core/signing.ts"
import { cut } from "../residents/journal.ts"
import { flaggedAsGaming, JOURNAL_VOTE, visibleRound, voteKey } from "../votes/index.ts"
import { DAY_MS, GAMING_SURCHARGE, GAMING_SURCHARGE_DAYS, JOURNAL_REVIEW_COST } from "../wallets/economy.ts"

/** The longest excerpt reviewers are shown. */
export const EXCERPT_MAX = 280
/** What a resident's name becomes in an excerpt. */
export const NAME_MARK = "[resident]"

/**
 * A review's id, fixed by author and entry (the same entry submitted twice is one review) and
 * opaque: it names neither, so the id reviewers rate by does not give the author away.
 */
export async function reviewIdOf(author: string, entry: string): Promise<string> {
  return `review-${(await sha256Hex(`journal-review\n${author}\n${entry}`)).slice(0, 16)}`
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Every way an entry may name a resident: its id, its full name and each word of the name. */
function namesOf(residents: Iterable<Pick<Identity, "id" | "name">>): string[] {
  const names = new Set<string>()
  for (const r of residents) {
    names.add(r.id)
    names.add(r.name)
    for (const word of r.name.split(/\s+/)) if (word.length >= 2) names.add(word)
  }
  // Longest first: "Ada Lovelace" goes whole before "Ada" could leave "Lovelace" behind.
  return [...names].sort((a, b) => b.length - a.length)
}

/**
 * What reviewers see of `content`: every resident's name (whole words, any case) replaced by
 * [resident], whitespace flattened, cut to 280 characters.
 */
export function anonymizedExcerpt(content: string, residents: Iterable<Pick<Identity, "id" | "name">>): string {
  let text = content.replace(/\s+/g, " ").trim()
  const names = namesOf(residents)
  if (names.length) text = text.replace(new RegExp(`(?<![\\p{L}\\p{N}])(?:${names.map(escaped).join("|")})(?![\\p{L}\\p{N}])`, "giu"), NAME_MARK)
  return cut(text, EXCERPT_MAX)
}

/** Rejected because half or more of the counted votes said gaming. */
export function rejectedForGaming(review: JournalReview): boolean {
  const decision = review.decision
  if (decision?.outcome !== "rejected") return false
  return flaggedAsGaming(decision.counted.flatMap(k => review.votes[k] ?? []))
}

/** The cost of the author's next submission: 10, or 13 within 2 days of a decision that rejected one of its entries as gaming. */
export function submissionCost(author: string, reviews: Iterable<JournalReview>, now: number): number {
  const since = now - GAMING_SURCHARGE_DAYS * DAY_MS
  for (const r of reviews) if (r.author === author && rejectedForGaming(r) && r.decision!.at > since) return Math.ceil(JOURNAL_REVIEW_COST * GAMING_SURCHARGE)
  return JOURNAL_REVIEW_COST
}

/** The costs a submission may carry: the plain one, or with the gaming surcharge. */
export const ALLOWED_COSTS: readonly number[] = [JOURNAL_REVIEW_COST, Math.ceil(JOURNAL_REVIEW_COST * GAMING_SURCHARGE)]

/** How `cost` is paid from a wallet: journal tokens first, the rest from free time; undefined when the two do not cover it. */
export function costSplit(cost: number, balance: { journal: number; freeTime: number }): { journal: number; freeTime: number } | undefined {
  const journal = Math.min(cost, Math.max(0, balance.journal))
  const freeTime = cost - journal
  return freeTime <= balance.freeTime ? { journal, freeTime } : undefined
}

/**
 * What an accepted entry pays back for a submission that cost `cost`, by its average score:
 * norm = clamp(average − 1, 0, 1); refund 0.5 + 0.5 × norm of the cost, bonus norm^1.5 of it,
 * at most twice the cost. An average of 1 gets half the cost back, 2 gets twice the cost.
 */
export function reviewReward(cost: number, average: number): number {
  const norm = Math.min(1, Math.max(0, average - 1))
  const refundRate = 0.5 + 0.5 * norm
  const bonusRate = norm ** 1.5
  return Math.min(2 * cost, Math.round(cost * (refundRate + bonusRate)))
}

/**
 * Why `voter` cannot rate `review` now, or undefined when it can. Phrased so that refusing the
 * author names nobody: the person choosing the voter must not learn who wrote the entry.
 */
export function voteRefusal(review: JournalReview, voter: { voter: string; voterKind: VoterKind }): string | undefined {
  if (review.decision) return "it is decided already"
  if (voter.voterKind === "resident" && voter.voter === review.author) return "this voter may not rate this entry (nobody rates their own)"
  if (review.votes[voteKey(voter.voterKind, voter.voter)]) return "this voter has rated it already"
  return undefined
}

/**
 * A review as a reviewer sees it, never with its author: the excerpt and the round (who has
 * voted and how many votes are still needed; every vote and the tally once it is decided).
 */
export function reviewerView(review: JournalReview) {
  return { id: review.id, excerpt: review.excerpt, at: review.at, round: visibleRound(review, JOURNAL_VOTE), ...(review.reward !== undefined ? { reward: review.reward } : {}) }
}
export type ReviewerView = ReturnType<typeof reviewerView>
