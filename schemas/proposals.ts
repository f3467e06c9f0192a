/**
 * Proposed changes to what the workspace owns, and the improvement loops that make them: a
 * proposal names its target, the value before and after, a reason, a risk and a rollback plan;
 * it applies only with enough operators' approvals and records a checkpoint (the target
 * document's heads just before) that a rollback returns to. A loop asks a resident to improve
 * one target again and again, stopping at each checkpoint until an operator lets it go on.
 */
import { z } from "zod"
import { Actor, Id, PeerName, SchemaVersion, storedString, Timestamp } from "./common.ts"
import { MUTABLE_ATTRIBUTES } from "./social.ts"

/** The runtime controls a proposal may change (the kill switch is never one: people flip it directly). */
export const CONFIG_FIELDS = ["spendCapUsd", "defaultMinBudgetUsd", "defaultMaxBudgetUsd", "defaultModel", "reviewEverything"] as const

/**
 * What a proposal may change, by id: a hat's or a skill's words, a resident's bio or one of its
 * mutable attributes, a room's topic, or a runtime control (written as text: "0.5", "true").
 */
export const ProposalTarget = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("hat"), id: z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/), field: z.enum(["prompt", "description"]) }),
  z.strictObject({ kind: z.literal("skill"), id: Id, field: z.enum(["template", "description"]) }),
  z.strictObject({ kind: z.literal("resident"), id: Id, field: z.enum(["bio", ...MUTABLE_ATTRIBUTES]) }),
  z.strictObject({ kind: z.literal("room"), id: Id, field: z.literal("topic") }),
  z.strictObject({ kind: z.literal("config"), id: z.literal("controls"), field: z.enum(CONFIG_FIELDS) }),
])
export type ProposalTarget = z.infer<typeof ProposalTarget>

export const ProposalRisk = z.enum(["low", "medium", "high"])
export type ProposalRisk = z.infer<typeof ProposalRisk>
export const PROPOSAL_RISKS = ProposalRisk.options

export const ProposalState = z.enum(["proposed", "applied", "rejected", "rolled_back"])
export type ProposalState = z.infer<typeof ProposalState>

/** One operator's yes, written by that operator. */
export const ProposalApproval = z.strictObject({ by: PeerName, at: Timestamp })
export type ProposalApproval = z.infer<typeof ProposalApproval>

/** Where an applied proposal can be rolled back to: the target document's heads just before it applied. */
export const ProposalCheckpoint = z.strictObject({ heads: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1).max(64), at: Timestamp })
export type ProposalCheckpoint = z.infer<typeof ProposalCheckpoint>

export const Proposal = z.strictObject({
  id: Id,
  target: ProposalTarget,
  before: storedString(z.string().max(4_000)),
  after: storedString(z.string().trim().min(1).max(4_000)),
  reason: storedString(z.string().trim().min(3).max(1_000)),
  risk: ProposalRisk,
  rollbackPlan: storedString(z.string().trim().min(3).max(1_000)),
  proposedBy: Actor,
  proposedAt: Timestamp,
  state: ProposalState,
  approvals: z.array(ProposalApproval).max(8),
  checkpoint: ProposalCheckpoint.optional(),
  appliedBy: PeerName.optional(),
  appliedAt: Timestamp.optional(),
  rejectedBy: PeerName.optional(),
  rejectedAt: Timestamp.optional(),
  rejectReason: z.string().max(500).optional(),
  rolledBackBy: PeerName.optional(),
  rolledBackAt: Timestamp.optional(),
  /** The loop and its iteration that made this proposal, if one did. */
  loop: z.strictObject({ id: Id, iteration: z.number().int().positive() }).optional(),
  /** The task whose answer is the proposed value, if a resident wrote it. */
  taskId: Id.optional(),
})
export type Proposal = z.infer<typeof Proposal>

export const LoopState = z.enum(["running", "at_checkpoint", "done", "stopped"])
export type LoopState = z.infer<typeof LoopState>

/** A resident improving one target, one proposal per iteration, within a budget. */
export const ImprovementLoop = z.strictObject({
  id: Id,
  target: ProposalTarget,
  goal: storedString(z.string().trim().min(3).max(1_000)),
  /** The resident who writes each iteration (its tasks are aimed at it), if one is named. */
  resident: Id.optional(),
  risk: ProposalRisk,
  maxIterations: z.number().int().min(1).max(50),
  budgetUsd: z.number().positive().max(100),
  /** Iterations begun; each has one task and at most one proposal. */
  iterations: z.number().int().nonnegative(),
  spentUsd: z.number().nonnegative(),
  state: LoopState,
  stopReason: z.string().max(500).optional(),
  createdBy: PeerName,
  createdAt: Timestamp,
  /** Who last let it go on past a checkpoint, and when. */
  resumedBy: PeerName.optional(),
  resumedAt: Timestamp.optional(),
})
export type ImprovementLoop = z.infer<typeof ImprovementLoop>

export const ProposalsDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("proposals"),
  proposals: z.record(z.string(), Proposal),
  loops: z.record(z.string(), ImprovementLoop),
})
export type ProposalsDoc = z.infer<typeof ProposalsDoc>
