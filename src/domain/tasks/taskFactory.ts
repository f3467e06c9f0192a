/** Turning an operator's request into a task with the runtime-contract defaults. */
import { newId } from "../../core/ids.ts"
import type { Actor, RuntimeControls, Task } from "../../../schemas/index.ts"
import type { NewTaskInput } from "./inputs.ts"

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
  if (input.facet !== undefined) task.facet = input.facet
  task.room = input.room ?? "town_hall"
  return task
}
