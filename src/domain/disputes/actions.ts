/**
 * What an operator does with disputes, each written to the community document and signed into
 * the operator's audit log: open one for a participant of a decided round (a resident, or
 * itself when it voted), and assign its mediator; and the readings the CLI and the panel
 * show. Each validates first and throws OperatorActionError with nothing written. The relay
 * opens the dispute's room, queues the mediation and resolves it (consequences.ts).
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import type { CommunityDoc, Dispute, TaskStatus } from "../../../schemas/index.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readDisputes, readJoinRequests, readJournalReviews } from "../../workspace/documentReaders.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { openCommunity } from "../guilds/actions.ts"
import { MEDIATION_HAT } from "../hats/overlay.ts"
import { residentOf, residents } from "../residents/actions.ts"
import type { Round } from "../votes/index.ts"
import { MediatorInput, OpenInput } from "./inputs.ts"
import {
  disputedRound,
  disputeId,
  disputeRoomId,
  disputeStatus,
  eligibleMediators,
  mediationRun,
  mediationStep,
  mediationTaskId,
  mediatorRefusal,
  openRefusal,
  targetLabel,
  type DisputedRecord,
  type DisputeStatus,
  type DisputeTarget,
} from "./rules.ts"

/** The disputes and the records they contest, as this peer can read them (an invalid record is left out). */
export interface DisputesState {
  disputes: Map<string, Dispute>
  record(target: DisputeTarget): DisputedRecord | undefined
}

export function readDisputesState(handle: DocHandle<CommunityDoc>): DisputesState {
  const label = `community ${handle.url}`
  const requests = readJoinRequests(handle.doc(), label, [])
  const reviews = readJournalReviews(handle.doc(), label, [])
  return { disputes: readDisputes(handle.doc(), label, []), record: t => (t.kind === "guild_join" ? requests.get(t.id) : reviews.get(t.id)) }
}

export interface ListedDispute extends Dispute {
  status: DisputeStatus
  /** The mediation task's status in the live queue; absent before the relay queued it (or once archived). */
  mediation?: TaskStatus
}

const listed = (workspace: Workspace, d: Dispute): ListedDispute => {
  const task = d.mediator && workspace.tasks.get(d.mediator.task)
  return { ...d, status: disputeStatus(d), ...(task ? { mediation: task.status } : {}) }
}

/** Every dispute, the open ones first, newest first within each. */
export async function disputesOf(workspace: Workspace): Promise<ListedDispute[]> {
  const { disputes } = readDisputesState(await openCommunity(workspace))
  return [...disputes.values()].map(d => listed(workspace, d)).sort((a, b) => Number(!!a.resolution) - Number(!!b.resolution) || b.at - a.at || (a.id < b.id ? -1 : 1))
}

export interface ShownDispute extends ListedDispute {
  /** The contested round's votes and decision, when the record is known here. */
  contested?: Round
  /** The mediator's answer, once its task has a result. */
  answer?: string
  /** Residents who may mediate it (third parties), while it waits for a mediator. */
  eligible: string[]
}

export async function disputeDetail(workspace: Workspace, id: string): Promise<ShownDispute> {
  const state = readDisputesState(await openCommunity(workspace))
  const d = state.disputes.get(id)
  if (!d) throw new OperatorActionError("dispute_not_found", { id })
  const record = state.record(d.target)
  const contested = record && disputedRound(d, record)
  const answer = d.mediator && workspace.tasks.get(d.mediator.task)?.result?.output
  const eligible = d.mediator ? [] : eligibleMediators(d, record, (await residents(workspace)).keys())
  return { ...listed(workspace, d), ...(contested ? { contested } : {}), ...(answer ? { answer } : {}), eligible }
}

async function disputesState(workspace: Workspace): Promise<[DocHandle<CommunityDoc>, DisputesState]> {
  const handle = await openCommunity(workspace)
  return [handle, readDisputesState(handle)]
}

const refusal = (what: string, why: string | false | undefined) => {
  if (why) throw new OperatorActionError("dispute_refused", { what, why })
}

/**
 * Opens a dispute over the current, decided round of a join request or journal review, for
 * a participant of it. Its id is fixed by target and round: the same dispute opened offline
 * elsewhere merges with this one.
 */
export async function openDispute(ctx: OperatorContext, input: OpenInput): Promise<Dispute> {
  const { target, requester, requesterKind, reason, risk } = parseInput(OpenInput, input)
  const [handle, state] = await disputesState(ctx.workspace)
  const record = state.record(target)
  if (!record) throw target.kind === "guild_join" ? new OperatorActionError("join_request_not_found", { id: target.id }) : new OperatorActionError("review_not_found", { id: target.id })
  const what = `Disputing ${targetLabel(target)}`
  if (requesterKind === "operator") refusal(what, requester === ctx.actor.name ? undefined : `an operator disputes as itself, and you are ${ctx.actor.name}, not ${requester}`)
  else await residentOf(ctx.workspace, requester)
  const id = disputeId(target, record.past.length)
  if (state.disputes.has(id)) throw new OperatorActionError("dispute_exists", { id })
  refusal(what, openRefusal(record, { requester, requesterKind }))
  const dispute: Dispute = { id, target, round: record.past.length, requester, requesterKind, openedBy: ctx.actor.name, reason, risk, at: ctx.now ?? Date.now(), room: disputeRoomId(id) }
  handle.change(d => {
    d.disputes[id] = { ...dispute, target: { ...target }, reason: storedValue(reason) }
  })
  await ctx.audit.append("community", id, { action: "dispute_opened", target, round: dispute.round, requester, requesterKind })
  return dispute
}

/**
 * Assigns the resident who mediates `id`, wearing the Hat of Objectivity: a third party to the
 * round. Once per mediation: a new mediator only after the last mediation ended with no
 * outcome (its task failed, was cancelled, or its approved answer named neither word).
 */
export async function assignMediator(ctx: OperatorContext, id: string, input: MediatorInput): Promise<Dispute> {
  const { resident } = parseInput(MediatorInput, input)
  const [handle, state] = await disputesState(ctx.workspace)
  const dispute = state.disputes.get(id)
  if (!dispute) throw new OperatorActionError("dispute_not_found", { id })
  await residentOf(ctx.workspace, resident)
  const what = `Assigning ${resident} as the mediator of dispute ${id}`
  refusal(what, dispute.resolution && `it is resolved (${dispute.resolution.outcome})`)
  const last = dispute.mediator
  const step = last && mediationStep(ctx.workspace.tasks.get(last.task))
  refusal(what, step && step.kind !== "ended" && `${last.resident} mediates it (task ${last.task}): a new mediator comes only after that mediation ends with no outcome`)
  refusal(what, mediatorRefusal(dispute, state.record(dispute.target), resident))
  const task = mediationTaskId(id, last ? (mediationRun(id, last.task) ?? 1) + 1 : 1)
  const mediator = { resident, hat: MEDIATION_HAT, assignedBy: ctx.actor.name, at: ctx.now ?? Date.now(), task }
  handle.change(d => {
    d.disputes[id]!.mediator = { ...mediator }
  })
  await ctx.audit.append("community", id, { action: "mediator_assigned", mediator: resident, task })
  return { ...dispute, mediator }
}
