/**
 * What an operator does with skills, signed into the operator's audit log: write one (it
 * starts proposed), edit one, approve it (only then is it used) or retire it. The CLI and the
 * panel call these; each validates first and throws OperatorActionError with nothing written.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { Skill, SkillsDoc } from "../../../schemas/index.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readSkills } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { SkillEdit, SkillInput } from "./inputs.ts"
import { skillIdOf } from "./promotion.ts"
import { templateProblem } from "./template.ts"

export async function openSkills(workspace: Workspace): Promise<DocHandle<SkillsDoc>> {
  const url = workspace.root.docs.skills
  if (!url) throw new OperatorActionError("skills_missing")
  return workspace.repo.find<SkillsDoc>(url as AutomergeUrl)
}

/** The workspace's skills as this peer can read them (an invalid one is left out and reported). */
export async function skillsOf(workspace: Workspace): Promise<Map<string, Skill>> {
  const handle = await openSkills(workspace)
  return readSkills(handle.doc(), `skills ${handle.url}`, [])
}

function checked(skill: Skill): Skill {
  const problem = templateProblem(skill)
  if (problem) throw new OperatorActionError("skill_invalid", { problem })
  return skill
}

/** Writes a skill by hand: proposed, like one the relay proposes, until an operator approves it. */
export async function addSkill(ctx: OperatorContext, input: SkillInput): Promise<Skill> {
  const parsed = parseInput(SkillInput, input)
  const handle = await openSkills(ctx.workspace)
  const id = skillIdOf(parsed.name)
  if (handle.doc().skills[id]) throw new OperatorActionError("skill_exists", { name: parsed.name })
  const now = ctx.now ?? Date.now()
  const skill = checked({ id, ...parsed, fromTasks: [], state: "proposed", proposedBy: ctx.actor.name, proposedAt: now, metrics: { uses: 0, successes: 0, costUsd: 0, latencyMs: 0, counted: [] } })
  handle.change(d => {
    d.skills[id] = skill
  })
  await ctx.audit.append("skill", id, { action: "proposed", name: skill.name })
  return skill
}

async function current(ctx: OperatorContext, id: string): Promise<[DocHandle<SkillsDoc>, Skill]> {
  const handle = await openSkills(ctx.workspace)
  const skill = readSkills(handle.doc(), `skills ${handle.url}`, []).get(id)
  if (!skill) throw new OperatorActionError("skill_not_found", { id })
  return [handle, skill]
}

export async function editSkill(ctx: OperatorContext, id: string, edit: SkillEdit): Promise<Skill> {
  const parsed = parseInput(SkillEdit, edit)
  const [handle, skill] = await current(ctx, id)
  const next = checked({ ...skill, ...parsed })
  handle.change(d => {
    const draft = d.skills[id]!
    for (const [key, value] of Object.entries(parsed)) (draft as Record<string, unknown>)[key] = value
  })
  await ctx.audit.append("skill", id, { action: "edited", fields: Object.keys(parsed) })
  return next
}

export type SkillDecision = "approve" | "retire"

/** Approves a skill (tasks are routed to it from now on) or retires it (they no longer are). */
export async function decideSkill(ctx: OperatorContext, id: string, decision: SkillDecision): Promise<Skill> {
  const [handle, skill] = await current(ctx, id)
  const state = decision === "approve" ? "approved" : "retired"
  if (skill.state === state) throw new OperatorActionError("skill_decided", { id, state })
  checked(skill)
  const now = ctx.now ?? Date.now()
  handle.change(d => {
    Object.assign(d.skills[id]!, { state, decidedBy: ctx.actor.name, decidedAt: now })
  })
  await ctx.audit.append("skill", id, { action: state, name: skill.name })
  return { ...skill, state, decidedBy: ctx.actor.name, decidedAt: now }
}
