/**
 * Skills grow from tasks that worked: when approved tasks of one pattern (the first two
 * words that carry meaning in their titles) reach PROMOTE_AFTER without a skill, the relay
 * proposes one. Its template is what their prompts share, with what differs as a parameter.
 * A proposal is used by nobody until an operator approves it. Pure.
 */
import type { Skill, Task } from "../../../schemas/index.ts"
import { SKILL_NAME } from "../../../schemas/index.ts"
import { termFrequencies } from "./routing.ts"

/** Approved tasks of one pattern it takes to propose a skill. */
export const PROMOTE_AFTER = 3

/** A task's pattern: the first two words of its title that carry meaning ("summarize-changelog"), or undefined. */
export function patternOf(task: Pick<Task, "title">): string | undefined {
  const words = [...termFrequencies(task.title).keys()].filter(w => /^[a-z]/.test(w)).slice(0, 2)
  const name = words.join("-").slice(0, 41)
  return words.length === 2 && SKILL_NAME.test(name) ? name : undefined
}

export const skillIdOf = (pattern: string): string => `skill-${pattern}`

/** Whether an approved task counts towards its pattern: run by a model, on no skill, not a plan nor a skill's draft. */
const counts = (t: Task) => t.status === "approved" && t.mode === "llm" && !t.plan && t.link?.kind !== "skill" && (!t.route || t.route.kind === "none") && !!t.prompt

/** The words every prompt starts with. */
function commonPrefix(prompts: readonly string[]): string[] {
  const split = prompts.map(p => p.trim().split(/\s+/))
  const first = split[0] ?? []
  let n = 0
  while (n < first.length && split.every(words => words[n] === first[n])) n++
  return first.slice(0, n)
}

/** The skill to propose from tasks of one pattern. */
export function draftSkill(pattern: string, tasks: readonly Task[], by: string, now: number): Skill {
  const newest = [...tasks].sort((a, b) => b.createdAt - a.createdAt)
  const prompts = newest.map(t => t.prompt!)
  const prefix = commonPrefix(prompts)
  const varies = prompts.some(p => p.trim() !== prompts[0]!.trim())
  const useful = prefix.length >= 2 && varies
  return {
    id: skillIdOf(pattern),
    name: pattern,
    description: `${pattern.replace(/-/g, " ")}: proposed from ${tasks.length} approved tasks like “${newest[0]!.title.slice(0, 120)}”`.slice(0, 300),
    template: useful ? `${prefix.join(" ")} {{subject}}` : prompts[0]!.slice(0, 4_000),
    params: useful ? [{ name: "subject", type: "string", description: "what this task is about (what the past prompts differed in)" }] : [],
    preconditions: [],
    fromTasks: newest.slice(0, 50).map(t => t.id),
    state: "proposed",
    proposedBy: by,
    proposedAt: now,
    metrics: { uses: 0, successes: 0, costUsd: 0, latencyMs: 0, counted: [] },
  }
}

/** Skills to propose now: one per pattern with enough approved tasks and no skill of that id yet. */
export function skillsToPropose(tasks: Iterable<Task>, existing: ReadonlyMap<string, Skill>, by: string, now: number): Skill[] {
  const byPattern = new Map<string, Task[]>()
  for (const t of tasks) {
    if (!counts(t)) continue
    const pattern = patternOf(t)
    if (pattern && !existing.has(skillIdOf(pattern))) byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), t])
  }
  return [...byPattern].filter(([, list]) => list.length >= PROMOTE_AFTER).map(([pattern, list]) => draftSkill(pattern, list, by, now))
}
