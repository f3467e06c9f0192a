/**
 * What operators do with journal reviews, signed into their audit log: submit a resident's
 * journal entry for review (its author pays the cost, journal tokens first, then free time)
 * and rate one, for a resident or as themselves. The listing is what a reviewer may see: the
 * anonymized excerpt, who voted and how many votes are still needed, and the votes and tally
 * only once the relay has decided. Each validates first and throws OperatorActionError with
 * nothing written.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import type { CommunityDoc, Identity, JournalReview, Vote } from "../../../schemas/index.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readJournalEntries, readJournalReviews } from "../../workspace/documentReaders.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { openCommunity } from "../guilds/actions.ts"
import { journalOf, residentOf, residents } from "../residents/actions.ts"
import { voteKey } from "../votes/index.ts"
import { LedgerWriteError, openWallets, spend, walletOf } from "../wallets/actions.ts"
import { ledgerKeys } from "../wallets/economy.ts"
import { RateInput, SubmitInput } from "./inputs.ts"
import { anonymizedExcerpt, costSplit, reviewerView, reviewIdOf, submissionCost, voteRefusal, type ReviewerView } from "./rules.ts"

const reviewsIn = (handle: DocHandle<CommunityDoc>) => readJournalReviews(handle.doc(), `community ${handle.url}`, [])

/** Every review as reviewers see it: waiting ones first (oldest first), then decided ones (newest first). */
export async function reviewsOf(workspace: Workspace): Promise<ReviewerView[]> {
  const reviews = [...reviewsIn(await openCommunity(workspace)).values()].map(reviewerView)
  const waiting = reviews.filter(r => !r.round.decided).sort((a, b) => a.at - b.at)
  const decided = reviews.filter(r => r.round.decided).sort((a, b) => b.at - a.at)
  return [...waiting, ...decided]
}

/**
 * Submits `entry` of `author`'s journal for review: reviewers are shown an excerpt with every
 * resident's name taken out; the author pays 10 tokens (13 within 2 days of a submission
 * rejected as gaming). An entry is submitted once.
 */
export async function submitForReview(ctx: OperatorContext, input: SubmitInput): Promise<JournalReview> {
  const { author: authorId, entry: entryId } = parseInput(SubmitInput, input)
  const author = await residentOf(ctx.workspace, authorId)
  const journal = await journalOf(ctx.workspace.repo, author)
  const entry = readJournalEntries(journal.doc(), `journal ${journal.url}`, []).find(e => e.id === entryId)
  if (!entry) throw new OperatorActionError("not_found", { thing: "journal entry", id: entryId })
  const handle = await openCommunity(ctx.workspace)
  const reviews = reviewsIn(handle)
  const id = await reviewIdOf(author.id, entry.id)
  if (reviews.has(id) || [...reviews.values()].some(r => r.author === author.id && r.entry === entry.id)) throw new OperatorActionError("review_refused", { id, why: "this entry is submitted already" })
  const now = ctx.now ?? Date.now()
  const review: JournalReview = {
    id,
    author: author.id,
    entry: entry.id,
    excerpt: anonymizedExcerpt(entry.content, (await residents(ctx.workspace)).values()),
    submittedBy: ctx.actor.name,
    at: now,
    cost: submissionCost(author.id, reviews.values(), now),
    votes: {},
    past: [],
  }
  await payCost(ctx, author, review)
  handle.change(d => {
    d.reviews[id] = { ...review, excerpt: storedValue(review.excerpt) }
  })
  await ctx.audit.append("community", id, { action: "review_submitted", cost: review.cost })
  return review
}

/** The author pays the review's cost, one spend per bucket it comes from, each under its key (a retry spends nothing twice). */
async function payCost(ctx: OperatorContext, author: Identity, review: JournalReview): Promise<void> {
  const ledger = await openWallets(ctx.workspace)
  const wallet = await walletOf(ctx.workspace, ledger, author.id)
  const cannotPay = () => new OperatorActionError("review_cannot_pay", { name: author.name, cost: review.cost, journal: wallet.journal, freeTime: wallet.freeTime })
  const split = costSplit(review.cost, wallet)
  if (!split) throw cannotPay()
  try {
    for (const [bucket, amount] of [["journal", split.journal], ["free_time", split.freeTime]] as const)
      if (amount > 0)
        await spend(ctx.workspace, ledger, { key: ledgerKeys.reviewCost(review.id, bucket), identity: author.id, amount, bucket, reason: "journal entry submitted for review", at: review.at }, ctx.audit.signer)
  } catch (error) {
    if (error instanceof LedgerWriteError) throw cannotPay()
    throw error
  }
}

/**
 * Casts a vote on review `id`: for a resident (any but the author), or as the operator itself.
 * One vote per voter; a review the relay has decided takes no more.
 */
export async function rateJournalEntry(ctx: OperatorContext, id: string, input: RateInput): Promise<Vote> {
  const e = parseInput(RateInput, input)
  const handle = await openCommunity(ctx.workspace)
  const review = reviewsIn(handle).get(id)
  if (!review) throw new OperatorActionError("review_not_found", { id })
  if (e.voterKind === "operator" && e.voter !== ctx.actor.name) throw new OperatorActionError("review_refused", { id, why: `an operator votes as itself (${ctx.actor.name}), not as ${e.voter}` })
  if (e.voterKind === "resident") await residentOf(ctx.workspace, e.voter)
  const why = voteRefusal(review, e)
  if (why) throw new OperatorActionError("review_refused", { id, why })
  const vote: Vote = { ...e, at: ctx.now ?? Date.now(), by: ctx.actor.name }
  const key = voteKey(vote.voterKind, vote.voter)
  handle.change(d => {
    d.reviews[id]!.votes[key] = { ...vote, reason: storedValue(vote.reason) }
  })
  // Blind until decided: the log says who voted, not how.
  await ctx.audit.append("community", id, { action: "review_rated", voter: key })
  return vote
}
