/**
 * Blind vote rounds, pure: guild joins and journal reviews both collect votes keyed by voter
 * and are decided once, by the relay, when the round holds its quorum. The decision names the
 * votes it counted, so a vote merged in later (cast offline) is kept but changes nothing.
 * "Blind" is the views' promise: nobody is shown a round's votes or tally before it is decided.
 */
import type { PastRound, Vote, VoteChoice, VoteDecision, VoterKind } from "../../../schemas/index.ts"

/** A round of votes: open, decided, or closed into a record's `past` by a dispute. */
export interface Round {
  votes: Readonly<Record<string, Vote>>
  decision?: VoteDecision
}

/** Where a voter's vote is stored in a round: one per voter, whichever peer wrote it. */
export const voteKey = (voterKind: VoterKind, voter: string) => `${voterKind}:${voter}`

/** How a kind of round counts its votes. */
export interface VoteScheme {
  /** Votes needed before the round is decided. */
  quorum: number
  choices: readonly VoteChoice[]
  decide(votes: readonly Vote[]): Pick<VoteDecision, "outcome" | "score" | "reason">
}

/** Guild joins: at least 2 votes, accepted when at least 60 % accept. */
export const GUILD_VOTE: VoteScheme = {
  quorum: 2,
  choices: ["accept", "reject"],
  decide(votes) {
    const accepts = votes.filter(v => v.choice === "accept").length
    const score = accepts / votes.length
    const accepted = score >= 0.6
    return { outcome: accepted ? "accepted" : "rejected", score, reason: `${accepts} of ${votes.length} accepted (${accepted ? "at least" : "under"} 60 %)` }
  },
}

const JOURNAL_POINTS: Record<VoteChoice, number> = { reject: 0, accept: 1, exceptional: 2, gaming: 0 }

/** Half or more of a journal review's votes say gaming: it is rejected whatever its average. */
export const flaggedAsGaming = (votes: readonly Vote[]) => votes.filter(v => v.choice === "gaming").length / votes.length >= 0.5

/** Journal reviews: at least 3 votes; half or more saying gaming rejects it, else an average of 1 or more accepts it. */
export const JOURNAL_VOTE: VoteScheme = {
  quorum: 3,
  choices: ["accept", "reject", "exceptional", "gaming"],
  decide(votes) {
    const score = votes.reduce((sum, v) => sum + JOURNAL_POINTS[v.choice], 0) / votes.length
    if (flaggedAsGaming(votes)) return { outcome: "rejected", score, reason: `${votes.filter(v => v.choice === "gaming").length} of ${votes.length} reviewers flagged it as gaming` }
    const accepted = score >= 1
    return { outcome: accepted ? "accepted" : "rejected", score, reason: `average ${score.toFixed(2)} of ${votes.length} votes (${accepted ? "1 or more" : "under 1"})` }
  },
}

/** A round's votes in the order they are counted: by time, then by voter (every peer agrees). */
export function countingOrder(votes: Readonly<Record<string, Vote>>): [string, Vote][] {
  return Object.entries(votes).sort(([ka, a], [kb, b]) => a.at - b.at || (ka < kb ? -1 : ka > kb ? 1 : 0))
}

/** The decision for a round the relay holds now, or undefined while it is short of its quorum or decided already. */
export function decideRound(round: Round, scheme: VoteScheme, now: number): VoteDecision | undefined {
  if (round.decision) return undefined
  const ordered = countingOrder(round.votes)
  if (ordered.length < scheme.quorum) return undefined
  return { ...scheme.decide(ordered.map(([, v]) => v)), counted: ordered.map(([k]) => k), at: now }
}

/** The votes a decision did not count (merged in after it). */
export function lateVotes(round: Round): string[] {
  if (!round.decision) return []
  const counted = new Set(round.decision.counted)
  return Object.keys(round.votes).filter(k => !counted.has(k))
}

/** The round as it is closed when a dispute reopens it (the record then starts with no votes). */
export function closedRound(round: Round, dispute: string, now: number): PastRound {
  return { votes: { ...round.votes }, ...(round.decision ? { decision: round.decision } : {}), reopenedAt: now, dispute }
}

/**
 * What a viewer may see of a round: before the decision only who voted (not how) and how many
 * votes are still needed; after it, every vote and the tally.
 */
export function visibleRound(round: Round, scheme: VoteScheme) {
  const voters = Object.values(round.votes).map(v => ({ voter: v.voter, voterKind: v.voterKind }))
  if (!round.decision) return { decided: false as const, voters, needed: Math.max(0, scheme.quorum - voters.length) }
  return { decided: true as const, voters, decision: round.decision, votes: countingOrder(round.votes).map(([key, v]) => ({ key, ...v, late: !round.decision!.counted.includes(key) })) }
}
