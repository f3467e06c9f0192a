/** Turning an operator's request into a task with the runtime-contract defaults. */
import { z } from "zod"
import { newId } from "../../core/ids.ts"
import { Id, LIMITS, ModelChoice, Priority, TaskMode, TaskLink, Usd, type Actor, type RuntimeControls, type Task } from "../../../schemas/index.ts"

/** What a peer may ask for when it adds a task; everything else gets a default. */
export const NewTaskInput = z
  .object({
    title: z.string().min(1).max(LIMITS.title).optional(),
    prompt: z.string().min(1).max(LIMITS.prompt).optional(),
    command: z.string().min(1).max(LIMITS.command).optional(),
    mode: TaskMode.optional(),
    model: ModelChoice.optional(),
    minBudgetUsd: Usd.optional(),
    maxBudgetUsd: Usd.optional(),
    priority: Priority.optional(),
    dependsOn: z.array(Id).max(100).optional(),
    targetIdentity: Id.optional(),
    link: TaskLink.optional(),
    room: Id.optional(),
    bonus: z.object({ id: Id, tokens: z.number().int().min(1).max(1_000) }).optional(),
  })
  .strict()
  .refine(t => !!t.prompt !== !!t.command, { message: "give exactly one of prompt or command" })
  .refine(t => !t.mode || (t.mode === "llm" ? !!t.prompt : !!t.command), { message: "an llm task needs a prompt and a local task a command" })
export type NewTaskInput = z.infer<typeof NewTaskInput>

/** `task-<time base36>-<4 hex>`: sortable by creation and unique across offline peers. */
export function newTaskId(now: number, random: () => number = Math.random): string {
  return newId("task", now, random)
}

export function buildTask(input: NewTaskInput, controls: RuntimeControls, by: Actor, now: number, id: string): Task {
  const mode = input.mode ?? (input.command ? "local" : "llm")
  const maxBudgetUsd = input.maxBudgetUsd ?? controls.defaultMaxBudgetUsd
  // As in the runtime contract: a minimum above the maximum is lowered to it.
  const minBudgetUsd = Math.min(input.minBudgetUsd ?? controls.defaultMinBudgetUsd, maxBudgetUsd)
  const text = input.prompt ?? input.command ?? ""
  const task: Task = {
    id,
    title: input.title ?? (text.length > 80 ? `${text.slice(0, 77)}...` : text),
    mode,
    model: input.model ?? (mode === "local" ? "auto" : controls.defaultModel),
    minBudgetUsd,
    maxBudgetUsd,
    priority: input.priority ?? 0,
    dependsOn: [...new Set(input.dependsOn ?? [])],
    status: "queued",
    attempts: 0,
    errors: 0,
    executions: [],
    createdBy: by.name,
    createdAt: now,
    updatedAt: now,
    history: [],
  }
  if (input.prompt !== undefined) task.prompt = input.prompt
  if (input.command !== undefined) task.command = input.command
  if (input.targetIdentity !== undefined) task.targetIdentity = input.targetIdentity
  if (input.link !== undefined) task.link = input.link
  if (input.bonus !== undefined) task.bonus = input.bonus
  task.room = input.room ?? "town_hall"
  return task
}
