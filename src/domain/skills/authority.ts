/**
 * Who may change a skill: operators write skills (a proposal of their own, or an edit) and
 * decide them (approve, retire) as themselves; the relay alone proposes skills from patterns
 * and counts their metrics (its writes do not pass through these rules); workers write none.
 */
import type { Skill } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"
import { templateProblem } from "./template.ts"

const EDITABLE = new Set(["name", "description", "template", "params", "preconditions"])
const DECISION = new Set(["state", "decidedBy", "decidedAt"])

export function authorizeSkillChange(before: Skill | undefined, after: Skill | undefined, who: Principal, ctx: Pick<AuthorityContext, "key">): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators write skills (the relay proposes them and counts their use)`)
  if (!after) return refused(`skill ${ctx.key} cannot be deleted: retire it instead`)
  if (after.id !== ctx.key) return refused(`skill ${after.id} is stored under the key ${ctx.key}: a skill's key must be its id`)
  const problem = templateProblem(after)
  if (problem) return refused(`skill ${after.id}: ${problem}`)
  if (!before) {
    if (!isSelf(after.proposedBy, who)) return refused(`skill ${after.id} says ${after.proposedBy} proposed it, but ${who.peer} wrote it`)
    if (after.metrics.uses || after.metrics.counted.length) return refused(`a new skill has no uses yet (skill ${after.id}): the relay counts them`)
    if (after.state !== "proposed" && !isSelf(after.decidedBy, who)) return refused(`a new skill is proposed, or decided by its writer (skill ${after.id})`)
    return ALLOWED
  }
  for (const field of changedFields(before, after)) {
    if (EDITABLE.has(field)) continue
    if (DECISION.has(field)) {
      // A second operator's same decision made offline merges field by field: the decider can
      // stay the first one while the time becomes the second one's.
      const mergedIntoDecision = before.state === after.state && before.decidedBy === after.decidedBy
      if (!isSelf(after.decidedBy, who) && !mergedIntoDecision) return refused(`skill ${after.id}: ${who.peer} cannot record ${after.decidedBy ?? "nobody"} as its decider`)
      continue
    }
    return refused(`skill ${after.id}: operators do not write ${field} (the relay proposes skills and counts their use)`)
  }
  return ALLOWED
}
