/** `vivarium plan preview`: what the planner makes of a request, offline and with no key. */
import { z } from "zod"
import { PlanRequestInput, previewPlan, type PlanPreview } from "../../src/domain/plans/index.ts"
import { parseFlags } from "../args.ts"
import { print } from "../output.ts"

const FLAGS = { request: { type: "string" }, force: { type: "boolean", default: false }, json: { type: "boolean", default: false } } as const
const Input = PlanRequestInput.extend({ json: z.boolean() })

function describe(preview: PlanPreview): string {
  const { gutCheck, intent, steps, reason } = preview
  const lines = [
    `gut-check: ${gutCheck.complexity} signal${gutCheck.complexity === 1 ? "" : "s"}${gutCheck.signals.length ? ` (${gutCheck.signals.join(", ")})` : ""}`,
    `goal: ${intent.goal}`,
    ...intent.constraints.map(c => `constraint: ${c}`),
    ...intent.antiGoals.map(a => `not: ${a}`),
  ]
  if (!steps) return [...lines, `not planned: ${reason}`].join("\n")
  const after = (deps: number[]) => (deps.length ? ` (after ${deps.map(d => d + 1).join(", ")})` : "")
  return [...lines, `plan of ${steps.length} steps:`, ...steps.map(s => `  ${s.index + 1}. [${s.facet}, ${s.hat ?? "no hat"}] ${s.title}${after(s.dependsOn)}`)].join("\n")
}

async function preview(argv: string[]): Promise<number> {
  const flags = parseFlags("plan preview", argv, FLAGS, Input)
  print(flags, previewPlan(flags), describe)
  return 0
}

export const PLAN_SUBCOMMANDS = { preview }
