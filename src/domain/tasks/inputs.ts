/**
 * What a person or a peer asks for when adding or editing a task, as zod inputs. The CLI's
 * `task add` flags, the PWA's task forms and the actions are built from these, so a field's
 * rule, its limits and its message are written once (the priority range is the queue
 * schema's).
 */
import { z } from "zod"
import { Facet, Id, LIMITS, ModelChoice, Priority, TaskLink, TaskMode, Usd, type Task } from "../../../schemas/index.ts"

/** The budget a person sets on a task, in USD: the CLI's flags and the forms' fields. */
export const BUDGET_RANGE = { min: 0, max: 1000 } as const
export const BUDGET_RULE = `budgets are USD amounts of ${BUDGET_RANGE.min} or more, at most ${BUDGET_RANGE.max}`
/** Said when a budget is missing or not a number. */
export const BUDGET_EXAMPLE = "expected a USD amount such as 0.10"
export const Budget = z.number({ error: BUDGET_EXAMPLE }).min(BUDGET_RANGE.min, BUDGET_RULE).max(BUDGET_RANGE.max, BUDGET_RULE)

/** A one-time bonus on a task, in tokens, paid to its resident on approval. */
export const BONUS_RANGE = { min: 1, max: 1_000 } as const

/** The fields a task is added and edited with. */
export const TaskFields = {
  title: z.string().min(1, "the title is empty").max(LIMITS.title),
  prompt: z.string().min(1, "prompt is empty").max(LIMITS.prompt),
  command: z.string().min(1, "command is empty").max(LIMITS.command),
  model: ModelChoice,
  minBudgetUsd: Usd,
  maxBudgetUsd: Usd,
  priority: Priority,
  dependsOn: z.array(Id).max(100),
}

/** What a peer may ask for when it adds a task; everything else gets a default. */
export const NewTaskInput = z
  .object({
    title: TaskFields.title.optional(),
    prompt: TaskFields.prompt.optional(),
    command: TaskFields.command.optional(),
    mode: TaskMode.optional(),
    model: TaskFields.model.optional(),
    minBudgetUsd: TaskFields.minBudgetUsd.optional(),
    maxBudgetUsd: TaskFields.maxBudgetUsd.optional(),
    priority: TaskFields.priority.optional(),
    dependsOn: TaskFields.dependsOn.optional(),
    targetIdentity: Id.optional(),
    link: TaskLink.optional(),
    room: Id.optional(),
    bonus: z.object({ id: Id, tokens: z.number().int().min(BONUS_RANGE.min).max(BONUS_RANGE.max) }).optional(),
    /** The facet whose hat the run wears (a dispute's mediation task wears the Hat of Objectivity). */
    facet: Facet.optional(),
  })
  .strict()
  .refine(t => !!t.prompt !== !!t.command, { message: "give exactly one of prompt or command" })
  .refine(t => !t.mode || (t.mode === "llm" ? !!t.prompt : !!t.command), { message: "an llm task needs a prompt and a local task a command" })
export type NewTaskInput = z.infer<typeof NewTaskInput>

/** Fields an operator may change on a task that no worker holds yet. */
export const TaskEdit = z
  .object({ ...TaskFields, targetIdentity: Id.nullable() })
  .partial()
  .strict()
export type TaskEdit = z.infer<typeof TaskEdit>

/** The edit that puts back what `edit` changed on `before` (an edit's undo). */
export function revertingEdit(before: Task, edit: TaskEdit): TaskEdit {
  const back: TaskEdit = {}
  for (const key of ["title", "prompt", "command", "model", "minBudgetUsd", "maxBudgetUsd", "priority"] as const)
    if (edit[key] !== undefined && before[key] !== undefined) (back as Record<string, unknown>)[key] = before[key]
  if (edit.dependsOn !== undefined) back.dependsOn = [...before.dependsOn]
  if (edit.targetIdentity !== undefined) back.targetIdentity = before.targetIdentity ?? null
  return back
}

/** A budget typed by a person stays within BUDGET_RANGE (a quest's task may cost more). */
const personBudgets = { minBudgetUsd: Budget.optional(), maxBudgetUsd: Budget.optional() }

/** A task added by a person: the PWA's task form (the CLI's `task add` flags map onto it). */
export const TaskRequest = NewTaskInput.safeExtend(personBudgets).refine(t => !t.bonus || t.targetIdentity, {
  message: "a one-time bonus goes to the task's resident: choose one",
  path: ["bonus"],
})
/** A task edited by a person: the PWA's edit form. */
export const TaskEditRequest = TaskEdit.extend(personBudgets)

/** The tip an operator adds to an approval, in tokens. */
export const TIP_RANGE = { min: 0, max: 1000 } as const
export const TIP_RULE = `tip must be a whole number of tokens from ${TIP_RANGE.min} to ${TIP_RANGE.max}`
export const Tip = z.number({ error: TIP_RULE }).int(TIP_RULE).min(TIP_RANGE.min, TIP_RULE).max(TIP_RANGE.max, TIP_RULE)

/** A decision on a task: approve takes a tip and feedback for the resident. */
export const DecisionInput = z.object({
  tip: Tip.optional(),
  feedback: z.string().min(1).max(LIMITS.message).optional(),
  reason: z.string().min(1).max(LIMITS.reason).optional(),
})
export type DecisionInput = z.infer<typeof DecisionInput>
