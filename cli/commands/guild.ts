/**
 * `vivarium guild list|show|found|join|vote|leave`: the residents' guilds, ranked by what their
 * members earned and won while members, and the blind votes that let a resident join one
 * (the relay decides a request once it has two votes; nobody sees how others voted until then).
 */
import { z } from "zod"
import type { Identity } from "../../schemas/index.ts"
import { castGuildVote, foundGuild, guildBoard, guildDetail, GuildSortInput, leaveGuild, requestToJoin, type ShownGuild, type ShownRequest } from "../../src/domain/guilds/index.ts"
import { residents } from "../../src/domain/residents/actions.ts"
import { AS_OPERATOR_FLAG, AsOperatorInput, parseFlags, residentOrSelf, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print } from "../output.ts"

/** A resident as `Name (id)`, or its id when this peer does not know it. */
const named = (people: ReadonlyMap<string, Identity>, id: string) => (people.has(id) ? `${people.get(id)!.name} (${id})` : id)

const LIST_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("sort") }
const ListFlags = OutputInput.extend({ sort: GuildSortInput.default("earned") })

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("guild list", argv, LIST_FLAGS, ListFlags)
  const board = await withPeer(flags, peer => guildBoard(peer.workspace, flags.sort))
  print(flags, board, b => {
    if (!b.guilds.length) return "no guilds yet (vivarium guild found --name N --founder RESIDENT)"
    const rows = b.guilds.map(
      (s, i) =>
        `${String(i + 1).padStart(4)} ${oneLine(s.guild.name, 24).padEnd(24)} ${(s.disbanded ? "disbanded" : String(s.members.length)).padStart(9)} ${String(s.earned).padStart(7)} ${String(s.bounties).padStart(8)}  ${s.guild.id}`,
    )
    const waiting = b.pendingRequests ? `${b.pendingRequests} join request(s) waiting for votes (vivarium guild show GUILD)` : "no join requests waiting"
    return [`sorted by ${b.sort}`, `${"RANK".padStart(4)} ${"NAME".padEnd(24)} ${"MEMBERS".padStart(9)} ${"EARNED".padStart(7)} ${"BOUNTIES".padStart(8)}  ID`, ...rows, waiting].join("\n")
  })
  return 0
}

function roundLines(r: ShownRequest, people: ReadonlyMap<string, Identity>): string[] {
  const voter = (v: { voter: string; voterKind: string }) => (v.voterKind === "operator" ? `operator ${v.voter}` : named(people, v.voter))
  if (!r.round.decided) {
    const voted = r.round.voters.length ? `voted: ${r.round.voters.map(voter).join(", ")}` : "no votes yet"
    return [`    ${voted}; ${r.round.needed} more vote(s) needed (how each voted is shown once it is decided)`]
  }
  return [
    `    ${r.round.decision.outcome}: ${r.round.decision.reason} (${formatTime(r.round.decision.at)})`,
    ...r.round.votes.map(v => `    ${v.choice.padEnd(6)} ${voter(v)}: ${oneLine(v.reason, 60)}${v.late ? "  (cast after the decision: not counted)" : ""}`),
  ]
}

function describe(shown: ShownGuild, people: ReadonlyMap<string, Identity>): string {
  const g = shown.guild
  const requests = shown.requests.flatMap(r => [`  ${r.id}  ${r.status.padEnd(8)} ${named(people, r.applicant)}, asked by ${r.requestedBy} at ${formatTime(r.at)}${r.note ? `: ${oneLine(r.note, 60)}` : ""}`, ...roundLines(r, people)])
  return [
    `${g.name}  (${g.id})${shown.disbanded ? "  disbanded: its last member left" : ""}`,
    ...(g.motto ? [`motto:    ${g.motto}`] : []),
    `founded:  by ${g.foundedBy} for ${named(people, g.founder)} at ${formatTime(g.foundedAt)}`,
    `members:  ${shown.members.length ? "" : "none"}`,
    ...shown.members.map(m => `  ${named(people, m.resident)}, since ${formatTime(m.joinedAt)}${m.request ? ` (request ${m.request})` : " (founder)"}`),
    `requests: ${shown.requests.length ? "" : "none"}`,
    ...requests,
  ].join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [[ref], rest] = takePositionals("guild show", argv, ["GUILD"])
  const flags = parseFlags("guild show", rest, OUTPUT_FLAGS, OutputInput)
  const [shown, people] = await withPeer(flags, async peer => [await guildDetail(peer.workspace, ref!), await residents(peer.workspace)] as const)
  print(flags, shown, s => describe(s, people))
  return 0
}

const FOUND_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("name", "founder", "motto") }
const FoundFlags = OutputInput.extend({ name: z.string({ error: "--name is required" }), founder: z.string({ error: "--founder is required" }), motto: z.string().optional() })

async function found(argv: string[]): Promise<number> {
  const flags = parseFlags("guild found", argv, FOUND_FLAGS, FoundFlags)
  const guild = await actAsOperator(flags, ctx => foundGuild(ctx, { name: flags.name, founder: flags.founder, ...(flags.motto ? { motto: flags.motto } : {}) }))
  print(flags, guild, g => `guild ${g.name} founded (${g.id}) with ${g.founder} as its first member; others ask to join with 'vivarium guild join ${g.id} --applicant RESIDENT'`)
  return 0
}

const JOIN_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("applicant", "note") }
const JoinFlags = OutputInput.extend({ applicant: z.string({ error: "--applicant is required" }), note: z.string().optional() })

async function join(argv: string[]): Promise<number> {
  const [[ref], rest] = takePositionals("guild join", argv, ["GUILD"])
  const flags = parseFlags("guild join", rest, JOIN_FLAGS, JoinFlags)
  const request = await actAsOperator(flags, ctx => requestToJoin(ctx, ref!, { applicant: flags.applicant, ...(flags.note ? { note: flags.note } : {}) }))
  print(flags, request, r => `request ${r.id}: ${r.applicant} asks to join; the relay decides once two members have voted (vivarium guild vote ${r.id} --voter RESIDENT --choice accept|reject --reason TEXT)`)
  return 0
}

const VOTE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("voter", "choice", "reason"), ...AS_OPERATOR_FLAG }
const VoteFlags = OutputInput.extend({
  voter: z.string().optional(),
  ...AsOperatorInput,
  choice: z.enum(["accept", "reject"], { error: "--choice is accept or reject" }),
  reason: z.string({ error: "--reason is required" }),
})

async function vote(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("guild vote", argv, ["REQUEST"])
  const flags = parseFlags("guild vote", rest, VOTE_FLAGS, VoteFlags)
  const voter = residentOrSelf(flags.voter, flags["as-operator"], "guild vote: give --voter RESIDENT (a member votes) or --as-operator (you vote as yourself), one of them")
  const cast = await actAsOperator(flags, ctx => {
    const { name, kind } = voter(ctx.actor.name)
    return castGuildVote(ctx, id!, { voter: name, voterKind: kind, choice: flags.choice, reason: flags.reason })
  })
  print(flags, cast, v => `vote cast by ${v.voterKind === "operator" ? `operator ${v.voter}` : v.voter} on ${id}: it stays hidden until the relay decides the request`)
  return 0
}

const LEAVE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("member") }
const LeaveFlags = OutputInput.extend({ member: z.string({ error: "--member is required" }) })

async function leave(argv: string[]): Promise<number> {
  const [[ref], rest] = takePositionals("guild leave", argv, ["GUILD"])
  const flags = parseFlags("guild leave", rest, LEAVE_FLAGS, LeaveFlags)
  const guild = await actAsOperator(flags, ctx => leaveGuild(ctx, ref!, { member: flags.member }))
  print(flags, guild, g => `${flags.member} left ${g.name}${Object.keys(g.members).length ? "" : ": it had no other member, so it is disbanded (its history is kept)"}`)
  return 0
}

export const GUILD_SUBCOMMANDS = { list, show, found, join, vote, leave }
