/**
 * What the relay (the system actor) writes about skills: a decided task routed to a skill is
 * counted in that skill's metrics (once, by task id), and patterns of approved tasks become
 * proposed skills. Idempotent: a second pass writes nothing new.
 */
import type { Task } from "../../../schemas/index.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { readSkills } from "../../workspace/documentReaders.ts"
import { openSkills } from "./actions.ts"
import { countRun } from "./metrics.ts"
import { skillsToPropose } from "./promotion.ts"

/** Counts a decided task in the metrics of the skill it was routed to; true when it wrote. */
export async function countSkillUse(ws: Workspace, task: Task): Promise<boolean> {
  const id = task.route?.skill
  if (!id || task.route?.kind === "none" || (task.status !== "approved" && task.status !== "failed")) return false
  const handle = await openSkills(ws)
  const skill = readSkills(handle.doc(), `skills ${handle.url}`, []).get(id)
  if (!skill) return false
  const metrics = countRun(skill.metrics, task)
  if (metrics === skill.metrics) return false
  handle.change(d => {
    const draft = d.skills[id]
    if (draft) draft.metrics = metrics
  })
  return true
}

/** Proposes a skill for each pattern that has enough approved tasks; returns the new skills' ids. */
export async function proposeSkills(ws: Workspace, by: string, now: number): Promise<string[]> {
  if (!ws.root.docs.skills) return []
  const handle = await openSkills(ws)
  const drafts = skillsToPropose(ws.tasks.entries.values(), readSkills(handle.doc(), `skills ${handle.url}`, []), by, now)
  if (!drafts.length) return []
  handle.change(d => {
    for (const skill of drafts) if (!d.skills[skill.id]) d.skills[skill.id] = skill
  })
  return drafts.map(s => s.id)
}
