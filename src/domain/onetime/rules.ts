/**
 * The one-time task rules, pure: a claim's task id is fixed by task and resident (two offline
 * claims merge into one task), and who may claim: a resident the task names (or any, when it
 * names none), while it is not retired, not yet paid to that resident and not already claimed.
 */
import type { OneTimeTask } from "../../../schemas/index.ts"

export const claimTaskId = (oneTimeId: string, resident: string) => `onetime-${oneTimeId}-${resident}`

/** The bonus when nobody says otherwise. */
export const DEFAULT_ONE_TIME_BONUS = 25

/** Why `resident` cannot claim `task` now, or undefined when it can. */
export function claimRefusal(task: OneTimeTask, resident: string, state: { paid: boolean; claimed: boolean }): string | undefined {
  if (task.retired) return "it is retired"
  if (task.eligible.length && !task.eligible.includes(resident)) return "it is for other residents"
  if (state.paid) return "this resident has done it already"
  if (state.claimed) return "this resident has claimed it already"
  return undefined
}
