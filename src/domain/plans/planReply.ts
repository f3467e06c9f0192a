/**
 * A plan from the model, checked before anyone sees it: valid JSON of the PlanReply shape,
 * steps that wait only for earlier steps, budget shares that fit. An unusable reply falls
 * back to the deterministic splitter with a note saying why, so planning never fails on a
 * model's mistake.
 */
import { z } from "zod"
import { PlanReply } from "../../../schemas/index.ts"
import { splitRequest } from "./splitter.ts"

export type PlanSource = "llm" | "splitter"

export interface ProposedPlan {
  plan: PlanReply
  source: PlanSource
  /** Why the model's plan was not used, when it was not. */
  note?: string
}

/** The JSON object a model's reply holds (a fenced block or bare); throws a sentence saying why there is none. */
export function jsonOf(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)
  const body = (fenced ? fenced[1]! : text).trim()
  const start = body.indexOf("{")
  const end = body.lastIndexOf("}")
  if (start < 0 || end <= start) throw new Error("the reply holds no JSON object")
  try {
    return JSON.parse(body.slice(start, end + 1))
  } catch (error) {
    throw new Error(`the reply's JSON does not parse (${(error as Error).message})`)
  }
}

/** Why `plan` cannot be run as it stands, or undefined. */
export function planProblem(plan: PlanReply): string | undefined {
  for (const [i, step] of plan.steps.entries()) {
    const bad = step.dependsOn.find(d => d >= i)
    if (bad !== undefined) return `step ${i + 1} waits for step ${bad + 1}, which does not come before it`
  }
  const shares = plan.steps.reduce((sum, s) => sum + (s.budgetShare ?? 0), 0)
  if (shares > 1 + 1e-9) return `the steps' budget shares add up to ${shares.toFixed(2)}, more than the whole budget`
  return undefined
}

/** Reads a model's plan; throws a sentence naming what is wrong. */
export function readPlanReply(text: string): PlanReply {
  const parsed = PlanReply.safeParse(jsonOf(text))
  if (!parsed.success) throw new Error(`the plan does not have the expected shape: ${z.prettifyError(parsed.error).split("\n").slice(0, 3).join("; ")}`)
  const problem = planProblem(parsed.data)
  if (problem) throw new Error(problem)
  return parsed.data
}

/**
 * The plan to offer for `request`: the model's when it is usable, else the splitter's
 * (with the reason), else undefined when neither finds two pieces of work.
 */
export function proposePlan(request: string, modelReply: string | undefined): ProposedPlan | undefined {
  let note: string | undefined
  if (modelReply !== undefined) {
    try {
      return { plan: readPlanReply(modelReply), source: "llm" }
    } catch (error) {
      note = `the model's plan was not usable (${(error as Error).message}); the deterministic splitter's plan is offered instead`
    }
  }
  const plan = splitRequest(request)
  return plan ? { plan, source: "splitter", ...(note ? { note } : {}) } : undefined
}

/**
 * Each step's budget out of `total`: its own share where it names one, the rest split
 * evenly among the steps that do not, rounded down to whole units so the sum never exceeds
 * the total.
 */
export function budgetShares(plan: PlanReply, total: number): number[] {
  const named = plan.steps.reduce((sum, s) => sum + (s.budgetShare ?? 0), 0)
  const open = plan.steps.filter(s => s.budgetShare === undefined).length
  const each = open ? Math.max(0, 1 - named) / open : 0
  return plan.steps.map(s => Math.floor(total * (s.budgetShare ?? each)))
}
