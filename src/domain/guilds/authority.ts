/**
 * Who may change a guild or a join request. A peer acts for a resident when it is an
 * operator or the worker holding that resident's lease. Such a peer founds a guild for the
 * resident, as itself, with the founder its only member (and not while the founder is in a
 * guild already), and takes the resident out of a guild (it leaves); it never adds a member:
 * the relay does, when it accepts a request. It asks for the resident to join (a request not
 * decided) and casts the resident's vote on a request of the resident's guild, the applicant
 * never voting; an operator may also vote as itself. Votes are only ever added,
 * one per voter. Nobody deletes a guild or a request, and no peer writes a decision or a
 * past round (the relay does). The relay's own writes do not pass through these rules.
 */
import { Guild, type JoinRequest, type Vote } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, same, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { GUILD_VOTE, voteKey } from "../votes/index.ts"
import { memberships, voterRefusal } from "./rules.ts"

/** The gate's context: the key, the resident leases, and the community document as it stands before the change. */
export type GuildAuthorityContext = Pick<AuthorityContext, "key" | "residentHolder"> & { doc: Record<string, unknown> }

/** Whether `who` writes for `resident`: an operator, or the worker holding its lease. */
function actsFor(who: Principal, resident: string, ctx: GuildAuthorityContext): boolean {
  return isOperator(who) || ctx.residentHolder(resident) === who.peer
}

/** The valid guilds of the relay's document (an invalid record counts for nothing). */
function guildsIn(doc: Record<string, unknown>): Guild[] {
  const raw = doc.guilds && typeof doc.guilds === "object" ? Object.values(doc.guilds) : []
  return raw.flatMap(g => {
    const parsed = Guild.safeParse(g)
    return parsed.success ? [parsed.data] : []
  })
}

export function authorizeGuildChange(before: Guild | undefined, after: Guild | undefined, who: Principal, ctx: GuildAuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`guild ${ctx.key} cannot be deleted: its history is kept (its members leave it instead)`)
  if (after.id !== ctx.key) return refused(`guild ${after.id} is stored under the key ${ctx.key}: a guild's key must be its id`)
  if (!before) return founding(after, who, ctx)
  const fixed = changedFields(before, after).find(f => f !== "members")
  if (fixed) return refused(`guild ${after.id}: ${fixed} is fixed when it is founded (only its members change, as they leave)`)
  for (const [resident, member] of Object.entries(after.members)) {
    const was = before.members[resident]
    if (!was) return refused(`guild ${after.id}: ${who.peer} cannot add ${resident} as a member: the relay adds members when their join request is accepted`)
    if (!same(was, member)) return refused(`guild ${after.id}: the membership of ${resident} never changes (it may leave)`)
  }
  for (const resident of Object.keys(before.members))
    if (!after.members[resident] && !actsFor(who, resident, ctx))
      return refused(`guild ${after.id}: ${who.peer} does not play ${resident}, so it cannot take it out of the guild (an operator or the worker playing it can)`)
  return ALLOWED
}

function founding(guild: Guild, who: Principal, ctx: GuildAuthorityContext): AuthorityVerdict {
  if (!actsFor(who, guild.founder, ctx)) return refused(`${who.peer} does not play ${guild.founder}, so it cannot found a guild for it (an operator or the worker playing it can)`)
  if (!isSelf(guild.foundedBy, who)) return refused(`guild ${guild.id} says ${guild.foundedBy} founded it, but ${who.peer} wrote it`)
  const members = Object.entries(guild.members)
  if (members.length !== 1 || members[0]![0] !== guild.founder || members[0]![1].request !== undefined)
    return refused(`a new guild has its founder ${guild.founder} as its only member (guild ${guild.id}): the relay adds the others`)
  const held = memberships(guildsIn(ctx.doc)).get(guild.founder)
  if (held) return refused(`${guild.founder} is a member of guild ${held.guild} already: a resident is in one guild`)
  return ALLOWED
}

export function authorizeJoinRequestChange(before: JoinRequest | undefined, after: JoinRequest | undefined, who: Principal, ctx: GuildAuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`join request ${ctx.key} cannot be deleted: its votes and decision are kept`)
  if (after.id !== ctx.key) return refused(`join request ${after.id} is stored under the key ${ctx.key}: a request's key must be its id`)
  if (!before) {
    if (!actsFor(who, after.applicant, ctx)) return refused(`${who.peer} does not play ${after.applicant}, so it cannot ask for it to join a guild (an operator or the worker playing it can)`)
    if (!isSelf(after.requestedBy, who)) return refused(`join request ${after.id} says ${after.requestedBy} made it, but ${who.peer} wrote it`)
    if (after.decision || after.past.length) return refused(`a new join request has no decision or past rounds yet (request ${after.id})`)
    // Made and voted on before the relay saw it: its votes are judged as added to it.
    return votesAdded({ ...after, votes: {} }, after, who, ctx)
  }
  const changed = changedFields(before, after)
  const relayOnly = changed.find(f => f === "decision" || f === "past")
  if (relayOnly) return refused(`join request ${after.id}: the relay alone writes its ${relayOnly === "decision" ? "decision" : "past rounds"}`)
  const fixed = changed.find(f => f !== "votes")
  if (fixed) return refused(`join request ${after.id}: ${fixed} is fixed when it is made (only votes are added)`)
  return votesAdded(before, after, who, ctx)
}

/**
 * The votes of `after` that `before` does not hold as they are. Membership is judged as the
 * relay holds it before this change (ctx.doc), so a vote that reaches the relay together with
 * the founding of its guild is refused: the founding is not yet there to make the voter a member.
 */
function votesAdded(before: JoinRequest, after: JoinRequest, who: Principal, ctx: GuildAuthorityContext): AuthorityVerdict {
  for (const key of Object.keys(before.votes)) if (!after.votes[key]) return refused(`join request ${after.id}: vote ${key} is never removed`)
  const guilds = guildsIn(ctx.doc)
  for (const [key, vote] of Object.entries(after.votes)) {
    const was = before.votes[key]
    if (was && same(was, vote)) continue
    const verdict = authorizeVote(after, key, vote, who, ctx, guilds)
    if (!verdict.ok) return verdict
    // The same voter's vote written on two offline peers merges into one; which one shows
    // changes no decision (it names the votes it counted), but a counted vote is not re-cast later.
    if (was && before.decision?.counted.includes(key) && vote.at > before.decision.at)
      return refused(`join request ${after.id}: vote ${key} was counted when the request was decided; it does not change`)
  }
  return ALLOWED
}

/** A vote added (or the same voter's, merged from another peer): one the writer may cast. */
function authorizeVote(request: JoinRequest, key: string, vote: Vote, who: Principal, ctx: GuildAuthorityContext, guilds: Guild[]): AuthorityVerdict {
  const where = `join request ${request.id}`
  if (key !== voteKey(vote.voterKind, vote.voter)) return refused(`${where}: the vote of ${vote.voter} is stored under ${key}, not ${voteKey(vote.voterKind, vote.voter)}`)
  if (!isSelf(vote.by, who)) return refused(`${where}: the vote of ${vote.voter} says ${vote.by} wrote it, but ${who.peer} did`)
  if (!GUILD_VOTE.choices.includes(vote.choice)) return refused(`${where}: a guild vote accepts or rejects, not ${vote.choice}`)
  if (vote.voterKind === "operator") {
    if (!isOperator(who) || vote.voter !== who.peer) return refused(`${where}: an operator votes as itself only (${who.peer} wrote a vote as operator ${vote.voter})`)
  } else if (!actsFor(who, vote.voter, ctx)) return refused(`${where}: ${who.peer} does not play ${vote.voter}, so it cannot vote for it (an operator or the worker playing it can)`)
  const why = voterRefusal(request, guilds, vote)
  return why ? refused(`${where}: ${why}`) : ALLOWED
}
