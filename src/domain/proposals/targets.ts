/**
 * What a proposal's target holds and how it is written: a hat's or a skill's words in the
 * skills document, read as every reader reads them and written through the hats' and skills'
 * own actions (their rules, their gate, their audit entries).
 */
import * as A from "@automerge/automerge/slim"
import type { ProposalTarget, SkillsDoc } from "../../../schemas/index.ts"
import { OperatorActionError, type OperatorContext } from "../../workspace/actionContext.ts"
import { readHatRecords, readSkills } from "../../workspace/documentReaders.ts"
import { editHat } from "../hats/actions.ts"
import { hatCatalogue } from "../hats/catalogue.ts"
import { editSkill, openSkills } from "../skills/actions.ts"

/** The target's words in a skills document (or a view of it at some heads); undefined when absent. */
export function targetValue(doc: SkillsDoc | undefined, t: ProposalTarget): string | undefined {
  if (!doc) return undefined
  if (t.kind === "hat") return hatCatalogue(readHatRecords(doc, "skills", [])).find(h => h.id === t.id)?.[t.field]
  return readSkills(doc, "skills", []).get(t.id)?.[t.field]
}

/** The target's current words and the skills document's heads now (the checkpoint before a write). */
export async function currentTarget(ctx: Pick<OperatorContext, "workspace">, t: ProposalTarget): Promise<{ value: string; heads: string[] }> {
  const handle = await openSkills(ctx.workspace)
  const doc = handle.doc()
  const value = targetValue(doc, t)
  if (value === undefined) throw t.kind === "hat" ? new OperatorActionError("hat_not_found", { id: t.id }) : new OperatorActionError("skill_not_found", { id: t.id })
  return { value, heads: A.getHeads(doc as A.Doc<SkillsDoc>) }
}

/** The target's words at a checkpoint (the skills document as it was at `heads`). */
export async function targetAt(ctx: Pick<OperatorContext, "workspace">, t: ProposalTarget, heads: string[]): Promise<string | undefined> {
  const handle = await openSkills(ctx.workspace)
  try {
    return targetValue(A.view(handle.doc() as A.Doc<SkillsDoc>, heads) as SkillsDoc, t)
  } catch {
    throw new OperatorActionError("point_not_held", { what: `the skills document at that checkpoint` })
  }
}

/** Writes the target's words as this operator, through the hat's or skill's own action. */
export async function writeTarget(ctx: OperatorContext, t: ProposalTarget, value: string): Promise<void> {
  if (t.kind === "hat") await editHat(ctx, t.id, { [t.field]: value })
  else await editSkill(ctx, t.id, { [t.field]: value })
}
