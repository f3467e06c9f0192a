/**
 * `vivarium proposal list|show|create|approve|reject|rollback` and `vivarium loop
 * start|list|continue|stop`: proposed changes to hats and skills, applied only with operators'
 * approval (two for high risk) at a checkpoint a rollback returns to, and the loops that make them.
 */
import { z } from "zod"
import type { ImprovementLoop, Proposal } from "../../schemas/index.ts"
import {
  approvalsNeeded,
  approveProposal,
  continueLoop,
  LoopInput,
  proposalsOf,
  propose,
  ProposalInput,
  rejectProposal,
  rollbackProposal,
  startLoop,
  stopLoop,
  TargetRef,
  targetLabel,
  targetRef,
} from "../../src/domain/proposals/index.ts"
import { OperatorActionError } from "../../src/workspace/actionContext.ts"
import { parseFlags, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

const approvals = (p: Proposal) => `${p.approvals.length}/${approvalsNeeded(p.risk)}`

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("proposal list", argv, OUTPUT_FLAGS, OutputInput)
  const { proposals } = await withPeer(flags, peer => proposalsOf(peer.workspace))
  const all = [...proposals.values()].sort((a, b) => b.proposedAt - a.proposedAt)
  printTable(flags, all, {
    header: `${"ID".padEnd(26)} ${"STATE".padEnd(11)} ${"RISK".padEnd(6)} ${"OK".padEnd(4)} ${"TARGET".padEnd(30)} REASON`,
    row: p => `${p.id.padEnd(26)} ${p.state.padEnd(11)} ${p.risk.padEnd(6)} ${approvals(p).padEnd(4)} ${targetRef(p.target).padEnd(30)} ${oneLine(p.reason, 50)}`,
    empty: "no proposals (vivarium proposal create, or start a loop: vivarium loop start)",
  })
  return 0
}

function describe(p: Proposal): string {
  const block = (text: string, mark: string) => text.split("\n").map(l => `  ${mark} ${l}`)
  return [
    `${p.id}  ${p.state.replace("_", " ")}  ${p.risk} risk  approvals ${approvals(p)}${p.approvals.length ? ` (${p.approvals.map(a => a.by).join(", ")})` : ""}`,
    `target:   ${targetLabel(p.target)}  (${targetRef(p.target)})`,
    `proposed: by ${p.proposedBy.name} at ${formatTime(p.proposedAt)}${p.loop ? `, iteration ${p.loop.iteration} of loop ${p.loop.id}` : ""}${p.taskId ? ` (task ${p.taskId})` : ""}`,
    `reason:   ${p.reason}`,
    `rollback: ${p.rollbackPlan}`,
    ...(p.checkpoint ? [`applied:  by ${p.appliedBy} at ${formatTime(p.appliedAt!)}; checkpoint ${p.checkpoint.heads.map(h => h.slice(0, 12)).join(",")}`] : []),
    ...(p.rejectedBy ? [`rejected: by ${p.rejectedBy} at ${formatTime(p.rejectedAt!)}${p.rejectReason ? `: ${p.rejectReason}` : ""}`] : []),
    ...(p.rolledBackBy ? [`rolled back: by ${p.rolledBackBy} at ${formatTime(p.rolledBackAt!)}`] : []),
    "before:",
    ...block(p.before, "-"),
    "after:",
    ...block(p.after, "+"),
    ...(p.state === "proposed" ? [`decide:   vivarium proposal approve ${p.id} | proposal reject ${p.id} [--reason TEXT]`] : []),
    ...(p.state === "applied" ? [`undo:     vivarium proposal rollback ${p.id}`] : []),
  ].join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("proposal show", argv, ["ID"])
  const flags = parseFlags("proposal show", rest, OUTPUT_FLAGS, OutputInput)
  const { proposals } = await withPeer(flags, peer => proposalsOf(peer.workspace))
  const p = proposals.get(id!)
  if (!p) throw new OperatorActionError("proposal_not_found", { id: id! })
  print(flags, p, describe)
  return 0
}

const CREATE_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("target", "text", "reason", "risk", "rollback-plan") }
const CreateInput = OutputInput.extend({ target: TargetRef, text: ProposalInput.shape.after, reason: ProposalInput.shape.reason, risk: ProposalInput.shape.risk, "rollback-plan": ProposalInput.shape.rollbackPlan })

async function create(argv: string[]): Promise<number> {
  const flags = parseFlags("proposal create", argv, CREATE_FLAGS, CreateInput)
  const p = await actAsOperator(flags, ctx => propose(ctx, { target: flags.target, after: flags.text, reason: flags.reason, risk: flags.risk, rollbackPlan: flags["rollback-plan"] }))
  print(flags, p, x => `proposed ${x.id}: ${targetLabel(x.target)}, ${x.risk} risk; it applies with ${approvalsNeeded(x.risk) === 2 ? "two operators'" : "an operator's"} approval (vivarium proposal approve ${x.id})`)
  return 0
}

function decided(name: string, act: typeof approveProposal | typeof rollbackProposal, say: (p: Proposal) => string) {
  return async (argv: string[]): Promise<number> => {
    const [[id], rest] = takePositionals(`proposal ${name}`, argv, ["ID"])
    const flags = parseFlags(`proposal ${name}`, rest, OUTPUT_FLAGS, OutputInput)
    const p = await actAsOperator(flags, ctx => act(ctx, id!))
    print(flags, p, say)
    return 0
  }
}

const approve = decided("approve", approveProposal, p =>
  p.state === "applied"
    ? `${p.id} applied: ${targetLabel(p.target)} holds the proposed text; checkpoint taken (vivarium proposal rollback ${p.id} returns to it)`
    : `${p.id} approved (${approvals(p)}): it is ${p.risk} risk, and applies when another operator approves it too`,
)
const rollback = decided("rollback", rollbackProposal, p => `${p.id} rolled back: ${targetLabel(p.target)} holds what it held at the checkpoint again`)

const REJECT_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("reason") }
const RejectFlags = OutputInput.extend({ reason: z.string().optional() })

async function reject(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("proposal reject", argv, ["ID"])
  const flags = parseFlags("proposal reject", rest, REJECT_FLAGS, RejectFlags)
  const p = await actAsOperator(flags, ctx => rejectProposal(ctx, id!, flags.reason ? { reason: flags.reason } : {}))
  print(flags, p, x => `${x.id} rejected: nothing changed`)
  return 0
}

export const PROPOSAL_SUBCOMMANDS = { list, show, create, approve, reject, rollback }

// ── loops ────────────────────────────────────────────────────────────────

function loopLine(l: ImprovementLoop): string {
  return `${l.id.padEnd(22)} ${l.state.padEnd(13)} ${`${l.iterations}/${l.maxIterations}`.padEnd(6)} ${`$${l.spentUsd.toFixed(3)}/$${l.budgetUsd}`.padEnd(14)} ${targetRef(l.target).padEnd(28)} ${oneLine(l.stopReason ?? l.goal, 40)}`
}

async function loopList(argv: string[]): Promise<number> {
  const flags = parseFlags("loop list", argv, OUTPUT_FLAGS, OutputInput)
  const { loops } = await withPeer(flags, peer => proposalsOf(peer.workspace))
  printTable(flags, [...loops.values()].sort((a, b) => b.createdAt - a.createdAt), {
    header: `${"ID".padEnd(22)} ${"STATE".padEnd(13)} ${"ITER".padEnd(6)} ${"SPENT".padEnd(14)} ${"TARGET".padEnd(28)} GOAL / WHY IT ENDED`,
    row: loopLine,
    empty: "no loops (vivarium loop start --target hat:ID:prompt --goal TEXT)",
  })
  return 0
}

const START_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("target", "goal", "resident", "risk", "iterations", "budget") }
const StartInput = OutputInput.extend({
  target: TargetRef,
  goal: LoopInput.shape.goal,
  resident: LoopInput.shape.resident,
  risk: LoopInput.shape.risk,
  iterations: LoopInput.shape.maxIterations,
  budget: LoopInput.shape.budgetUsd,
})

async function loopStart(argv: string[]): Promise<number> {
  const flags = parseFlags("loop start", argv, START_FLAGS, StartInput)
  const l = await actAsOperator(flags, ctx =>
    startLoop(ctx, { target: flags.target, goal: flags.goal, risk: flags.risk, maxIterations: flags.iterations, budgetUsd: flags.budget, ...(flags.resident ? { resident: flags.resident } : {}) }),
  )
  print(flags, l, x => `loop ${x.id} started: up to ${x.maxIterations} iteration(s) and $${x.budgetUsd}; it stops at each proposal until you decide it and run 'vivarium loop continue ${x.id}'`)
  return 0
}

async function loopContinue(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("loop continue", argv, ["ID"])
  const flags = parseFlags("loop continue", rest, OUTPUT_FLAGS, OutputInput)
  const l = await actAsOperator(flags, async ctx => continueLoop(ctx, id!, (await proposalsOf(ctx.workspace)).proposals))
  print(flags, l, x => `loop ${x.id} goes on: iteration ${x.iterations + 1} of ${x.maxIterations} is queued next`)
  return 0
}

const STOP_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("reason") }

async function loopStop(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("loop stop", argv, ["ID"])
  const flags = parseFlags("loop stop", rest, STOP_FLAGS, RejectFlags)
  const l = await actAsOperator(flags, ctx => stopLoop(ctx, id!, flags.reason ? { reason: flags.reason } : {}))
  print(flags, l, x => `loop ${x.id} stopped: ${x.stopReason}`)
  return 0
}

export const LOOP_SUBCOMMANDS = { start: loopStart, list: loopList, continue: loopContinue, stop: loopStop }
