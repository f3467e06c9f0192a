/**
 * The residents' community: guilds and the blind votes that let a resident join one, journal
 * entries submitted for review and the votes that rate them, and disputes over a decided
 * vote with a mediator wearing the Hat of Objectivity. One document, so a dispute and the
 * vote it contests are judged together.
 *
 * Votes are keyed by voter, so a voter has one vote however many peers wrote it offline; the
 * relay alone decides a round (once it holds the quorum) and records which votes it counted,
 * so a vote merged in later changes no decision. A reopened round moves to `past`.
 */
import { z } from "zod"
import { Id, LIMITS, PeerName, SchemaVersion, storedString, Timestamp } from "./common.ts"

/** Who casts a vote: a resident (written by the worker playing it, or an operator for it), or an operator as itself. */
export const VoterKind = z.enum(["resident", "operator"])
export type VoterKind = z.infer<typeof VoterKind>

/** Guild votes are accept/reject; journal review votes add exceptional and gaming. */
export const VoteChoice = z.enum(["accept", "reject", "exceptional", "gaming"])
export type VoteChoice = z.infer<typeof VoteChoice>

/** One vote, stored under `${voterKind}:${voter}` (voteKey in src/domain/votes). */
export const Vote = z.strictObject({
  voter: z.string().min(1).max(120),
  voterKind: VoterKind,
  choice: VoteChoice,
  reason: storedString(z.string().trim().min(3).max(LIMITS.reason)),
  at: Timestamp,
  /** The peer that wrote it. */
  by: PeerName,
})
export type Vote = z.infer<typeof Vote>

/** What the relay decided when a round reached its quorum. */
export const VoteDecision = z.strictObject({
  outcome: z.enum(["accepted", "rejected"]),
  /** The keys of the votes counted, in the order counted. */
  counted: z.array(z.string().max(130)).min(1).max(200),
  /** Accept share (guilds) or average score (journal reviews) of the counted votes. */
  score: z.number().min(0).max(2),
  reason: storedString(z.string().max(LIMITS.reason)),
  at: Timestamp,
})
export type VoteDecision = z.infer<typeof VoteDecision>

/** A round that a dispute reopened, kept as it was. */
export const PastRound = z.strictObject({
  votes: z.record(z.string(), Vote),
  decision: VoteDecision.optional(),
  reopenedAt: Timestamp,
  dispute: Id,
})
export type PastRound = z.infer<typeof PastRound>

export const GuildMember = z.strictObject({
  joinedAt: Timestamp,
  /** The join request that admitted it; absent for the founder. */
  request: Id.optional(),
})
export type GuildMember = z.infer<typeof GuildMember>

export const Guild = z.strictObject({
  id: Id,
  name: storedString(z.string().trim().min(3).max(60)),
  motto: storedString(z.string().trim().max(200)).optional(),
  /** The resident who founded it: its first member. */
  founder: Id,
  foundedBy: PeerName,
  foundedAt: Timestamp,
  members: z.record(Id, GuildMember),
})
export type Guild = z.infer<typeof Guild>

export const JoinRequest = z.strictObject({
  id: Id,
  guild: Id,
  applicant: Id,
  note: storedString(z.string().trim().max(LIMITS.reason)).optional(),
  requestedBy: PeerName,
  at: Timestamp,
  votes: z.record(z.string(), Vote),
  decision: VoteDecision.optional(),
  past: z.array(PastRound).max(20),
})
export type JoinRequest = z.infer<typeof JoinRequest>

export const JournalReview = z.strictObject({
  id: Id,
  /** The resident whose journal entry this is; reviewers are not shown the name. */
  author: Id,
  /** The journal entry's id in the author's private journal. */
  entry: Id,
  /** What reviewers see: at most 280 characters, names of residents removed. */
  excerpt: storedString(z.string().trim().min(1).max(280)),
  submittedBy: PeerName,
  at: Timestamp,
  /** Tokens the submission cost the author (paid at submission). */
  cost: z.number().int().min(0).max(1_000),
  votes: z.record(z.string(), Vote),
  decision: VoteDecision.optional(),
  /** Tokens paid back on acceptance (refund and bonus), fixed when decided. */
  reward: z.number().int().min(0).max(2_000).optional(),
  past: z.array(PastRound).max(20),
})
export type JournalReview = z.infer<typeof JournalReview>

/** A privilege an upheld dispute suspends for the requester. */
export const Privilege = z.enum(["daily_allowance"])
export type Privilege = z.infer<typeof Privilege>

export const Dispute = z.strictObject({
  id: Id,
  target: z.strictObject({ kind: z.enum(["guild_join", "journal_review"]), id: Id }),
  /** How many rounds the target had closed when the dispute opened (its index in `past` once reopened). */
  round: z.number().int().min(0).max(20),
  /** The participant who opened it (the applicant or author, or a voter), a resident or an operator. */
  requester: z.string().min(1).max(120),
  requesterKind: VoterKind,
  openedBy: PeerName,
  reason: storedString(z.string().trim().min(3).max(LIMITS.reason)),
  /** What the requester risks if the dispute is upheld. */
  risk: Privilege,
  at: Timestamp,
  /** The room the dispute is discussed in. */
  room: Id,
  mediator: z
    .strictObject({
      resident: Id,
      /** The hat the mediator wears: always the Hat of Objectivity. */
      hat: z.literal("objectivity"),
      assignedBy: PeerName,
      at: Timestamp,
      /** The mediation task the resident answers. */
      task: Id,
    })
    .optional(),
  resolution: z
    .strictObject({
      /** reopen: the vote starts again; uphold: the decision stands and the requester loses the privilege for a while. */
      outcome: z.enum(["reopen", "uphold"]),
      reason: storedString(z.string().max(LIMITS.reason)),
      at: Timestamp,
      /** The privilege is suspended until then (uphold only). */
      suspendedUntil: Timestamp.optional(),
    })
    .optional(),
})
export type Dispute = z.infer<typeof Dispute>

export const CommunityDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("community"),
  guilds: z.record(z.string(), Guild),
  requests: z.record(z.string(), JoinRequest),
  reviews: z.record(z.string(), JournalReview),
  disputes: z.record(z.string(), Dispute),
})
export type CommunityDoc = z.infer<typeof CommunityDoc>
