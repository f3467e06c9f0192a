/**
 * Guild rules, pure: which guild a resident belongs to, the leaderboard, who may vote on a
 * join request, why an action is refused, and how the relay decides a request.
 *
 * A resident is in one guild. Offline, two peers may found guilds for the same resident, or
 * merges may accept it into two; every reader then resolves "its guild" the same way: its
 * earliest membership (by joinedAt, then guild id). It counts in that guild only, for the
 * leaderboard, for votes and for the relay's decisions.
 */
import type { Bounty, Guild, JoinRequest, VoteDecision, VoterKind } from "../../../schemas/index.ts"
import { effectiveCompletion } from "../bounties/bounty.ts"
import { decideRound, GUILD_VOTE, voteKey } from "../votes/index.ts"
import type { Wallet } from "../wallets/ledger.ts"

/** A resident's place in a guild. */
export interface Membership {
  guild: string
  resident: string
  joinedAt: number
  /** The join request that admitted it; absent for the founder. */
  request?: string
}

/** Each resident's guild: its earliest membership, by joinedAt, then guild id (every peer agrees). */
export function memberships(guilds: Iterable<Guild>): Map<string, Membership> {
  const out = new Map<string, Membership>()
  for (const guild of guilds)
    for (const [resident, m] of Object.entries(guild.members)) {
      const held = out.get(resident)
      if (held && (held.joinedAt < m.joinedAt || (held.joinedAt === m.joinedAt && held.guild < guild.id))) continue
      out.set(resident, { guild: guild.id, resident, joinedAt: m.joinedAt, ...(m.request ? { request: m.request } : {}) })
    }
  return out
}

/** The members who count in `guild` (those whose guild it is), earliest first. */
export function effectiveMembers(guild: Guild, resolved: ReadonlyMap<string, Membership>): Membership[] {
  return Object.keys(guild.members)
    .map(r => resolved.get(r))
    .filter((m): m is Membership => m?.guild === guild.id)
    .sort((a, b) => a.joinedAt - b.joinedAt || (a.resident < b.resident ? -1 : 1))
}

/** Its last member left: the guild is kept, as history, and shown as disbanded. */
export const isDisbanded = (guild: Guild) => Object.keys(guild.members).length === 0

export type RequestStatus = "pending" | "accepted" | "rejected"

/** A request is pending until the relay writes its decision. */
export const requestStatus = (request: JoinRequest): RequestStatus => request.decision?.outcome ?? "pending"

// ── the leaderboard ──────────────────────────────────────────────────────

export const GUILD_SORTS = ["earned", "bounties", "members"] as const
export type GuildSort = (typeof GUILD_SORTS)[number]

export interface GuildStanding {
  guild: Guild
  /** The members who count here, earliest first. */
  members: Membership[]
  /** Tokens granted to them while they were members (voided grants count nothing). */
  earned: number
  /** Bounties won by a submission naming one of them, completed while they were members. */
  bounties: number
  disbanded: boolean
}

/** Tokens granted to `wallet`'s resident at or after `since`. */
function earnedSince(wallet: Wallet | undefined, since: number): number {
  return (wallet?.entries ?? []).reduce((sum, e) => (e.entry.kind === "grant" && e.status !== "voided" && e.entry.at >= since ? sum + e.entry.amount : sum), 0)
}

/** Each bounty's winners (the winning submission's members) and when it was completed. */
function bountyWins(bounties: Iterable<Bounty>): { winners: readonly string[]; at: number }[] {
  const wins: { winners: readonly string[]; at: number }[] = []
  for (const bounty of bounties) {
    const completion = effectiveCompletion(bounty)
    const winning = completion && bounty.submissions[completion.winner]
    if (winning) wins.push({ winners: winning.members, at: completion.at })
  }
  return wins
}

const BY: Record<GuildSort, (s: GuildStanding) => number> = { earned: s => s.earned, bounties: s => s.bounties, members: s => s.members.length }

/**
 * The guilds ranked by `sort` (then by the other two figures, then the earliest founded):
 * everything derived from the ledger and the bounties as they stand, nothing stored.
 */
export function leaderboard(guilds: Iterable<Guild>, sources: { wallets: ReadonlyMap<string, Wallet>; bounties: Iterable<Bounty> }, sort: GuildSort): GuildStanding[] {
  const all = [...guilds]
  const resolved = memberships(all)
  const wins = bountyWins(sources.bounties)
  const standings = all.map(guild => {
    const members = effectiveMembers(guild, resolved)
    const earned = members.reduce((sum, m) => sum + earnedSince(sources.wallets.get(m.resident), m.joinedAt), 0)
    const bounties = wins.filter(w => members.some(m => w.winners.includes(m.resident) && w.at >= m.joinedAt)).length
    return { guild, members, earned, bounties, disbanded: isDisbanded(guild) }
  })
  const order = [sort, ...GUILD_SORTS.filter(s => s !== sort)]
  return standings.sort((a, b) => {
    for (const key of order) if (BY[key](a) !== BY[key](b)) return BY[key](b) - BY[key](a)
    return a.guild.foundedAt - b.guild.foundedAt || (a.guild.id < b.guild.id ? -1 : 1)
  })
}

// ── refusals: why an action cannot be done (undefined: it can) ────────────

const guildName = (guilds: ReadonlyMap<string, Guild>, id: string) => guilds.get(id)?.name ?? id

/** Why `resident` cannot found or join a guild: it is in one already. */
export function inGuildRefusal(guilds: ReadonlyMap<string, Guild>, resident: string): string | undefined {
  const held = memberships(guilds.values()).get(resident)
  return held ? `${resident} is a member of ${guildName(guilds, held.guild)} already, and a resident is in one guild` : undefined
}

/** Why `founder` cannot found a guild named `name`. */
export function foundRefusal(guilds: ReadonlyMap<string, Guild>, input: { name: string; founder: string }): string | undefined {
  const held = inGuildRefusal(guilds, input.founder)
  if (held) return held
  const name = input.name.trim().toLowerCase()
  if ([...guilds.values()].some(g => g.name.trim().toLowerCase() === name)) return `a guild named ${input.name.trim()} exists already`
  return undefined
}

/** Why `applicant` cannot ask to join `guild`. */
export function joinRefusal(guild: Guild, state: { guilds: ReadonlyMap<string, Guild>; requests: Iterable<JoinRequest> }, applicant: string): string | undefined {
  if (isDisbanded(guild)) return `${guild.name} is disbanded: its last member left`
  if (guild.members[applicant]) return `${applicant} is a member of it already`
  const held = inGuildRefusal(state.guilds, applicant)
  if (held) return held
  const waiting = [...state.requests].find(r => r.guild === guild.id && r.applicant === applicant && !r.decision)
  if (waiting) return `${applicant} has a request waiting already (${waiting.id})`
  return undefined
}

/**
 * Who may vote on `request`, whatever peer writes the vote: a resident who is a member of the
 * guild (its guild, as memberships resolves it), never the applicant; or an operator as itself.
 */
export function voterRefusal(request: JoinRequest, guilds: Iterable<Guild>, voter: { voter: string; voterKind: VoterKind }): string | undefined {
  if (voter.voterKind === "operator") return undefined
  if (voter.voter === request.applicant) return `${voter.voter} is the applicant: it does not vote on its own request`
  if (memberships(guilds).get(voter.voter)?.guild !== request.guild) return `${voter.voter} is not a member of the guild ${request.guild}: only its members vote`
  return undefined
}

/** Why a vote cannot be cast on `request` now: voterRefusal, a decided round, or a second vote. */
export function voteRefusal(request: JoinRequest, guilds: Iterable<Guild>, voter: { voter: string; voterKind: VoterKind }): string | undefined {
  if (request.decision) return `the request is ${request.decision.outcome} already`
  if (request.votes[voteKey(voter.voterKind, voter.voter)]) return `${voter.voter} has voted on it already (one vote each)`
  return voterRefusal(request, guilds, voter)
}

/** Why `resident` cannot leave `guild`. */
export function leaveRefusal(guild: Guild, resident: string): string | undefined {
  return guild.members[resident] ? undefined : `${resident} is not a member of ${guild.name}`
}

// ── the relay's decision ─────────────────────────────────────────────────

/**
 * The decision the relay writes for `request` now, and whether the applicant becomes a member;
 * undefined while the round is short of its quorum or decided already. An accepted applicant
 * who meanwhile became a member of another guild is rejected, saying so.
 */
export function decideJoin(request: JoinRequest, guilds: ReadonlyMap<string, Guild>, now: number): { decision: VoteDecision; admit: boolean } | undefined {
  const guild = guilds.get(request.guild)
  const decision = guild && decideRound(request, GUILD_VOTE, now)
  if (!decision) return undefined
  if (decision.outcome === "rejected") return { decision, admit: false }
  const held = memberships(guilds.values()).get(request.applicant)
  if (held && held.guild !== request.guild)
    return { decision: { ...decision, outcome: "rejected", reason: `${decision.reason}, but ${request.applicant} is a member of ${guildName(guilds, held.guild)} by now` }, admit: false }
  return { decision, admit: !guild.members[request.applicant] }
}
