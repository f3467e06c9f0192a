/**
 * Bounties (reference §5.4): an operator posts one, residents submit (alone or with
 * members), the operator completes it and the winner and runner-up are paid — to each
 * member, once per ledger key. Slot multipliers and payouts are src/domain/bounties/bounty.ts.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { Bounty, LIMITS, Submission, type BountiesDoc, type RunRef, type Task } from "../../../schemas/index.ts"
import { BountyRuleError, bountyTaskInput, payoutKey, payoutPlan, rankSubmissions, submissionFingerprint, type Payout } from "./bounty.ts"
import { newId } from "../../core/ids.ts"
import { readBounties } from "../../workspace/documentReaders.ts"
import { addTask } from "../tasks/actions.ts"
import { OperatorActionError, openDoc, parseInput, type OperatorContext, type SocialContext } from "../../workspace/actionContext.ts"
import { CompletionInput, MAX_MEMBERS, NewBountyInput, SubmissionInput } from "./inputs.ts"
import { residents } from "../residents/actions.ts"
import { grant, openWallets } from "../wallets/actions.ts"
import { Workspace } from "../../workspace/workspace.ts"

/**
 * Writes an open bounty without submissions (postBounty also audits it).
 * Its `completions` map exists from the start: two operators completing it offline then write
 * into one map, where a map each created concurrently would keep only one of them.
 */
export async function createBounty(ctx: SocialContext, input: NewBountyInput): Promise<Bounty> {
  const e = parseInput(NewBountyInput, input)
  const now = ctx.now ?? Date.now()
  const bounty = parseInput(Bounty, { id: newId("bounty", now), ...e, state: "open", submissions: {}, completions: {}, createdBy: ctx.actor.name, createdAt: now })
  const handle = await openDoc<BountiesDoc>(ctx.workspace, ctx.workspace.root.docs.bounties)
  handle.change(d => {
    d.bounties[bounty.id] = bounty
  })
  return bounty
}

/** A bounty as this peer must judge it: submissions made in a stale run are left out. */
export function withoutStaleSubmissions(workspace: Workspace, bounty: Bounty): Bounty {
  const stale = Object.values(bounty.submissions).filter(s => workspace.staleRunReason(s.run))
  if (!stale.length) return bounty
  const submissions = { ...bounty.submissions }
  for (const s of stale) delete submissions[s.id]
  return { ...bounty, submissions }
}

/** Every readable bounty, judged by this peer (stale submissions left out). */
export async function readFencedBounties(workspace: Workspace): Promise<Map<string, Bounty>> {
  const handle = await openDoc<BountiesDoc>(workspace, workspace.root.docs.bounties)
  const out = new Map<string, Bounty>()
  for (const [id, bounty] of readBounties(handle.doc(), `bounties ${handle.url}`, [])) out.set(id, withoutStaleSubmissions(workspace, bounty))
  return out
}

async function bountyRef(workspace: Workspace, id: string): Promise<{ handle: DocHandle<BountiesDoc>; bounty: Bounty }> {
  const handle = await openDoc<BountiesDoc>(workspace, workspace.root.docs.bounties)
  const bounty = readBounties(handle.doc(), `bounties ${handle.url}`, []).get(id)
  if (!bounty) throw new OperatorActionError(handle.doc().bounties?.[id] ? "unreadable" : "not_found", { thing: "bounty", id })
  return { handle, bounty: withoutStaleSubmissions(workspace, bounty) }
}

/** Posts an open bounty (title, description, reward in tokens, 1–100 slots). */
export async function postBounty(ctx: OperatorContext, input: NewBountyInput): Promise<Bounty> {
  const bounty = await createBounty(ctx, input)
  await ctx.audit.append("social", bounty.id, { bounty: "posted", reward: bounty.reward, slots: bounty.slots })
  return bounty
}

/**
 * A resident's submission to an open or claimed bounty (workers pass the workspace,
 * operators their context). Its slot, multiplier and reason are computed now; an exact
 * duplicate is refused; the first submission marks the bounty claimed.
 */
export async function submitToBounty(target: Workspace | { workspace: Workspace; now?: number }, bountyId: string, input: SubmissionInput, run?: RunRef): Promise<Submission> {
  const workspace = target instanceof Workspace ? target : target.workspace
  const now = (target instanceof Workspace ? undefined : target.now) ?? Date.now()
  const e = parseInput(SubmissionInput, input)
  const members = [...new Set([e.identity, ...(e.members ?? [])])]
  if (members.length > MAX_MEMBERS) throw new OperatorActionError("too_many_members", { max: MAX_MEMBERS })
  const known = await residents(workspace)
  const unknown = members.filter(m => !known.has(m))
  if (unknown.length) throw new OperatorActionError("not_found", { thing: "resident", id: unknown.join(", ") })
  const { handle, bounty } = await bountyRef(workspace, bountyId)
  if (bounty.state === "completed") throw new OperatorActionError("bounty_completed", { id: bountyId })
  const fingerprint = submissionFingerprint({ identity: e.identity, content: e.content, members })
  const same = Object.values(bounty.submissions).find(s => (s.fingerprint ?? submissionFingerprint(s)) === fingerprint)
  if (same) throw new OperatorActionError("duplicate_submission", { id: bountyId, existing: same.id })
  const draft: Submission = { id: newId("sub", now), identity: e.identity, members, content: e.content, at: now, fingerprint, ...(run ? { run } : {}) }
  const outcome = rankSubmissions({ slots: bounty.slots, submissions: { ...bounty.submissions, [draft.id]: draft } }).get(draft.id)!
  const submission = parseInput(Submission, { ...draft, ...outcome })
  handle.change(d => {
    const b = d.bounties[bountyId]
    if (!b) return
    b.submissions[submission.id] = submission
    if (b.state === "open") b.state = "claimed"
  })
  return submission
}

export interface PaidOut extends Payout {
  key: string
  /** false: this key was already in the ledger (paid before), nothing was added. */
  written: boolean
}

/**
 * Completes a bounty: each member of the winning submission gets winnerReward × its
 * multiplier, each member of the runner-up runnerUpReward × its multiplier (multipliers
 * recomputed from the merged submissions and written back), keys
 * `bounty:<id>:place:<n>:<member>`. The completion is also kept under the operator's name:
 * when two operators complete it offline, the earliest stands on every peer and the other's
 * payouts are void (src/domain/bounties/bounty.ts effectiveCompletion, bountyPayoutVoids).
 */
export async function completeBounty(ctx: OperatorContext, id: string, input: CompletionInput): Promise<{ payouts: PaidOut[] }> {
  const e = parseInput(CompletionInput, input)
  const { handle, bounty } = await bountyRef(ctx.workspace, id)
  if (bounty.state === "completed") throw new OperatorActionError("bounty_completed", { id, by: bounty.completedBy })
  if (!Object.keys(bounty.submissions).length) throw new OperatorActionError("bounty_no_submissions", { id })
  const winnerReward = e.winnerReward ?? bounty.reward
  let plan: Payout[]
  try {
    plan = payoutPlan(bounty, { winner: e.winner, runnerUp: e.runnerUp, winnerReward, runnerUpReward: e.runnerUpReward })
  } catch (error) {
    if (error instanceof BountyRuleError) throw OperatorActionError.from(error)
    throw error
  }
  const ranks = rankSubmissions(bounty)
  const now = ctx.now ?? Date.now()
  const wallets = await openWallets(ctx.workspace)
  const payouts = []
  for (const p of plan) {
    const key = payoutKey(id, p)
    const reason = `bounty ${id}: ${p.place === 1 ? "winner" : "runner-up"}`
    payouts.push({ ...p, key, written: (await grant(wallets, { key, identity: p.member, amount: p.amount, reason, at: now }, ctx.audit.signer)) === "written" })
  }
  handle.change(d => {
    const b = d.bounties[id]
    if (!b) return
    for (const [sid, rank] of ranks) {
      const s = b.submissions[sid]
      if (!s) continue
      if (s.slotIndex !== rank.slotIndex) s.slotIndex = rank.slotIndex
      if (s.multiplier !== rank.multiplier) s.multiplier = rank.multiplier
      if (s.reason !== rank.reason) s.reason = rank.reason
    }
    b.completions ??= {}
    b.completions[ctx.actor.name] = {
      winner: e.winner,
      ...(e.runnerUp !== undefined ? { runnerUp: e.runnerUp } : {}),
      winnerReward,
      runnerUpReward: e.runnerUpReward,
      by: ctx.actor.name,
      at: now,
    }
    b.state = "completed"
    b.winner = e.winner
    if (e.runnerUp !== undefined) b.runnerUp = e.runnerUp
    b.winnerReward = winnerReward
    b.runnerUpReward = e.runnerUpReward
    b.completedBy = ctx.actor.name
    b.completedAt = now
  })
  await ctx.audit.append("payout", id, {
    bounty: "completed",
    winner: e.winner,
    ...(e.runnerUp !== undefined ? { runnerUp: e.runnerUp } : {}),
    payouts: payouts.map(p => ({ key: p.key, member: p.member, amount: p.amount, written: p.written })),
  })
  return { payouts }
}

/** Deletes a bounty nobody has submitted to yet (only while open). */
export async function deleteBounty(ctx: OperatorContext, id: string): Promise<void> {
  const { handle, bounty } = await bountyRef(ctx.workspace, id)
  if (bounty.state !== "open") throw new OperatorActionError("bounty_not_open", { id, state: bounty.state })
  handle.change(d => {
    delete d.bounties[id]
  })
  await ctx.audit.append("social", id, { bounty: "deleted", title: bounty.title })
}

/**
 * Asks a resident to work on a bounty: a task for that resident, linked to the bounty. The
 * worker playing the resident enters its answer as the resident's submission
 * (worker/residentContext.ts), under the usual slot and duplicate rules.
 */
export async function askResidentForBounty(ctx: OperatorContext, bountyId: string, identity: string): Promise<Task> {
  const { bounty } = await bountyRef(ctx.workspace, bountyId)
  if (bounty.state === "completed") throw new OperatorActionError("bounty_completed", { id: bountyId })
  const resident = (await residents(ctx.workspace)).get(identity)
  if (!resident) throw new OperatorActionError("not_found", { thing: "resident", id: identity })
  return await addTask(ctx, bountyTaskInput(bounty, resident))
}
