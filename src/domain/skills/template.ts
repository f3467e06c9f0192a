/** A skill's prompt template: `{{name}}` placeholders filled with typed values. */
import type { Skill } from "../../../schemas/index.ts"

const PLACEHOLDER = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g

/** The placeholders a template uses, each once. */
export const placeholdersOf = (template: string): string[] => [...new Set([...template.matchAll(PLACEHOLDER)].map(m => m[1]!))]

/** Why a template and its parameters disagree, or undefined. */
export function templateProblem(skill: Pick<Skill, "template" | "params">): string | undefined {
  const declared = new Set(skill.params.map(p => p.name))
  const undeclared = placeholdersOf(skill.template).filter(p => !declared.has(p))
  if (undeclared.length) return `the template uses ${undeclared.map(p => `{{${p}}}`).join(", ")} but declares no such parameter`
  return undefined
}

/**
 * The template with each parameter's value (numbers must be numbers); a parameter without a
 * value reads "(see the task)", so the task's own text fills it.
 */
export function fillTemplate(skill: Pick<Skill, "template" | "params">, values: Readonly<Record<string, string | number>>): string {
  const types = new Map(skill.params.map(p => [p.name, p.type]))
  return skill.template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name]
    if (value === undefined || (types.get(name) === "number" && typeof value !== "number" && !Number.isFinite(Number(value)))) return "(see the task)"
    return String(value).slice(0, 500)
  })
}
