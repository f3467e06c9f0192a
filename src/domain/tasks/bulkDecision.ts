/**
 * Several results decided together: the same decision, one task after another, each through
 * decideTask (so each is checked, signed and audited exactly like a single decision). One
 * task that cannot be decided (it was decided elsewhere meanwhile, it left review) is reported
 * and the others still go on.
 */
import type { OperatorContext } from "../../workspace/actionContext.ts"
import { decideTask, type TaskDecision } from "./actions.ts"
import type { DecisionInput } from "./inputs.ts"

export type BulkOutcome = { id: string; ok: true } | { id: string; ok: false; error: string }

export async function decideTasks(
  ctx: OperatorContext,
  ids: readonly string[],
  decision: TaskDecision,
  input: DecisionInput = {},
  onProgress?: (outcome: BulkOutcome, done: number) => void,
): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = []
  for (const id of new Set(ids)) {
    let outcome: BulkOutcome
    try {
      await decideTask(ctx, id, decision, input)
      outcome = { id, ok: true }
    } catch (error) {
      outcome = { id, ok: false, error: (error as Error).message }
    }
    outcomes.push(outcome)
    onProgress?.(outcome, outcomes.length)
  }
  return outcomes
}
