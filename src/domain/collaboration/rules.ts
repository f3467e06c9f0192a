/**
 * The collaboration request's rules, pure: the active request is the newest one still open;
 * finished ones are listed newest first with how long they ran; a request's suggestion task
 * gets a budget band above the workspace's defaults, so the residents' run is not cut short.
 */
import type { CollabRequest, RuntimeControls } from "../../../schemas/index.ts"

/** How many finished requests the lists show. */
export const FINISHED_SHOWN = 50

/** The least budget band a suggestion task gets, whatever the defaults. */
export const SUGGESTION_BUDGET = { minUsd: 0.18, maxUsd: 0.4 } as const

/** The suggestion task that request `id` queues: one per request. */
export const suggestionTaskId = (id: string) => `suggestion-${id}`

/** The newest open request, if any. */
export function activeRequest(requests: Iterable<CollabRequest>): CollabRequest | undefined {
  let active: CollabRequest | undefined
  for (const r of requests) if (!r.closed && (!active || r.at > active.at || (r.at === active.at && r.id > active.id))) active = r
  return active
}

export interface FinishedRequest extends CollabRequest {
  closed: NonNullable<CollabRequest["closed"]>
  /** "N min", "x.y hrs" or "N days": from being set to being closed. */
  duration: string
}

/** How long a request ran, as people say it. */
export function durationLabel(ms: number): string {
  const minutes = Math.max(0, ms) / 60_000
  if (minutes < 60) return `${Math.round(minutes)} min`
  const hours = minutes / 60
  if (hours < 48) return `${hours.toFixed(1)} hrs`
  return `${Math.round(hours / 24)} days`
}

/** The closed requests, newest first, at most FINISHED_SHOWN. */
export function finishedRequests(requests: Iterable<CollabRequest>): FinishedRequest[] {
  return [...requests]
    .filter((r): r is CollabRequest & { closed: NonNullable<CollabRequest["closed"]> } => !!r.closed)
    .sort((a, b) => b.closed.at - a.closed.at || (a.id < b.id ? 1 : -1))
    .slice(0, FINISHED_SHOWN)
    .map(r => ({ ...r, duration: durationLabel(r.closed.at - r.at) }))
}

/** The suggestion task's budget: the workspace's defaults, raised to the least band. */
export function suggestionBudget(controls: Pick<RuntimeControls, "defaultMinBudgetUsd" | "defaultMaxBudgetUsd">): { minBudgetUsd: number; maxBudgetUsd: number } {
  return { minBudgetUsd: Math.max(controls.defaultMinBudgetUsd, SUGGESTION_BUDGET.minUsd), maxBudgetUsd: Math.max(controls.defaultMaxBudgetUsd, SUGGESTION_BUDGET.maxUsd) }
}

/** The suggestion task's prompt: the request, framed for whichever resident takes it. */
export function suggestionPrompt(text: string, by: string): string {
  return `The humans ask for your collaboration (set by ${by}):\n\n${text}\n\nSuggest a concrete next step you can take on this, or take it and say what you did.`
}
