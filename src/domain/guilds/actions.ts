/**
 * What an operator does with guilds, for a resident (or, voting, as itself), each written to
 * the community document and signed into the operator's audit log: found a guild, ask for a
 * resident to join one, cast a vote on a request, take a resident out of its guild; and the
 * readings the CLI shows: the leaderboard and one guild with its requests. Each validates
 * first and throws OperatorActionError with nothing written. The relay decides the requests
 * (consequences.ts). A vote's choice is kept out of the audit log: the round is blind.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import type { CommunityDoc, Guild, JoinRequest, Vote } from "../../../schemas/index.ts"
import { newId } from "../../core/ids.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readGuilds, readJoinRequests } from "../../workspace/documentReaders.ts"
import { fencedWallets } from "../../workspace/fencedReaders.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { readFencedBounties } from "../bounties/actions.ts"
import { residentOf } from "../residents/actions.ts"
import { GUILD_VOTE, visibleRound, voteKey } from "../votes/index.ts"
import { FoundInput, GuildSortInput, JoinInput, LeaveInput, VoteInput } from "./inputs.ts"
import { effectiveMembers, foundRefusal, isDisbanded, joinRefusal, leaderboard, leaveRefusal, memberships, requestStatus, voteRefusal, type GuildSort, type GuildStanding, type Membership } from "./rules.ts"

/** The community document; refused in a workspace from before it. */
export async function openCommunity(workspace: Workspace): Promise<DocHandle<CommunityDoc>> {
  const url = workspace.root.docs.community
  if (!url) throw new OperatorActionError("community_missing")
  return workspace.repo.find<CommunityDoc>(url as AutomergeUrl)
}

export interface GuildsState {
  guilds: Map<string, Guild>
  requests: Map<string, JoinRequest>
}

/** The guilds and join requests as this peer can read them (an invalid record is left out). */
export function readGuildsState(handle: DocHandle<CommunityDoc>): GuildsState {
  const label = `community ${handle.url}`
  return { guilds: readGuilds(handle.doc(), label, []), requests: readJoinRequests(handle.doc(), label, []) }
}

async function guildsState(workspace: Workspace): Promise<[DocHandle<CommunityDoc>, GuildsState]> {
  const handle = await openCommunity(workspace)
  return [handle, readGuildsState(handle)]
}

/** The guild named by its id, or by its name (any case). */
function guildIn(state: GuildsState, ref: string): Guild {
  const guild = state.guilds.get(ref) ?? [...state.guilds.values()].find(g => g.name.toLowerCase() === ref.trim().toLowerCase())
  if (!guild) throw new OperatorActionError("guild_not_found", { id: ref })
  return guild
}

const refusal = (what: string, why: string | undefined) => {
  if (why) throw new OperatorActionError("guild_refused", { what, why })
}

/** Founds a guild for `founder`, who becomes its first member. */
export async function foundGuild(ctx: OperatorContext, input: FoundInput): Promise<Guild> {
  const { name, motto, founder } = parseInput(FoundInput, input)
  await residentOf(ctx.workspace, founder)
  const [handle, state] = await guildsState(ctx.workspace)
  refusal(`Founding the guild ${name}`, foundRefusal(state.guilds, { name, founder }))
  const now = ctx.now ?? Date.now()
  const guild: Guild = { id: newId("guild", now), name, ...(motto ? { motto } : {}), founder, foundedBy: ctx.actor.name, foundedAt: now, members: { [founder]: { joinedAt: now } } }
  handle.change(d => {
    d.guilds[guild.id] = { ...guild, name: storedValue(name), ...(motto ? { motto: storedValue(motto) } : {}), members: { [founder]: { joinedAt: now } } }
  })
  await ctx.audit.append("community", guild.id, { action: "guild_founded", name, founder })
  return guild
}

/** Asks for `applicant` to join guild `guildRef` (its id or name): a request its members vote on. */
export async function requestToJoin(ctx: OperatorContext, guildRef: string, input: JoinInput): Promise<JoinRequest> {
  const { applicant, note } = parseInput(JoinInput, input)
  await residentOf(ctx.workspace, applicant)
  const [handle, state] = await guildsState(ctx.workspace)
  const guild = guildIn(state, guildRef)
  refusal(`Asking for ${applicant} to join ${guild.name}`, joinRefusal(guild, { guilds: state.guilds, requests: state.requests.values() }, applicant))
  const now = ctx.now ?? Date.now()
  const request: JoinRequest = { id: newId("join", now), guild: guild.id, applicant, ...(note ? { note } : {}), requestedBy: ctx.actor.name, at: now, votes: {}, past: [] }
  handle.change(d => {
    d.requests[request.id] = { ...request, ...(note ? { note: storedValue(note) } : {}), votes: {}, past: [] }
  })
  await ctx.audit.append("community", request.id, { action: "join_requested", guild: guild.id, applicant })
  return request
}

/** Casts a vote on request `requestId`: a member resident's (written for it), or this operator's own. */
export async function castGuildVote(ctx: OperatorContext, requestId: string, input: VoteInput): Promise<Vote> {
  const { voter, voterKind, choice, reason } = parseInput(VoteInput, input)
  const [handle, state] = await guildsState(ctx.workspace)
  const request = state.requests.get(requestId)
  if (!request) throw new OperatorActionError("join_request_not_found", { id: requestId })
  const what = `A vote by ${voter} on request ${requestId}`
  if (voterKind === "operator") refusal(what, voter === ctx.actor.name ? undefined : `an operator votes as itself (${ctx.actor.name}) only`)
  else await residentOf(ctx.workspace, voter)
  refusal(what, voteRefusal(request, state.guilds.values(), { voter, voterKind }))
  const vote: Vote = { voter, voterKind, choice, reason, at: ctx.now ?? Date.now(), by: ctx.actor.name }
  handle.change(d => {
    d.requests[requestId]!.votes[voteKey(voterKind, voter)] = { ...vote, reason: storedValue(reason) }
  })
  await ctx.audit.append("community", requestId, { action: "guild_vote", voter, voterKind })
  return vote
}

/** Takes `member` out of guild `guildRef`; the guild is kept (disbanded once its last member left). */
export async function leaveGuild(ctx: OperatorContext, guildRef: string, input: LeaveInput): Promise<Guild> {
  const { member } = parseInput(LeaveInput, input)
  const [handle, state] = await guildsState(ctx.workspace)
  const guild = guildIn(state, guildRef)
  refusal(`Leaving ${guild.name}`, leaveRefusal(guild, member))
  handle.change(d => {
    delete d.guilds[guild.id]!.members[member]
  })
  const { [member]: _left, ...members } = guild.members
  await ctx.audit.append("community", guild.id, { action: "guild_left", member, disbanded: Object.keys(members).length === 0 })
  return { ...guild, members }
}

export interface GuildBoard {
  sort: GuildSort
  guilds: GuildStanding[]
  /** Join requests not decided yet, over every guild. */
  pendingRequests: number
}

/** The leaderboard by `sort`, from the ledger and the bounties as this peer reads them. */
export async function guildBoard(workspace: Workspace, sort: GuildSort = "earned"): Promise<GuildBoard> {
  const by = parseInput(GuildSortInput, sort)
  const [, state] = await guildsState(workspace)
  const [wallets, bounties] = await Promise.all([fencedWallets(workspace), readFencedBounties(workspace)])
  return {
    sort: by,
    guilds: leaderboard(state.guilds.values(), { wallets, bounties: bounties.values() }, by),
    pendingRequests: [...state.requests.values()].filter(r => requestStatus(r) === "pending").length,
  }
}

export interface ShownRequest {
  id: string
  applicant: string
  note?: string
  requestedBy: string
  at: number
  status: ReturnType<typeof requestStatus>
  /** Before the decision who voted and how many more are needed; after it every vote and the tally. */
  round: ReturnType<typeof visibleRound>
}

export interface ShownGuild {
  guild: Guild
  disbanded: boolean
  /** The members who count here (a resident counts in its earliest guild only). */
  members: Membership[]
  requests: ShownRequest[]
}

/** One guild (by id or name) as anyone may see it: its members and requests, votes hidden until decided. */
export async function guildDetail(workspace: Workspace, ref: string): Promise<ShownGuild> {
  const [, state] = await guildsState(workspace)
  const guild = guildIn(state, ref)
  return {
    guild,
    disbanded: isDisbanded(guild),
    members: effectiveMembers(guild, memberships(state.guilds.values())),
    requests: [...state.requests.values()]
      .filter(r => r.guild === guild.id)
      .sort((a, b) => b.at - a.at)
      .map(r => ({
        id: r.id,
        applicant: r.applicant,
        ...(r.note ? { note: r.note } : {}),
        requestedBy: r.requestedBy,
        at: r.at,
        status: requestStatus(r),
        round: visibleRound(r, GUILD_VOTE),
      })),
  }
}
