/**
 * The strings of a task nobody edits character by character — title, prompt, command, result,
 * reasons, review notes — as they go into a document: one immutable value each
 * (src/workspace/storedValue.ts). Text written by older peers reads the same.
 */
import type { Task, TaskEvent, TaskPlan, TaskResult, TaskReview } from "../../../schemas/index.ts"
import { storedValue as stored } from "../../workspace/storedValue.ts"

/** A history event to push into a task inside a document change. */
export function storedEvent(event: TaskEvent): TaskEvent {
  return event.reason === undefined ? event : { ...event, reason: stored(event.reason) }
}

/** A result to write into a task inside a document change. */
export function storedResult(result: TaskResult): TaskResult {
  return { ...result, output: stored(result.output), ...(result.context !== undefined ? { context: stored(result.context) } : {}) }
}

/** A review to write into a task inside a document change. */
export function storedReview(review: TaskReview): TaskReview {
  const out: TaskReview = { ...review, issues: review.issues.map(stored) }
  if (review.feedback !== undefined) out.feedback = stored(review.feedback)
  return out
}

/** A plan to write into a task inside a document change. */
export function storedPlan(plan: TaskPlan): TaskPlan {
  const out: TaskPlan = { ...plan, goal: stored(plan.goal), steps: plan.steps.map(s => ({ ...s, title: stored(s.title), prompt: stored(s.prompt), dependsOn: [...s.dependsOn] })) }
  if (plan.note !== undefined) out.note = stored(plan.note)
  return out
}

/** A whole task to put into a queue or archive document. */
export function storedTask(task: Task): Task {
  const out: Task = { ...task, title: stored(task.title), history: task.history.map(storedEvent) }
  if (task.prompt !== undefined) out.prompt = stored(task.prompt)
  if (task.command !== undefined) out.command = stored(task.command)
  if (task.lastError !== undefined) out.lastError = stored(task.lastError)
  if (task.blocked) out.blocked = { ...task.blocked, reason: stored(task.blocked.reason) }
  if (task.result) out.result = storedResult(task.result)
  if (task.review) out.review = storedReview(task.review)
  if (task.plan) out.plan = storedPlan(task.plan)
  return out
}
