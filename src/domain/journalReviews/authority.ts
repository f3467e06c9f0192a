/**
 * Who may change a journal review. A new one is written by an operator or by the worker
 * playing its author, naming its writer, for an entry not submitted before, with an excerpt
 * of at most 280 characters, a cost a submission may have, and nothing decided yet (votes
 * cast before the relay saw it are judged as votes added).
 * A review is never deleted and what was submitted never changes. Votes are only added, each
 * stored under its voter and naming its writer: a resident's by the worker playing it or by
 * an operator, an operator's by that operator; nobody rates their own entry. The relay alone
 * decides a round, fixes its reward and reopens it for a dispute (decision, reward, past):
 * its writes do not pass through these rules.
 */
import type { JournalReview, Vote } from "../../../schemas/index.ts"
import type { DocumentContext } from "../../core/authority/documents.ts"
import { ALLOWED, changedFields, refused, refusePending, same, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { voteKey } from "../votes/index.ts"
import { ALLOWED_COSTS, EXCERPT_MAX } from "./rules.ts"

type ReviewContext = Pick<DocumentContext, "doc" | "residentHolder"> & { key: string }

const SUBMITTED = new Set(["id", "author", "entry", "excerpt", "submittedBy", "at", "cost"])

/** Why each field the relay owns is its own. */
const RELAY_FIELDS: Record<string, string> = {
  decision: "it decides a round once the round holds its quorum",
  reward: "it fixes the reward when it decides",
  past: "it closes a round when a dispute reopens it",
}

export function authorizeJournalReviewChange(before: JournalReview | undefined, after: JournalReview | undefined, who: Principal, ctx: ReviewContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`journal review ${ctx.key} is never deleted: its votes, decision and payments name it`)
  if (after.id !== ctx.key) return refused(`journal review ${after.id} is stored under the key ${ctx.key}: a review's key must be its id`)
  if (!before) return newReview(after, who, ctx)
  const changed = changedFields(before, after)
  const relay = changed.find(f => f in RELAY_FIELDS)
  if (relay) return refused(`journal review ${after.id}: only the relay writes its ${relay} (${RELAY_FIELDS[relay]})`)
  const fixed = changed.find(f => SUBMITTED.has(f))
  if (fixed) return refused(`journal review ${after.id}: ${fixed} is what was submitted and never changes`)
  return votes(before, after, who, ctx)
}

function newReview(review: JournalReview, who: Principal, ctx: ReviewContext): AuthorityVerdict {
  if (!isOperator(who) && ctx.residentHolder(review.author) !== who.peer)
    return refused(`${who.peer} does not play ${review.author} (the relay leased it to ${ctx.residentHolder(review.author) ?? "nobody"}), so it cannot submit its journal entries`)
  if (review.submittedBy !== who.peer) return refused(`journal review ${review.id} says ${review.submittedBy} submitted it, but ${who.peer} wrote it`)
  const relay = (["decision", "reward", "past"] as const).find(f => (f === "past" ? review.past.length > 0 : review[f] !== undefined))
  if (relay) return refused(`a new journal review has no ${relay}: only the relay writes it (${RELAY_FIELDS[relay]})`)
  if (review.excerpt.length > EXCERPT_MAX) return refused(`journal review ${review.id}: reviewers see at most ${EXCERPT_MAX} characters, not ${review.excerpt.length}`)
  if (!ALLOWED_COSTS.includes(review.cost)) return refused(`journal review ${review.id}: a submission costs ${ALLOWED_COSTS[0]} tokens (${ALLOWED_COSTS[1]} after one rejected as gaming), not ${review.cost}`)
  const twin = Object.entries((ctx.doc.reviews ?? {}) as Record<string, Partial<JournalReview>>).find(([k, r]) => k !== review.id && r.author === review.author && r.entry === review.entry)
  if (twin) return refused(`journal review ${review.id}: this entry was submitted already, as review ${twin[0]}`)
  // Submitted and rated before the relay saw it (one batch, or offline): its votes are judged as added.
  return votes({ ...review, votes: {} }, review, who, ctx)
}

function votes(before: JournalReview, after: JournalReview, who: Principal, ctx: ReviewContext): AuthorityVerdict {
  for (const key of Object.keys(before.votes)) if (!after.votes[key]) return refused(`journal review ${after.id}: the vote ${key} is never removed`)
  for (const [key, vote] of Object.entries(after.votes)) {
    const old = before.votes[key]
    if (old && same(old, vote)) continue
    if (key !== voteKey(vote.voterKind, vote.voter)) return refused(`journal review ${after.id}: a vote is stored under its voter (${voteKey(vote.voterKind, vote.voter)}), not ${key}`)
    // One voter's vote written on two peers while they were apart merges into one (the CRDT keeps one of them); a peer never changes the vote it wrote.
    if (old && old.by === vote.by) return refused(`journal review ${after.id}: ${key} has voted; a vote never changes`)
    const verdict = castBy(after, vote, who, ctx)
    if (!verdict.ok) return verdict
  }
  return ALLOWED
}

function castBy(review: JournalReview, vote: Vote, who: Principal, ctx: ReviewContext): AuthorityVerdict {
  const key = voteKey(vote.voterKind, vote.voter)
  if (vote.by !== who.peer) return refused(`journal review ${review.id}: the vote ${key} says ${vote.by} wrote it, but ${who.peer} did`)
  if (vote.voterKind === "operator") {
    if (!isOperator(who)) return refused(`journal review ${review.id}: ${who.peer} is a worker and casts no operator's vote (it votes for the resident it plays)`)
    return vote.voter === who.peer ? ALLOWED : refused(`journal review ${review.id}: ${who.peer} votes as itself, not as operator ${vote.voter}`)
  }
  if (vote.voter === review.author) return refused(`journal review ${review.id}: the author of an entry never rates it`)
  if (isOperator(who)) return ALLOWED
  const holder = ctx.residentHolder(vote.voter)
  return holder === who.peer ? ALLOWED : refused(`journal review ${review.id}: ${who.peer} does not play ${vote.voter} (the relay leased it to ${holder ?? "nobody"}), so it cannot vote for it`)
}
