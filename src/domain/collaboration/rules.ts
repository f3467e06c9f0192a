/**
 * The collaboration request's rules, pure: the active request is the newest one unless it is
 * done; the others are listed newest first, done or replaced, with how long they ran; a
 * request's suggestion task gets a budget band above the workspace's defaults, so the
 * residents' run is not cut short.
 */
import type { CollabRequest, RuntimeControls } from "../../../schemas/index.ts"

/** How many finished requests the lists show. */
export const FINISHED_SHOWN = 50

/** The least budget band a suggestion task gets, whatever the defaults. */
export const SUGGESTION_BUDGET = { minUsd: 0.18, maxUsd: 0.4 } as const

/** The suggestion task that request `id` queues: one per request. */
export const suggestionTaskId = (id: string) => `suggestion-${id}`

const newestFirst = (a: CollabRequest, b: CollabRequest) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** The newest request, while it is not done: a newer one replaces any other. */
export function activeRequest(requests: Iterable<CollabRequest>): CollabRequest | undefined {
  const newest = [...requests].sort(newestFirst)[0]
  return newest && !newest.closed ? newest : undefined
}

export interface FinishedRequest extends CollabRequest {
  outcome: "done" | "replaced"
  /** When it ended: marked done, or the newer request set. */
  endedAt: number
  /** "N min", "x.y hrs" or "N days": from being set to its end. */
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

/** Every request but the active one, newest first, at most FINISHED_SHOWN: done, or replaced by the next one set. */
export function finishedRequests(requests: Iterable<CollabRequest>): FinishedRequest[] {
  const sorted = [...requests].sort(newestFirst)
  const out: FinishedRequest[] = []
  sorted.forEach((r, i) => {
    const newer = sorted[i - 1]
    if (!r.closed && !newer) return
    const endedAt = r.closed && (!newer || r.closed.at <= newer.at) ? r.closed.at : newer!.at
    out.push({ ...r, outcome: r.closed && endedAt === r.closed.at ? "done" : "replaced", endedAt, duration: durationLabel(endedAt - r.at) })
  })
  return out.slice(0, FINISHED_SHOWN)
}

/** The suggestion task's budget: the workspace's defaults, raised to the least band. */
export function suggestionBudget(controls: Pick<RuntimeControls, "defaultMinBudgetUsd" | "defaultMaxBudgetUsd">): { minBudgetUsd: number; maxBudgetUsd: number } {
  return { minBudgetUsd: Math.max(controls.defaultMinBudgetUsd, SUGGESTION_BUDGET.minUsd), maxBudgetUsd: Math.max(controls.defaultMaxBudgetUsd, SUGGESTION_BUDGET.maxUsd) }
}

/** The suggestion task's prompt: the request, framed for whichever resident takes it. */
export function suggestionPrompt(text: string, by: string): string {
  return `The humans ask for your collaboration (set by ${by}):\n\n${text}\n\nSuggest a concrete next step you can take on this, or take it and say what you did.`
}
