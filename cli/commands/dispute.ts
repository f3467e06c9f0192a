/**
 * `vivarium dispute list|show|open|mediate`: disputes over a decided vote round (a guild join
 * request or a journal review). A participant of the round opens one and risks its daily
 * allowance; an operator assigns a third-party resident to mediate, wearing the Hat of
 * Objectivity; the relay resolves it from the mediator's answer once an operator approves it.
 */
import { z } from "zod"
import type { Identity, VoterKind } from "../../schemas/index.ts"
import { assignMediator, disputeDetail, disputesOf, openDispute, TargetRef, targetLabel, type ListedDispute, type ShownDispute } from "../../src/domain/disputes/index.ts"
import { residents } from "../../src/domain/residents/actions.ts"
import { countingOrder } from "../../src/domain/votes/index.ts"
import { AS_OPERATOR_FLAG, AsOperatorInput, parseFlags, residentOrSelf, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

/** A participant as `Name (id)`, an operator as such, or the id when this peer does not know it. */
const named = (people: ReadonlyMap<string, Identity>, who: string, kind: VoterKind = "resident") =>
  kind === "operator" ? `operator ${who}` : people.has(who) ? `${people.get(who)!.name} (${who})` : who

const ref = (d: Pick<ListedDispute, "target">) => `${d.target.kind}:${d.target.id}`

/** Where a dispute stands, in a few words. */
function stateOf(d: ListedDispute): string {
  if (d.resolution) return d.resolution.outcome === "reopen" ? "reopened" : "upheld"
  if (!d.mediator) return "awaiting mediator"
  return `mediating${d.mediation ? ` (${d.mediation.replace(/_/g, " ")})` : ""}`
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("dispute list", argv, OUTPUT_FLAGS, OutputInput)
  const disputes = await withPeer(flags, peer => disputesOf(peer.workspace))
  printTable(flags, disputes, {
    header: `${"ID".padEnd(44)} ${"STATE".padEnd(28)} ${"TARGET".padEnd(36)} ${"REQUESTER".padEnd(16)} MEDIATOR`,
    row: d => `${d.id.padEnd(44)} ${stateOf(d).padEnd(28)} ${ref(d).padEnd(36)} ${(d.requesterKind === "operator" ? `op:${d.requester}` : d.requester).padEnd(16)} ${d.mediator?.resident ?? "–"}`,
    empty: "no disputes (vivarium dispute open --target guild_join:REQUEST --requester RESIDENT --reason TEXT)",
  })
  return 0
}

function describe(d: ShownDispute, people: ReadonlyMap<string, Identity>): string {
  const votes = d.contested ? countingOrder(d.contested.votes).filter(([key]) => d.contested!.decision?.counted.includes(key)) : []
  const mediator = d.mediator
    ? [`mediator: ${named(people, d.mediator.resident)}, wearing the Hat of Objectivity, assigned by ${d.mediator.assignedBy} at ${formatTime(d.mediator.at)}`, `          task ${d.mediator.task}: ${d.mediation?.replace(/_/g, " ") ?? "not in the live queue"}`]
    : [`mediator: none yet (vivarium dispute mediate ${d.id} --mediator RESIDENT${d.eligible.length ? `; third parties: ${d.eligible.join(", ")}` : ""})`]
  const resolution = d.resolution
    ? [`outcome:  ${d.resolution.outcome === "reopen" ? "reopened: the round is voted again" : "upheld: the decision stands"} (${formatTime(d.resolution.at)})`, ...(d.resolution.suspendedUntil ? [`          ${d.requester}'s daily allowance is suspended until ${formatTime(d.resolution.suspendedUntil)}`] : []), `          ${d.resolution.reason}`]
    : []
  return [
    `${d.id}  ${stateOf(d)}`,
    `target:   ${targetLabel(d.target)} (round ${d.round})`,
    `opened:   by ${d.openedBy} for ${named(people, d.requester, d.requesterKind)} at ${formatTime(d.at)}; it risks the ${d.risk.replace(/_/g, " ")}`,
    `reason:   ${d.reason}`,
    ...(d.contested?.decision ? [`decision: ${d.contested.decision.outcome}: ${d.contested.decision.reason}`] : ["decision: not known here"]),
    ...votes.map(([, v]) => `          ${v.choice.padEnd(11)} ${named(people, v.voter, v.voterKind)}: ${oneLine(v.reason, 60)}`),
    `room:     ${d.room} (vivarium room read ${d.room})`,
    ...mediator,
    ...(d.answer ? [`answer:   ${oneLine(d.answer, 200)}`] : []),
    ...resolution,
  ].join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("dispute show", argv, ["DISPUTE"])
  const flags = parseFlags("dispute show", rest, OUTPUT_FLAGS, OutputInput)
  const [shown, people] = await withPeer(flags, async peer => [await disputeDetail(peer.workspace, id!), await residents(peer.workspace)] as const)
  print(flags, shown, s => describe(s, people))
  return 0
}

const OPEN_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("target", "requester", "reason"), ...AS_OPERATOR_FLAG }
const OpenFlags = OutputInput.extend({
  target: TargetRef,
  requester: z.string().optional(),
  ...AsOperatorInput,
  reason: z.string({ error: "--reason is required" }),
})

async function open(argv: string[]): Promise<number> {
  const flags = parseFlags("dispute open", argv, OPEN_FLAGS, OpenFlags)
  const requester = residentOrSelf(flags.requester, flags["as-operator"], "dispute open: give --requester RESIDENT (the applicant, author or a voter) or --as-operator (you voted in the round), one of them")
  const dispute = await actAsOperator(flags, ctx => {
    const { name, kind } = requester(ctx.actor.name)
    return openDispute(ctx, { target: flags.target, requester: name, requesterKind: kind, reason: flags.reason })
  })
  print(flags, dispute, d => `dispute ${d.id} opened over ${targetLabel(d.target)}; it waits for a mediator (vivarium dispute mediate ${d.id} --mediator RESIDENT)`)
  return 0
}

const MEDIATE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("mediator") }
const MediateFlags = OutputInput.extend({ mediator: z.string({ error: "--mediator is required" }) })

async function mediate(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("dispute mediate", argv, ["DISPUTE"])
  const flags = parseFlags("dispute mediate", rest, MEDIATE_FLAGS, MediateFlags)
  const dispute = await actAsOperator(flags, ctx => assignMediator(ctx, id!, { resident: flags.mediator }))
  print(flags, dispute, d => `${flags.mediator} mediates ${d.id}, wearing the Hat of Objectivity: the relay queues task ${d.mediator!.task}, and its answer counts once an operator approves it`)
  return 0
}

export const DISPUTE_SUBCOMMANDS = { list, show, open, mediate }
