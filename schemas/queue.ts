import { z } from "zod"
import { Actor, DocUrl, Id, LIMITS, PeerName, SchemaVersion, SignatureHex, storedString, Timestamp, Usd } from "./common.ts"
import { ModelChoice } from "./root.ts"
import { Facet, MAX_PLAN_STEPS, PlanFacet, SkillRoute } from "./cognition.ts"

export const TASK_STATUSES = [
  "queued",
  "claimed",
  "running",
  "pending_review",
  "approved",
  "requeued",
  "failed",
  "cancelled",
  "blocked",
] as const
export const TaskStatus = z.enum(TASK_STATUSES)
export type TaskStatus = z.infer<typeof TaskStatus>

export const TaskMode = z.enum(["llm", "local"])
export type TaskMode = z.infer<typeof TaskMode>

export const BlockReasonKind = z.enum(["dependency", "kill_switch", "no_key"])
export type BlockReasonKind = z.infer<typeof BlockReasonKind>

/** A task's priority: higher runs first. Forms, CLI flags and inputs read the range from here. */
export const PRIORITY_RANGE = { min: -100, max: 100 } as const
export const PRIORITY_RULE = `priority must be a whole number from ${PRIORITY_RANGE.min} to ${PRIORITY_RANGE.max}`
export const Priority = z.number({ error: PRIORITY_RULE }).int(PRIORITY_RULE).min(PRIORITY_RANGE.min, PRIORITY_RULE).max(PRIORITY_RANGE.max, PRIORITY_RULE)

/**
 * What a task is attached to (quests and bounties live in their own documents; a `message`
 * is a room message a resident answers, in the task's `room`; `mail` a human's mailbox
 * message it answers; `skill` a proposed skill whose words a model drafts).
 */
export const TaskLink = z.object({ kind: z.enum(["quest", "bounty", "message", "mail", "skill", "loop"]), id: Id })

/**
 * The lease a worker holds while it runs a task. Only the relay grants leases, to online
 * workers with free slots (docs/RUNTIME_CONTRACT.md). The holder renews it by ephemeral beats
 * (schemas/ephemeral.ts `WorkerBeat`), never by writing here: the queue keeps the grant, who
 * holds it and its end, and the relay decides expiry by its own clock from the last renewal.
 */
export const Lease = z.object({
  leaseId: Id,
  holder: PeerName,
  grantedAt: Timestamp,
  /** The lease's end if never renewed (grant + lease time); the relay's clock decides the real one. */
  expiresAt: Timestamp,
  /**
   * Written 0 at the grant and left there by current workers. Workers from before beats
   * bumped it to renew; the relay still counts a move of it as a renewal.
   */
  renewals: z.number().int().nonnegative(),
})
export type Lease = z.infer<typeof Lease>

export const TokenUsage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
})

/** Calls recorded on one task at most: a worker makes no further call on a task whose record is full. */
export const MAX_TASK_CALLS = 1_000

/**
 * One LLM call attempt (retries included) and what the API billed for it, by the token
 * counts it returned. Spend is the sum of these (src/domain/tasks/spend.ts), whether the attempt
 * failed, was retried, or ran under a lease that later expired.
 */
export const LlmCall = z.object({
  model: z.string().max(LIMITS.name),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  costUsd: Usd,
  at: Timestamp,
  ok: z.boolean(),
  leaseId: Id,
  worker: PeerName,
})
export type LlmCall = z.infer<typeof LlmCall>

export const TaskResult = z.object({
  output: storedString(z.string().max(LIMITS.result)),
  /** The exact resident context the model was given with the prompt (never a secret), so a reader sees why it answered so. */
  context: storedString(z.string().max(LIMITS.context)).optional(),
  exitCode: z.number().int().optional(),
  model: z.string().max(LIMITS.name),
  usage: TokenUsage.optional(),
  costUsd: Usd,
  leaseId: Id,
  worker: PeerName,
  startedAt: Timestamp,
  finishedAt: Timestamp,
  /** The hat the run wore (src/domain/hats), by id: a plan step's facet picks it. */
  hat: z.string().max(40).optional(),
})
export type TaskResult = z.infer<typeof TaskResult>

export const Verdict = z.enum(["approve", "minor_issues", "reject"])
export const TaskReview = z.object({
  verdict: Verdict,
  confidence: z.number().min(0).max(1),
  issues: z.array(storedString(z.string().max(LIMITS.reason))).max(50),
  needsHuman: z.boolean(),
  reviewer: PeerName,
  at: Timestamp,
  /** Set by the operator who decided a pending review. */
  decidedBy: PeerName.optional(),
  tip: z.number().int().nonnegative().max(1_000).optional(),
  feedback: storedString(z.string().max(LIMITS.message)).optional(),
  /** When the operator decided; signed with the decision. */
  decidedAt: Timestamp.optional(),
  /**
   * The deciding operator's signature over the decision (src/core/signedRecords.ts). Readers
   * treat a decision without a valid one as not made: the task stays pending_review.
   */
  decisionSig: SignatureHex.optional(),
})
export type TaskReview = z.infer<typeof TaskReview>

/** One line of a task's history: every transition, by whom and why. */
export const TaskEvent = z.object({
  at: Timestamp,
  from: TaskStatus,
  to: TaskStatus,
  by: Actor,
  reason: storedString(z.string().max(LIMITS.reason)).optional(),
  /**
   * The lease the transition was made under: the relay names the lease it grants or expires,
   * a worker the lease it holds. Work under a lease the relay expired is stale
   * (src/domain/tasks/taskMerge.ts).
   */
  leaseId: Id.optional(),
})
export type TaskEvent = z.infer<typeof TaskEvent>

/** A run of a task under a lease; two entries with different leases reveal a duplicate run. */
export const ExecutionRecord = z.object({
  leaseId: Id,
  worker: PeerName,
  startedAt: Timestamp,
  finishedAt: Timestamp.optional(),
  /** Written only by the worker that ran it. */
  outcome: z.enum(["ok", "error", "cancelled"]).optional(),
  /** Written only by the relay, when it expired this run's lease (so the two never conflict). */
  expiredAt: Timestamp.optional(),
})
export type ExecutionRecord = z.infer<typeof ExecutionRecord>

/** A plan step's key: stable while steps are edited and reordered; its subtask's id is `<parent id>.<key>`. */
export const PlanStepKey = z.string().regex(/^s[0-9]{1,3}$/, "a step key is s followed by a number")

/** One step of a plan as the operator reviews it; it becomes a subtask when the plan is approved. */
export const PlanStep = z.object({
  key: PlanStepKey,
  title: storedString(z.string().min(1).max(LIMITS.title)),
  prompt: storedString(z.string().min(1).max(LIMITS.prompt)),
  facet: PlanFacet,
  /** Earlier steps this one waits for, by key. */
  dependsOn: z.array(PlanStepKey).max(MAX_PLAN_STEPS),
  /** This step's part of the parent's maximum budget. */
  budgetUsd: Usd,
})
export type PlanStep = z.infer<typeof PlanStep>

/** drafting: a worker with a model key is to cut the request (its steps meanwhile are the splitter's). */
export const PlanState = z.enum(["drafting", "proposed", "approved", "rejected"])
export type PlanState = z.infer<typeof PlanState>

/**
 * A compound request cut into steps (src/domain/plans). Kept on the parent task: nothing runs
 * while it is proposed; an operator edits, reorders, drops steps and approves it, which queues
 * one subtask per step; the parent then waits for them and its result is assembled from theirs.
 */
export const TaskPlan = z.object({
  state: PlanState,
  goal: storedString(z.string().min(1).max(LIMITS.reason)),
  /** Who cut the request: the model, or the deterministic splitter (planning needs no key). */
  source: z.enum(["llm", "splitter"]),
  /** Why the model's plan was not used, when it was not. */
  note: storedString(z.string().max(LIMITS.reason)).optional(),
  steps: z.array(PlanStep).min(1).max(MAX_PLAN_STEPS),
  decidedBy: PeerName.optional(),
  decidedAt: Timestamp.optional(),
})
export type TaskPlan = z.infer<typeof TaskPlan>

export const Task = z
  .object({
    id: Id,
    title: storedString(z.string().min(1).max(LIMITS.title)),
    mode: TaskMode,
    prompt: storedString(z.string().max(LIMITS.prompt)).optional(),
    command: storedString(z.string().max(LIMITS.command)).optional(),
    model: ModelChoice,
    minBudgetUsd: Usd,
    maxBudgetUsd: Usd,
    priority: Priority,
    dependsOn: z.array(Id).max(100),
    targetIdentity: Id.optional(),
    link: TaskLink.optional(),
    room: Id.optional(),
    /** A one-time bonus: paid on approval to the task's resident, once per resident per `id`. */
    bonus: z.object({ id: Id, tokens: z.number().int().min(1).max(1_000) }).optional(),
    /** The plan this task is a step of (its parent task's id). */
    parent: Id.optional(),
    /** What a plan step (or a dispute's mediation) is about: it picks the hat the run wears. */
    facet: Facet.optional(),
    /** How the worker that ran it routed it to a skill (or to none). */
    route: SkillRoute.optional(),
    /** Set on a task made from a compound request: the plan its subtasks come from. */
    plan: TaskPlan.optional(),
    status: TaskStatus,
    blocked: z.object({ kind: BlockReasonKind, reason: storedString(z.string().max(LIMITS.reason)) }).optional(),
    /** Review rejections so far; at 3 the task fails. */
    attempts: z.number().int().nonnegative(),
    /** Execution errors so far (retried with backoff up to a limit). */
    errors: z.number().int().nonnegative(),
    /** Not claimable before this time (backoff after an execution error). */
    notBefore: Timestamp.optional(),
    lease: Lease.optional(),
    executions: z.array(ExecutionRecord).max(100),
    duplicateRun: z.boolean().optional(),
    result: TaskResult.optional(),
    /** Every LLM call made for this task, appended by the worker that made it. */
    calls: z.array(LlmCall).max(MAX_TASK_CALLS).optional(),
    review: TaskReview.optional(),
    lastError: storedString(z.string().max(LIMITS.reason)).optional(),
    createdBy: PeerName,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    history: z.array(TaskEvent).max(500),
  })
  .refine(t => (t.mode === "llm" ? !!t.prompt : !!t.command), {
    message: "an llm task needs a prompt and a local task needs a command",
    path: ["mode"],
  })
  .refine(t => t.minBudgetUsd <= t.maxBudgetUsd, { message: "minBudgetUsd exceeds maxBudgetUsd", path: ["minBudgetUsd"] })
export type Task = z.infer<typeof Task>

/** The live queue: open tasks and recently finished ones. Keyed by task id so edits to different tasks merge. */
export const QueueDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("queue"),
  tasks: z.record(Id, Task),
  /** Spend of the tasks moved to archives, added by the relay in the change that removes them here. */
  archivedSpendUsd: Usd.optional(),
  /**
   * Queue generations (src/domain/tasks/queueGenerations.ts): the relay starts a fresh queue
   * document when this one's history outweighs its live tasks. Counted from 0; absent: 0.
   */
  generation: z.number().int().nonnegative().optional(),
  /** Set in a closed generation: the queue that holds its tasks now. */
  movedTo: DocUrl.optional(),
  /** A closed generation's heads up to which the relay has carried late changes forward. */
  forwarded: z.array(z.string().max(128)).max(1_000).optional(),
})
export type QueueDoc = z.infer<typeof QueueDoc>

/** Finished tasks of one month, moved out of the live queue by the relay. */
export const ArchiveDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("archive"),
  period: z.string().regex(/^\d{4}-\d{2}$/),
  tasks: z.record(Id, Task),
})
export type ArchiveDoc = z.infer<typeof ArchiveDoc>
