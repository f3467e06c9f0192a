/**
 * What residents think with: the facets a plan's steps and a dispute's mediation take, the
 * hats they wear, and the plan an LLM proposes for a compound request (validated before
 * anything is queued).
 */
import { z } from "zod"
import { SchemaVersion } from "./common.ts"

/** What a plan step is about; each facet has a hat (src/domain/hats). */
export const PlanFacet = z.enum(["strategy", "build", "review", "document"])
export type PlanFacet = z.infer<typeof PlanFacet>
export const PLAN_FACETS = PlanFacet.options

/**
 * What a task is about, which picks the hat its run wears: a plan step's facet, or mediation
 * (a dispute's mediator, src/domain/disputes: the Hat of Objectivity's facet alone).
 */
export const Facet = z.enum([...PLAN_FACETS, "mediation"])
export type Facet = z.infer<typeof Facet>

/** Most steps a plan may hold. */
export const MAX_PLAN_STEPS = 12

/** One step of a proposed plan: `dependsOn` names earlier steps by their index. */
export const PlanStepDraft = z.strictObject({
  title: z.string().trim().min(3).max(200),
  prompt: z.string().trim().min(8).max(4_000),
  facet: PlanFacet,
  dependsOn: z.array(z.number().int().nonnegative()).max(MAX_PLAN_STEPS).default([]),
  /** Share of the parent's budget, 0 < share ≤ 1; absent shares split what the others leave. */
  budgetShare: z.number().positive().max(1).optional(),
})
export type PlanStepDraft = z.infer<typeof PlanStepDraft>

/** The JSON an LLM is asked to return when it plans a request. */
export const PlanReply = z.strictObject({
  goal: z.string().trim().min(3).max(500),
  steps: z.array(PlanStepDraft).min(2).max(MAX_PLAN_STEPS),
})
export type PlanReply = z.infer<typeof PlanReply>

/** A prompt overlay a step wears; a hat never changes who the resident is. */
export const Hat = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/),
  name: z.string().trim().min(2).max(60),
  description: z.string().trim().min(3).max(300),
  prompt: z.string().trim().min(3).max(2_000),
  /** The facet this hat is worn for by default, if any. */
  facet: Facet.optional(),
})
export type Hat = z.infer<typeof Hat>

/** A hat an operator added, or a default hat an operator edited (it then replaces the default). */
export const HatRecord = Hat.extend({
  editedBy: z.string().min(1).max(80),
  editedAt: z.number().int().nonnegative(),
})
export type HatRecord = z.infer<typeof HatRecord>

/** A parameter a skill's template takes: `{{name}}` in the template. */
export const SkillParam = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, "a parameter name is lowercase letters, digits and _"),
  type: z.enum(["string", "number"]),
  description: z.string().max(200),
})
export type SkillParam = z.infer<typeof SkillParam>

/** How a skill has done, counted by the relay from approved results only. */
export const SkillMetrics = z.object({
  uses: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  /** Sums over the counted runs: average = sum / uses. */
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().int().nonnegative(),
  lastUsedAt: z.number().int().nonnegative().optional(),
  /** Tasks already counted (the newest 200), so a task is counted once. */
  counted: z.array(z.string().max(120)).max(200),
})
export type SkillMetrics = z.infer<typeof SkillMetrics>

export const SkillState = z.enum(["proposed", "approved", "retired"])
export type SkillState = z.infer<typeof SkillState>

export const SKILL_NAME = /^[a-z][a-z0-9-]{2,40}$/

/**
 * A way of doing one kind of task that worked: a prompt template with typed parameters and
 * the tasks it came from. Proposed by the relay when a pattern keeps succeeding (or written
 * by an operator); used only once an operator approves it.
 */
export const Skill = z.object({
  id: z.string().regex(/^skill-[a-z0-9-]{3,60}$/),
  name: z.string().regex(SKILL_NAME, "a skill name is 3-41 lowercase letters, digits or -"),
  description: z.string().min(3).max(300),
  template: z.string().min(3).max(4_000),
  params: z.array(SkillParam).max(10),
  preconditions: z.array(z.string().max(200)).max(10),
  fromTasks: z.array(z.string().max(120)).max(50),
  state: SkillState,
  proposedBy: z.string().min(1).max(80),
  proposedAt: z.number().int().nonnegative(),
  decidedBy: z.string().min(1).max(80).optional(),
  decidedAt: z.number().int().nonnegative().optional(),
  metrics: SkillMetrics,
  /** How a proposal's words were written: the model's draft applied, or why the pattern's stand. */
  draftNote: z.string().max(300).optional(),
})
export type Skill = z.infer<typeof Skill>

/** The JSON a model is asked to return when it writes a proposed skill from the tasks it came from. */
export const SkillDraftReply = z.strictObject({
  description: z.string().trim().min(3).max(300),
  template: z.string().trim().min(3).max(4_000),
  params: z.array(SkillParam.extend({ description: z.string().max(200).default("") })).max(10).default([]),
})
export type SkillDraftReply = z.infer<typeof SkillDraftReply>

/** How a task was routed to a skill (or to none), recorded on the task by the worker that ran it. */
export const SkillRoute = z.strictObject({
  kind: z.enum(["exact", "similar", "llm", "none"]),
  skill: z.string().max(80).optional(),
  confidence: z.number().min(0).max(1),
  /** Why, in words (a model's unusable choice, the similarity found). */
  note: z.string().max(300).optional(),
})
export type SkillRoute = z.infer<typeof SkillRoute>

/** The JSON a model is asked to return when it picks a skill among candidates. */
export const SkillChoiceReply = z.strictObject({
  skill: z.string().max(80).nullable(),
  confidence: z.number().min(0).max(1),
  params: z.record(z.string().max(40), z.union([z.string().max(500), z.number()])).default({}),
})
export type SkillChoiceReply = z.infer<typeof SkillChoiceReply>

/**
 * The workspace's skills, keyed by id, and the hats operators added or edited, keyed by id
 * (the default hats are code; `hats` holds only what operators wrote). `hats` is made with
 * the document, or by the relay for a document made before hats were editable.
 */
export const SkillsDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("skills"),
  skills: z.record(z.string(), Skill),
  hats: z.record(z.string(), HatRecord).optional(),
})
export type SkillsDoc = z.infer<typeof SkillsDoc>
