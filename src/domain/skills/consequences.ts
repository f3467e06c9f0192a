/**
 * What the relay (the system actor) writes about skills: a decided task routed to a skill is
 * counted in that skill's metrics (once, by task id), patterns of approved tasks become
 * proposed skills (with a task asking a model to write each one's words, when a worker with
 * a model is online), and an approved drafting task's answer is applied to its proposal.
 * Idempotent: a second pass writes nothing new.
 */
import type { Actor, Task } from "../../../schemas/index.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { readSkills } from "../../workspace/documentReaders.ts"
import { isApprovedWorker, isOnline } from "../tasks/scheduling.ts"
import { openSkills } from "./actions.ts"
import { readSkillDraft, SKILL_DRAFT_BUDGET, skillDraftTask, skillDraftTaskId } from "./drafting.ts"
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

/**
 * Proposes a skill for each pattern that has enough approved tasks, and asks a model to
 * write its words when a worker with one is online; returns the new skills' ids.
 */
export async function proposeSkills(ws: Workspace, by: Actor, now: number): Promise<string[]> {
  if (!ws.root.docs.skills) return []
  const handle = await openSkills(ws)
  const drafts = skillsToPropose(ws.tasks.entries.values(), readSkills(handle.doc(), `skills ${handle.url}`, []), by.name, now)
  if (!drafts.length) return []
  handle.change(d => {
    for (const skill of drafts) if (!d.skills[skill.id]) d.skills[skill.id] = skill
  })
  const modelOnline = Object.values(ws.root.peers).some(p => isApprovedWorker(p) && p.hasLlmKey && isOnline(p, now))
  for (const skill of modelOnline ? drafts : []) {
    const id = skillDraftTaskId(skill.id)
    const from = skill.fromTasks.flatMap(t => ws.tasks.get(t) ?? [])
    if (!ws.tasks.get(id)) ws.addTask({ ...skillDraftTask(skill, from), ...SKILL_DRAFT_BUDGET, link: { kind: "skill", id: skill.id } }, by, now, id)
  }
  return drafts.map(s => s.id)
}

/**
 * Applies an approved drafting task's answer to its proposal, once (the note marks it), and
 * only while the skill is undecided. Returns the note written, or undefined.
 */
export async function applySkillDraft(ws: Workspace, task: Task): Promise<string | undefined> {
  if (task.link?.kind !== "skill" || task.status !== "approved") return undefined
  const handle = await openSkills(ws)
  const skill = readSkills(handle.doc(), `skills ${handle.url}`, []).get(task.link.id)
  if (!skill || skill.state !== "proposed" || skill.draftNote) return undefined
  const outcome = readSkillDraft(task.result?.output ?? "", task.id)
  handle.change(d => {
    const draft = d.skills[skill.id]
    if (!draft) return
    if (outcome.ok) Object.assign(draft, outcome.fields)
    draft.draftNote = outcome.note
  })
  return outcome.note
}
