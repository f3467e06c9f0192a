/**
 * What the relay (its own actor, unjudged) does for open disputes, once per pass: it lists
 * each dispute's room and says there that it waits for a mediator; it queues the mediation
 * task for the assigned mediator, which wears the Hat of Objectivity (facet mediation); it asks
 * an operator to requeue an answer under review that names neither UPHOLD nor REOPEN (once per
 * run); and when an operator approved a readable answer it resolves the dispute: REOPEN closes
 * the round into `past` and voting starts again (a membership it granted is taken back),
 * UPHOLD suspends the requester's daily allowance. Idempotent: room, task and message ids are
 * fixed by the dispute, and the room's post is written before the state it announces.
 */
import { LIMITS, type CommunityDoc, type Dispute, type Identity, type PastRound, type VoterKind } from "../../../schemas/index.ts"
import type { RecordSigner } from "../../core/signedRecords.ts"
import type { SocialContext } from "../../workspace/actionContext.ts"
import { readGuilds } from "../../workspace/documentReaders.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { openCommunity } from "../guilds/actions.ts"
import { residents } from "../residents/actions.ts"
import { openRelayRoom, postOnce, roomMessages, roomText } from "../rooms/actions.ts"
import { closedRound, type CommunityEvent } from "../votes/index.ts"
import { readDisputesState, type DisputesState } from "./actions.ts"
import { mediationStep, mediationTaskText, suspensionEnd, targetLabel, type DisputedRecord, type MediatorAnswer } from "./rules.ts"

/** One pass over the open disputes; answers what it did, for the relay's audit log. */
export async function followDisputes(ws: Workspace, signer: RecordSigner, now: number): Promise<CommunityEvent[]> {
  if (!ws.root.docs.community) return []
  const handle = await openCommunity(ws)
  const state = readDisputesState(handle)
  const open = [...state.disputes.values()].filter(d => !d.resolution)
  if (!open.length) return []
  const pass: Pass = { ws, ctx: { workspace: ws, actor: signer.actor, now }, state, people: await residents(ws), guilds: readGuilds(handle.doc(), `community ${handle.url}`, []), write: fn => handle.change(fn), events: [] }
  for (const dispute of open) await follow(pass, dispute)
  return pass.events
}

interface Pass {
  ws: Workspace
  ctx: SocialContext & { now: number }
  state: DisputesState
  people: ReadonlyMap<string, Identity>
  guilds: ReturnType<typeof readGuilds>
  write: (fn: (d: CommunityDoc) => void) => void
  events: CommunityEvent[]
}

const nameIn = (pass: Pass) => (who: string, kind: VoterKind) => (kind === "operator" ? `operator ${who}` : (pass.people.get(who)?.name ?? who))

/** Posts `content` once in the dispute's room, as the relay, under a fixed id. */
function say(pass: Pass, dispute: Dispute, id: string, content: string) {
  return postOnce(pass.ws, dispute.room, { id, author: pass.ctx.actor.name, content: roomText(content), importance: 5, at: pass.ctx.now })
}

async function follow(pass: Pass, dispute: Dispute): Promise<void> {
  const name = nameIn(pass)
  const record = pass.state.record(dispute.target)
  const label = targetLabel(dispute.target)
  if (await openRelayRoom(pass.ws, { id: dispute.room, title: `Dispute over ${label}`, topic: `${name(dispute.requester, dispute.requesterKind)} disputes the decision on ${label}` }, pass.ctx.now))
    pass.events.push({ subject: dispute.id, action: "dispute_room_opened", detail: { room: dispute.room } })
  const risk = dispute.requesterKind === "resident" ? ` If the decision is upheld, ${name(dispute.requester, "resident")} gets no daily allowance for two days.` : ""
  await say(pass, dispute, `opened-${dispute.id}`, `${name(dispute.requester, dispute.requesterKind)} disputes the decision on ${label}: “${dispute.reason}”.${risk} Awaiting a mediator wearing the Hat of Objectivity.`)
  const m = dispute.mediator
  if (!m) return
  const task = pass.ws.tasks.get(m.task)
  const step = mediationStep(task)
  if (step.kind === "queue" && record) await queueMediation(pass, dispute, record)
  else if (step.kind === "unclear") {
    if ((await say(pass, dispute, `unclear-${m.task}-${step.run}`, `The mediator's answer (/tasks/${m.task}) does not start with UPHOLD or REOPEN, so it settles nothing: an operator should requeue the task (vivarium task requeue ${m.task}) rather than approve it.`)) === "written")
      pass.events.push({ subject: dispute.id, action: "mediation_unclear", detail: { task: m.task, run: step.run } })
  } else if (step.kind === "ended") {
    if ((await say(pass, dispute, `ended-${m.task}`, `The mediation by ${name(m.resident, "resident")} ended with no outcome (${step.why}). The dispute stays open: an operator assigns the next mediation (vivarium dispute mediate ${dispute.id} --mediator RESIDENT).`)) === "written")
      pass.events.push({ subject: dispute.id, action: "mediation_ended", detail: { task: m.task, why: step.why } })
  } else if (step.kind === "resolve") await resolve(pass, dispute, step.answer)
}

/**
 * Queues the mediator's task, wearing the Hat of Objectivity. The room's post that announces
 * it marks it queued: a mediation task the archiver moved out of the live queue after it ended
 * is not queued again.
 */
async function queueMediation(pass: Pass, dispute: Dispute, record: DisputedRecord): Promise<void> {
  const m = dispute.mediator!
  const marker = `mediation-${m.task}`
  if ((await roomMessages(pass.ws, dispute.room)).some(msg => msg.id === marker)) return
  const guildName = "guild" in record ? pass.guilds.get(record.guild)?.name : undefined
  const text = mediationTaskText(dispute, record, { nameOf: nameIn(pass), ...(guildName ? { guildName } : {}) })
  pass.ws.addTask({ ...text, mode: "llm", targetIdentity: m.resident, facet: "mediation", room: dispute.room }, pass.ctx.actor, pass.ctx.now, m.task)
  await say(pass, dispute, marker, `${nameIn(pass)(m.resident, "resident")} mediates, wearing the Hat of Objectivity: the answer is task /tasks/${m.task}, and it counts once an operator approves it.`)
  pass.events.push({ subject: dispute.id, action: "mediation_queued", detail: { task: m.task, mediator: m.resident } })
}

/** The round as it goes into `past`, its long words as single values. */
function storedRound(round: PastRound): PastRound {
  const votes = Object.fromEntries(Object.entries(round.votes).map(([k, v]) => [k, { ...v, reason: storedValue(v.reason) }]))
  return { ...round, votes, ...(round.decision ? { decision: { ...round.decision, counted: [...round.decision.counted], reason: storedValue(round.decision.reason) } } : {}) }
}

async function resolve(pass: Pass, dispute: Dispute, answer: MediatorAnswer): Promise<void> {
  const { now } = pass.ctx
  const record = pass.state.record(dispute.target)
  // Reopened only while the record still holds the disputed round, decided (a second pass finds it moved to `past`).
  const reopens = answer.outcome === "reopen" && !!record?.decision && record.past.length === dispute.round
  const resolution = {
    outcome: answer.outcome,
    reason: (answer.reasoning || "the mediator gave no reasons").slice(0, LIMITS.reason),
    at: now,
    ...(answer.outcome === "uphold" ? { suspendedUntil: suspensionEnd(now) } : {}),
  }
  const label = targetLabel(dispute.target)
  const outcome =
    answer.outcome === "reopen"
      ? `Reopened: the votes on ${label} are cleared and its round is voted again.`
      : `Upheld: the decision on ${label} stands${dispute.requesterKind === "resident" ? `, and ${nameIn(pass)(dispute.requester, "resident")} gets no daily allowance until ${new Date(resolution.suspendedUntil!).toISOString().slice(0, 16).replace("T", " ")} UTC` : ""}.`
  await say(pass, dispute, `resolved-${dispute.id}`, `${outcome} The mediator's reasons: ${resolution.reason}`)
  let removed: string | undefined
  pass.write(d => {
    const stored = d.disputes[dispute.id]
    if (!stored || stored.resolution) return
    stored.resolution = { ...resolution, reason: storedValue(resolution.reason) }
    if (reopens) removed = reopen(d, dispute, record!, now)
  })
  pass.events.push({ subject: dispute.id, action: `dispute_${answer.outcome === "reopen" ? "reopened" : "upheld"}`, detail: { task: dispute.mediator!.task, reopened: reopens, ...(removed ? { membershipRemoved: removed } : {}), ...(resolution.suspendedUntil ? { suspendedUntil: resolution.suspendedUntil } : {}) } })
}

/**
 * Closes the disputed round into `past` and clears its votes and decision, so voting starts
 * again; a member the round admitted leaves the guild again (answers that guild's id). A
 * journal review's reward already paid stays paid: its ledger key is per review, so a new
 * round that accepts it again cannot pay it twice; the reward goes with the decision it was
 * fixed by.
 */
function reopen(d: CommunityDoc, dispute: Dispute, record: DisputedRecord, now: number): string | undefined {
  const draft = dispute.target.kind === "guild_join" ? d.requests[dispute.target.id] : d.reviews[dispute.target.id]
  if (!draft) return undefined
  draft.past.push(storedRound(closedRound(record, dispute.id, now)))
  draft.votes = {}
  delete draft.decision
  if ("reward" in draft) delete draft.reward
  if (dispute.target.kind !== "guild_join") return undefined
  for (const guild of Object.values(d.guilds))
    for (const [resident, member] of Object.entries(guild.members))
      if (member.request === dispute.target.id) {
        delete guild.members[resident]
        return guild.id
      }
  return undefined
}
