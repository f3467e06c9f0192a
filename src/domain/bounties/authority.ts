/**
 * Who may change bounties: operators post them (open, no submissions, by themselves),
 * complete them (winner, rewards, ranks recomputed, completedBy themselves) and delete one
 * nobody has submitted to. A resident submits (its worker, holding its lease, or an
 * operator); the first submission marks the bounty claimed. Submissions never change,
 * except the ranks an operator recomputes when completing.
 */
import type { Bounty, Submission } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, authorizeRun, changedFields, isSelf, refused, refusePending, same, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

const COMPLETION_FIELDS = ["state", "winner", "runnerUp", "winnerReward", "runnerUpReward", "completedBy", "completedAt", "submissions", "completions"]
/** What completing a bounty rewrites on each submission (actions.ts completeBounty). */
const RANK_FIELDS = ["slotIndex", "multiplier", "reason"]

export function authorizeBountyChange(before: Bounty | undefined, after: Bounty | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (after && after.id !== ctx.key) return refused(`bounty ${after.id} is stored under the key ${ctx.key}: a bounty's key must be its id`)
  if (!after) {
    if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators delete bounties`)
    if (before && (before.state !== "open" || Object.keys(before.submissions).length)) return refused(`bounty ${ctx.key} is ${before.state}: only an open bounty without submissions can be deleted`)
    return ALLOWED
  }
  if (!before) {
    if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators post bounties`)
    // Posted and submitted to before the relay saw it: claimed, with the submissions judged as new.
    const submitted = Object.keys(after.submissions).length > 0
    if (after.state !== (submitted ? "claimed" : "open") || Object.keys(after.completions ?? {}).length || after.winner !== undefined || after.completedBy !== undefined)
      return refused(`a new bounty is open with no submissions or winner, or claimed by the submissions it holds (${after.id})`)
    if (!isSelf(after.createdBy, who)) return refused(`bounty ${after.id} says it was posted by ${after.createdBy}, but ${who.peer} wrote it`)
    return submissions({ ...after, state: "open", submissions: {} }, after, who, ctx, false)
  }
  if (before.state !== "completed" && after.state === "completed") return completion(before, after, who, ctx)
  // A second operator completed it offline with the same outcome: its completion merges in.
  if (before.state === "completed" && after.state === "completed" && sameOutcome(before, after)) return completion(before, after, who, ctx)
  // One completed offline with another outcome: its own completion merges in, and every
  // reader resolves the completions the same way (src/domain/bounties/bounty.ts).
  if (before.state === "completed" && after.state === "completed" && !same(before.completions?.[who.peer], after.completions?.[who.peer])) return completion(before, after, who, ctx)
  const changed = changedFields(before, after)
  const other = changed.filter(f => f !== "submissions" && f !== "state")
  if (other.length) return refused(`bounty ${after.id}: ${other.join(", ")} change only when an operator completes it`)
  if (changed.includes("state") && !(before.state === "open" && after.state === "claimed")) return refused(`bounty ${after.id}: a submission moves it from open to claimed, nothing else moves it but completion`)
  if (before.state === "completed" && changed.length) return refused(`bounty ${after.id} is completed: it changes no more`)
  return submissions(before, after, who, ctx, false)
}

function completion(before: Bounty, after: Bounty, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators complete bounties`)
  const other = changedFields(before, after).filter(f => !COMPLETION_FIELDS.includes(f))
  if (other.length) return refused(`bounty ${after.id}: completing it does not change ${other.join(", ")}`)
  if (!isSelf(after.completedBy, who) && !(before.state === "completed" && before.completedBy === after.completedBy))
    return refused(`bounty ${after.id}: ${who.peer} cannot record ${after.completedBy ?? "nobody"} as the operator who completed it`)
  const completions = checkCompletions(before, after, who)
  if (!completions.ok) return completions
  return submissions(before, after, who, ctx, true)
}

/** An operator writes its own completion (keyed by its name, by itself) and removes none. */
function checkCompletions(before: Bounty, after: Bounty, who: Principal): AuthorityVerdict {
  const was = before.completions ?? {}
  const now = after.completions ?? {}
  for (const name of Object.keys(was)) if (!now[name]) return refused(`bounty ${after.id}: the completion by ${name} is never removed`)
  for (const [name, c] of Object.entries(now)) {
    if (same(was[name], c)) continue
    if (name !== who.peer || c.by !== who.peer) return refused(`bounty ${after.id}: ${who.peer} writes only its own completion, not ${name}'s`)
  }
  return ALLOWED
}

function submissions(before: Bounty, after: Bounty, who: Principal, ctx: AuthorityContext, ranking: boolean): AuthorityVerdict {
  for (const id of Object.keys(before.submissions)) if (!after.submissions[id]) return refused(`bounty ${after.id}: submission ${id} is never removed`)
  for (const [id, s] of Object.entries(after.submissions)) {
    const old = before.submissions[id]
    const verdict = old ? changedSubmission(after.id, old, s, ranking) : authorizeSubmission(after.id, id, s, who, ctx)
    if (!verdict.ok) return verdict
  }
  return ALLOWED
}

function changedSubmission(bountyId: string, old: Submission, now: Submission, ranking: boolean): AuthorityVerdict {
  if (same(old, now)) return ALLOWED
  const fields = changedFields(old, now)
  if (ranking && fields.every(f => RANK_FIELDS.includes(f))) return ALLOWED
  return refused(`bounty ${bountyId}: submission ${now.id} never changes (${fields.join(", ")})`)
}

/** A new submission: by the worker playing its resident, or an operator. */
export function authorizeSubmission(bountyId: string, key: string, s: Submission, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  if (s.id !== key) return refused(`bounty ${bountyId}: submission ${s.id} is stored under the key ${key}`)
  const run = authorizeRun(s.run, who, ctx, `bounty ${bountyId}: submission ${s.id}`)
  if (!run.ok) return run
  if (isOperator(who)) return ALLOWED
  const holder = s.identity ? ctx.residentHolder(s.identity) : undefined
  if (!s.identity || holder !== who.peer) return refused(`bounty ${bountyId}: ${who.peer} does not play ${s.identity ?? "the submitting resident"}, so it cannot submit for it`)
  return ALLOWED
}

/** Winner, runner-up and rewards: what two completions must agree on to be one outcome. */
function sameOutcome(a: Bounty, b: Bounty): boolean {
  return a.winner === b.winner && a.runnerUp === b.runnerUp && a.winnerReward === b.winnerReward && a.runnerUpReward === b.runnerUpReward
}
