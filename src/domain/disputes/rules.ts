/**
 * Dispute rules, pure. A dispute contests one decided vote round of a guild join request or a
 * journal review; its id is fixed by that target and round, so two peers opening it offline
 * write the same record, which merges into one. Only a participant of the round opens one:
 * the applicant (or author), or a voter the decision counted. A mediator is a third party (none
 * of those) and wears the Hat of Objectivity; its answer starts with UPHOLD or REOPEN, and it
 * counts once an operator approved it: REOPEN starts the round again, UPHOLD lets the decision
 * stand and suspends the requester's daily allowance for a while.
 */
import { LIMITS, type Dispute, type JoinRequest, type JournalReview, type Task, type VoterKind } from "../../../schemas/index.ts"
import { countingOrder, type Round } from "../votes/index.ts"

export type DisputeTarget = Dispute["target"]

/** What a dispute contests: a join request (guild_join) or a journal review (journal_review). */
export type DisputedRecord = JoinRequest | JournalReview

/** `dispute-guild_join-<request>-0`: the same on every peer for one target's round. */
export const disputeId = (target: DisputeTarget, round: number) => `dispute-${target.kind}-${target.id}-${round}`

/** A dispute is talked over in its own room, listed under the dispute's id. */
export const disputeRoomId = (id: string) => id

/** The mediation task of a dispute's `run`-th mediator (the first is `mediate-<dispute>`). */
export const mediationTaskId = (id: string, run = 1) => (run === 1 ? `mediate-${id}` : `mediate-${id}-${run}`)

/** Which mediation of dispute `id` task `taskId` is (1, 2, …), or undefined when it is none of them. */
export function mediationRun(id: string, taskId: string): number | undefined {
  const base = mediationTaskId(id)
  if (taskId === base) return 1
  const run = taskId.startsWith(`${base}-`) ? Number(taskId.slice(base.length + 1)) : NaN
  return Number.isInteger(run) && run > 1 && mediationTaskId(id, run) === taskId ? run : undefined
}

/** "join request req-1" / "journal review rev-1". */
export const targetLabel = (target: DisputeTarget) => `${target.kind === "guild_join" ? "join request" : "journal review"} ${target.id}`

/** The round `dispute` contests: the record's current round until a reopening moved it to `past`. */
export function disputedRound(dispute: Pick<Dispute, "round">, record: DisputedRecord): Round | undefined {
  return record.past.length === dispute.round ? record : record.past[dispute.round]
}

/** Someone who took part in a round. */
export interface Participant {
  who: string
  kind: VoterKind
  role: "applicant" | "author" | "voter"
}

/** The applicant (or author) and every voter the round's decision counted, in counting order. */
export function roundParticipants(record: DisputedRecord, round: Round): Participant[] {
  const subject: Participant = "applicant" in record ? { who: record.applicant, kind: "resident", role: "applicant" } : { who: record.author, kind: "resident", role: "author" }
  const counted = new Set(round.decision?.counted ?? [])
  const voters = countingOrder(round.votes)
    .filter(([key]) => counted.has(key))
    .map(([, v]): Participant => ({ who: v.voter, kind: v.voterKind, role: "voter" }))
  return [subject, ...voters]
}

const roleOf = (participants: readonly Participant[], who: string, kind: VoterKind) => participants.find(p => p.who === who && p.kind === kind)?.role

/** Why `requester` cannot dispute the current round of `record`, or undefined when it can. */
export function openRefusal(record: DisputedRecord, requester: { requester: string; requesterKind: VoterKind }): string | undefined {
  if (!record.decision) return "its round is not decided yet: a dispute contests a decision"
  if (!roleOf(roundParticipants(record, record), requester.requester, requester.requesterKind))
    return `${requester.requesterKind === "operator" ? "operator " : ""}${requester.requester} took no part in that round: the ${"applicant" in record ? "applicant" : "author"} or a voter it counted disputes it`
  return undefined
}

/** Why `resident` cannot mediate `dispute` (it must be a third party), or undefined when it can. */
export function mediatorRefusal(dispute: Dispute, record: DisputedRecord | undefined, resident: string): string | undefined {
  if (dispute.requesterKind === "resident" && dispute.requester === resident) return `${resident} opened the dispute: a mediator is a third party`
  const round = record && disputedRound(dispute, record)
  if (!record || !round) return `the disputed ${targetLabel(dispute.target)} is not known here, so nobody can be shown to be a third party`
  const role = roleOf(roundParticipants(record, round), resident, "resident")
  if (role === "voter") return `${resident} voted in the disputed round: a mediator is a third party`
  if (role) return `${resident} is the ${role}: a mediator is a third party`
  return undefined
}

export type DisputeOutcome = NonNullable<Dispute["resolution"]>["outcome"]

export interface MediatorAnswer {
  outcome: DisputeOutcome
  /** What followed the first word (may be empty). */
  reasoning: string
}

/**
 * UPHOLD or REOPEN as the first word, in any case, inside markdown emphasis or quotes, then
 * the punctuation that ends it (a quote after a space opens the reasoning and is kept).
 */
const FIRST_WORD = /^[\s>*_#"'`“‘([]*(uphold|reopen)(?![\p{L}\p{N}_])(?:[*_"'`”’)\]]|[.:,;!?]|\s*[—–-])*\s*/iu

/** The outcome a mediator's answer names, or undefined when its first word is neither UPHOLD nor REOPEN. */
export function readMediatorAnswer(output: string): MediatorAnswer | undefined {
  const match = FIRST_WORD.exec(output)
  if (!match) return undefined
  return { outcome: match[1]!.toLowerCase() as DisputeOutcome, reasoning: output.slice(match[0].length).trim() }
}

/** How long an upheld dispute suspends the requester's privilege. */
export const SUSPENSION_MS = 2 * 24 * 3600_000

/** When the privilege of a dispute upheld at `at` comes back. */
export const suspensionEnd = (at: number) => at + SUSPENSION_MS

/** Whether `resident`'s daily allowance is suspended at `now` by a dispute it opened and lost. */
export function isSuspended(resident: string, disputes: Iterable<Dispute>, now: number): boolean {
  for (const d of disputes)
    if (d.requesterKind === "resident" && d.requester === resident && d.risk === "daily_allowance" && d.resolution?.outcome === "uphold" && (d.resolution.suspendedUntil ?? 0) > now) return true
  return false
}

export type DisputeStatus = "awaiting_mediator" | "mediating" | "resolved"

export const disputeStatus = (d: Dispute): DisputeStatus => (d.resolution ? "resolved" : d.mediator ? "mediating" : "awaiting_mediator")

/** What the relay does next for a dispute's mediation, given its task (absent: not in the live queue). */
export type MediationStep =
  | { kind: "queue" }
  | { kind: "wait" }
  /** The answer under review names neither word: an operator should requeue it (asked once per run, counted by its executions). */
  | { kind: "unclear"; run: number }
  | { kind: "resolve"; answer: MediatorAnswer }
  /** The mediation ended with no outcome: an operator may assign the next one. */
  | { kind: "ended"; why: string }

export function mediationStep(task: Pick<Task, "status" | "result" | "executions"> | undefined): MediationStep {
  if (!task) return { kind: "queue" }
  const answer = task.result && readMediatorAnswer(task.result.output)
  if (task.status === "pending_review" && task.result && !answer) return { kind: "unclear", run: task.executions.length }
  if (task.status === "approved") return answer ? { kind: "resolve", answer } : { kind: "ended", why: "its approved answer names neither UPHOLD nor REOPEN" }
  if (task.status === "failed" || task.status === "cancelled") return { kind: "ended", why: `its task ${task.status}` }
  return { kind: "wait" }
}

/** How the mediation task names people: residents by name, operators as such. */
export type NameOf = (who: string, kind: VoterKind) => string

const quoted = (text: string) => `“${text.replace(/\s+/g, " ").trim()}”`

/**
 * The task that asks the mediator for its answer: the dispute, the round's counted votes with
 * their reasons and the decision, and the form of the answer (UPHOLD or REOPEN first).
 */
export function mediationTaskText(dispute: Dispute, record: DisputedRecord, context: { nameOf: NameOf; guildName?: string }): { title: string; prompt: string } {
  const round = disputedRound(dispute, record) ?? { votes: {} }
  const { nameOf } = context
  const counted = new Set(round.decision?.counted ?? [])
  // A journal review's author stays unnamed, as its reviewers saw it.
  const subject =
    "applicant" in record
      ? [`${nameOf(record.applicant, "resident")} asked to join the guild ${context.guildName ?? record.guild}.`, ...(record.note ? [`Their note: ${quoted(record.note)}`] : [])]
      : [`A journal entry was put up for review. What the reviewers read: ${quoted(record.excerpt)}`]
  const requester = "author" in record && dispute.requester === record.author && dispute.requesterKind === "resident" ? "The author" : nameOf(dispute.requester, dispute.requesterKind)
  const votes = countingOrder(round.votes)
    .filter(([key]) => counted.has(key))
    .map(([, v]) => `- ${nameOf(v.voter, v.voterKind)} voted ${v.choice}: ${quoted(v.reason)}`)
  // The votes come last: a prompt cut to its limit loses some of them, never the question.
  const prompt = [
    "You mediate a dispute over a decided vote, wearing the Hat of Objectivity: you took no part in it.",
    "Answer with UPHOLD or REOPEN as your first word, then your reasoning in a few sentences.",
    "UPHOLD: the decision stands (the one who disputed it loses a privilege for two days).",
    "REOPEN: the votes are cleared and the round is voted again.",
    "",
    ...subject,
    `${requester} disputes the decision: ${quoted(dispute.reason)}`,
    round.decision ? `The decision: ${round.decision.outcome} (${round.decision.reason}).` : "The decision is not known.",
    "The votes it counted, in order:",
    ...(votes.length ? votes : ["- none"]),
  ].join("\n")
  return { title: `Mediate the dispute over ${targetLabel(dispute.target)}`.slice(0, LIMITS.title), prompt: prompt.slice(0, LIMITS.prompt) }
}

/** The residents (of `residents`) who may mediate `dispute`: every third party. */
export function eligibleMediators(dispute: Dispute, record: DisputedRecord | undefined, residents: Iterable<string>): string[] {
  return [...residents].filter(r => !mediatorRefusal(dispute, record, r))
}
