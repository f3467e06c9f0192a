/**
 * What an operator does with proposals and loops, each written to the proposals document and
 * the operator's signed audit log: propose a change, approve it (the approval that makes
 * enough applies it, with a checkpoint), reject it, roll an applied one back to its checkpoint;
 * start a loop, let it go on from a checkpoint, stop it. Each validates first and throws
 * OperatorActionError with nothing written.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { ImprovementLoop, Proposal, ProposalsDoc } from "../../../schemas/index.ts"
import { newId } from "../../core/ids.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readLoops, readProposals } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import { LoopInput, ProposalInput, RejectInput, StopInput } from "./inputs.ts"
import { approvalsSuffice } from "./rules.ts"
import { checkTargetValue, currentTarget, targetAt, writeTarget } from "./targets.ts"

export async function openProposals(workspace: Workspace): Promise<DocHandle<ProposalsDoc>> {
  const url = workspace.root.docs.proposals
  if (!url) throw new OperatorActionError("proposals_missing")
  return workspace.repo.find<ProposalsDoc>(url as AutomergeUrl)
}

/** The proposals and loops as this peer can read them (an invalid one is left out and reported). */
export async function proposalsOf(workspace: Workspace): Promise<{ proposals: Map<string, Proposal>; loops: Map<string, ImprovementLoop> }> {
  const handle = await openProposals(workspace)
  const label = `proposals ${handle.url}`
  return { proposals: readProposals(handle.doc(), label, []), loops: readLoops(handle.doc(), label, []) }
}

/** A proposal to put into the document: its long words as single values. */
export function storedProposal(p: Proposal): Proposal {
  return { ...p, before: storedValue(p.before), after: storedValue(p.after), reason: storedValue(p.reason), rollbackPlan: storedValue(p.rollbackPlan), approvals: [...p.approvals] }
}

async function proposal(ctx: OperatorContext, id: string): Promise<[DocHandle<ProposalsDoc>, Proposal]> {
  const handle = await openProposals(ctx.workspace)
  const found = readProposals(handle.doc(), `proposals ${handle.url}`, []).get(id)
  if (!found) throw new OperatorActionError("proposal_not_found", { id })
  return [handle, found]
}

export async function propose(ctx: OperatorContext, input: ProposalInput): Promise<Proposal> {
  const parsed = parseInput(ProposalInput, input)
  const handle = await openProposals(ctx.workspace)
  checkTargetValue(parsed.target, parsed.after)
  const { value } = await currentTarget(ctx, parsed.target)
  const now = ctx.now ?? Date.now()
  const p: Proposal = { id: newId("prop", now), ...parsed, before: value, proposedBy: ctx.actor, proposedAt: now, state: "proposed", approvals: [] }
  handle.change(d => {
    d.proposals[p.id] = storedProposal(p)
  })
  await ctx.audit.append("proposal", p.id, { action: "proposed", target: p.target, risk: p.risk })
  return p
}

/**
 * Adds this operator's approval. When the approvals suffice (one operator, two for high risk)
 * it applies at once: the target must still hold the words it was proposed against; the
 * skills document's heads before the write become the checkpoint.
 */
export async function approveProposal(ctx: OperatorContext, id: string): Promise<Proposal> {
  const [handle, p] = await proposal(ctx, id)
  if (p.state !== "proposed") throw new OperatorActionError("proposal_decided", { id, state: p.state })
  const me = ctx.actor.name
  if (p.approvals.some(a => a.by === me)) throw new OperatorActionError("proposal_approved_twice", { id })
  const now = ctx.now ?? Date.now()
  const next: Proposal = { ...p, approvals: [...p.approvals, { by: me, at: now }] }
  if (approvalsSuffice(next)) {
    const { value, heads } = await currentTarget(ctx, p.target)
    if (value !== p.before) throw new OperatorActionError("proposal_stale", { id })
    await writeTarget(ctx, p.target, p.after)
    Object.assign(next, { state: "applied", appliedBy: me, appliedAt: now, checkpoint: { heads, at: now } })
  }
  handle.change(d => {
    const draft = d.proposals[id]!
    draft.approvals.push({ by: me, at: now })
    if (next.state === "applied") Object.assign(draft, { state: next.state, appliedBy: me, appliedAt: now, checkpoint: { heads: [...next.checkpoint!.heads], at: now } })
  })
  await ctx.audit.append("proposal", id, { action: next.state === "applied" ? "applied" : "approved", approvals: next.approvals.length, ...(next.checkpoint ? { checkpoint: next.checkpoint.heads } : {}) })
  return next
}

export async function rejectProposal(ctx: OperatorContext, id: string, input: { reason?: string } = {}): Promise<Proposal> {
  const { reason } = parseInput(RejectInput, input)
  const [handle, p] = await proposal(ctx, id)
  if (p.state !== "proposed") throw new OperatorActionError("proposal_decided", { id, state: p.state })
  const now = ctx.now ?? Date.now()
  const fields = { state: "rejected" as const, rejectedBy: ctx.actor.name, rejectedAt: now, ...(reason ? { rejectReason: reason } : {}) }
  handle.change(d => {
    Object.assign(d.proposals[id]!, fields)
  })
  await ctx.audit.append("proposal", id, { action: "rejected", ...(reason ? { reason } : {}) })
  return { ...p, ...fields }
}

/** Writes back the target's words at the checkpoint, as a new change (history is kept), if nothing changed it since. */
export async function rollbackProposal(ctx: OperatorContext, id: string): Promise<Proposal> {
  const [handle, p] = await proposal(ctx, id)
  if (p.state !== "applied" || !p.checkpoint) throw new OperatorActionError("proposal_not_applied", { id, state: p.state })
  const { value } = await currentTarget(ctx, p.target)
  if (value !== p.after) throw new OperatorActionError("proposal_changed_since", { id })
  const back = await targetAt(ctx, p.target, p.checkpoint.heads)
  if (back === undefined) throw new OperatorActionError("point_not_held", { what: `the target of proposal ${id} at its checkpoint` })
  await writeTarget(ctx, p.target, back)
  const now = ctx.now ?? Date.now()
  const fields = { state: "rolled_back" as const, rolledBackBy: ctx.actor.name, rolledBackAt: now }
  handle.change(d => {
    Object.assign(d.proposals[id]!, fields)
  })
  await ctx.audit.append("proposal", id, { action: "rolled_back", checkpoint: p.checkpoint.heads })
  return { ...p, ...fields }
}

async function loop(ctx: OperatorContext, id: string): Promise<[DocHandle<ProposalsDoc>, ImprovementLoop]> {
  const handle = await openProposals(ctx.workspace)
  const found = readLoops(handle.doc(), `proposals ${handle.url}`, []).get(id)
  if (!found) throw new OperatorActionError("loop_not_found", { id })
  return [handle, found]
}

/** Starts a loop: the relay queues its first iteration's task. */
export async function startLoop(ctx: OperatorContext, input: LoopInput): Promise<ImprovementLoop> {
  const parsed = parseInput(LoopInput, input)
  await currentTarget(ctx, parsed.target)
  const handle = await openProposals(ctx.workspace)
  const now = ctx.now ?? Date.now()
  const { resident, ...rest } = parsed
  const l: ImprovementLoop = { id: newId("loop", now), ...rest, ...(resident ? { resident } : {}), iterations: 0, spentUsd: 0, state: "running", createdBy: ctx.actor.name, createdAt: now }
  handle.change(d => {
    d.loops[l.id] = { ...l, goal: storedValue(l.goal) }
  })
  await ctx.audit.append("loop", l.id, { action: "started", target: l.target, maxIterations: l.maxIterations, budgetUsd: l.budgetUsd })
  return l
}

/** Lets a loop go on from its checkpoint, once its proposal there is decided. */
export async function continueLoop(ctx: OperatorContext, id: string, proposals: ReadonlyMap<string, Proposal>): Promise<ImprovementLoop> {
  const [handle, l] = await loop(ctx, id)
  if (l.state !== "at_checkpoint") throw new OperatorActionError("loop_not_waiting", { id, state: l.state })
  const open = [...proposals.values()].find(p => p.loop?.id === id && p.state === "proposed")
  if (open) throw new OperatorActionError("loop_checkpoint_open", { id, proposal: open.id })
  const now = ctx.now ?? Date.now()
  const fields = { state: "running" as const, resumedBy: ctx.actor.name, resumedAt: now }
  handle.change(d => {
    Object.assign(d.loops[id]!, fields)
  })
  await ctx.audit.append("loop", id, { action: "resumed", iteration: l.iterations })
  return { ...l, ...fields }
}

export async function stopLoop(ctx: OperatorContext, id: string, input: { reason?: string } = {}): Promise<ImprovementLoop> {
  const { reason } = parseInput(StopInput, input)
  const [handle, l] = await loop(ctx, id)
  if (l.state === "done" || l.state === "stopped") throw new OperatorActionError("loop_ended", { id, state: l.state })
  handle.change(d => {
    Object.assign(d.loops[id]!, { state: "stopped", stopReason: reason })
  })
  await ctx.audit.append("loop", id, { action: "stopped", reason })
  return { ...l, state: "stopped", stopReason: reason }
}
