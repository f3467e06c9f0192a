/**
 * What the relay (the system actor) does for journal reviews: it decides each round that holds
 * its quorum of 3 votes (once: the decision names the votes it counted, and votes merged in
 * later are kept but change nothing), fixes the reward of an accepted entry, and pays it as a
 * grant it signs, under the review's ledger key. Paying looks at every accepted review on each
 * pass, so a reward whose decision was written just before a restart is still paid, and the
 * key keeps it to one payment whatever merges or restarts come.
 */
import type { JournalReview } from "../../../schemas/index.ts"
import type { RecordSigner } from "../../core/signedRecords.ts"
import { readJournalReviews } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { decideRound, JOURNAL_VOTE, type CommunityEvent } from "../votes/index.ts"
import { grant, openWallets, walletOf } from "../wallets/actions.ts"
import { ledgerKeys } from "../wallets/economy.ts"
import { ledgerHas, type Ledger } from "../wallets/segments.ts"
import { openCommunity } from "../guilds/actions.ts"
import { reviewReward } from "./rules.ts"

/**
 * One pass over every journal review; answers what it did, for the relay's audit log. `settled`
 * (kept by the caller across passes) holds the reviews whose reward the ledger already shows,
 * so later passes neither open the ledger nor look them up again; a fresh set checks each once.
 */
export async function decideJournalReviews(ws: Workspace, signer: RecordSigner, now: number, settled = new Set<string>()): Promise<CommunityEvent[]> {
  if (!ws.root.docs.community) return []
  const handle = await openCommunity(ws)
  const events: CommunityEvent[] = []
  let ledger: Ledger | undefined
  const wallets = async () => (ledger ??= await openWallets(ws))
  for (let review of readJournalReviews(handle.doc(), `community ${handle.url}`, []).values()) {
    const decision = decideRound(review, JOURNAL_VOTE, now)
    if (decision) {
      const reward = decision.outcome === "accepted" ? reviewReward(await paidFor(ws, await wallets(), review), decision.score) : 0
      handle.change(d => {
        Object.assign(d.reviews[review.id]!, { decision, reward })
      })
      review = { ...review, decision, reward }
      // The author stays out of the log: it is read by the operators who vote.
      events.push({ subject: review.id, action: "review_decided", detail: { outcome: decision.outcome, score: decision.score, votes: decision.counted.length, reward } })
    }
    if (review.decision?.outcome !== "accepted" || !review.reward || settled.has(review.id)) continue
    const key = ledgerKeys.reviewReward(review.id)
    if (!ledgerHas(await wallets(), key)) {
      const paid = await grant(await wallets(), { key, identity: review.author, amount: review.reward, reason: "journal entry accepted in review", at: now }, signer)
      if (paid === "written") events.push({ subject: review.id, action: "review_rewarded", detail: { key, amount: review.reward } })
    }
    settled.add(review.id)
  }
  return events
}

/**
 * What the author paid for `review`, as the ledger counts it: the cost's spends that applied (one
 * voided when merged with other spends paid nothing), or its recorded cost when a closed period
 * already holds them. The reward is figured on this, never on more than the review says it cost.
 */
async function paidFor(ws: Workspace, ledger: Ledger, review: JournalReview): Promise<number> {
  const keys = [ledgerKeys.reviewCost(review.id, "journal"), ledgerKeys.reviewCost(review.id, "free_time")]
  if (keys.some(k => ledger.start?.covered.has(k))) return review.cost
  const wallet = await walletOf(ws, ledger, review.author)
  const paid = wallet.entries.filter(e => e.status === "applied" && keys.includes(e.entry.key)).reduce((sum, e) => sum + e.entry.amount, 0)
  return Math.min(review.cost, paid)
}
