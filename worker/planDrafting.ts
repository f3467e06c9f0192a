/**
 * A worker with a model drafts a plan that asks for one: the model is asked for the plan as
 * JSON (schemas/cognition.ts PlanReply), asked once more when its reply is not usable, and
 * otherwise the deterministic splitter's plan stands, with a note saying why. The plan is
 * then proposed, for an operator to edit and approve.
 */
import type { Task, TaskPlan } from "../schemas/index.ts"
import { MAX_PLAN_STEPS } from "../schemas/index.ts"
import { planFromProposal, proposePlan, readPlanReply } from "../src/domain/plans/index.ts"
import { chooseModel, completionTokensWithin, estimatePromptTokens } from "../src/domain/tasks/index.ts"
import { billed, type BilledCall } from "./execute.ts"
import type { LlmClient } from "./llm.ts"

const ATTEMPTS = 2
const REPLY_TOKENS = 1_500

export function planPrompt(request: string): string {
  return [
    `Cut this request into a plan of 2 to ${MAX_PLAN_STEPS} steps. Reply with JSON only, in this shape:`,
    '{"goal": "<the goal in one sentence>", "steps": [{"title": "<short>", "prompt": "<what to do, self-contained>", "facet": "strategy" | "build" | "review" | "document", "dependsOn": [<indexes of earlier steps>], "budgetShare": <0..1, optional>}]}',
    "A step may wait only for steps before it. Do not add steps the request does not ask for.",
    "",
    "REQUEST:",
    request,
  ].join("\n")
}

export interface DraftContext {
  llm: LlmClient
  signal: AbortSignal
  onCall: (call: BilledCall) => void
}

/** The plan to propose for a drafting task (its state proposed), from the model or the splitter. */
export async function draftPlan(task: Task, ctx: DraftContext): Promise<TaskPlan> {
  const request = task.prompt ?? task.title
  const prompt = planPrompt(request)
  const model = chooseModel(task.model, prompt)
  const maxTokens = Math.min(REPLY_TOKENS, completionTokensWithin(model, estimatePromptTokens(prompt), task.maxBudgetUsd))
  let reply: string | undefined
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const answer = await ctx.llm.complete({
      model,
      prompt,
      maxTokens,
      signal: ctx.signal,
      onAttempt: billed(model, ctx.onCall),
    })
    reply = answer.text
    try {
      readPlanReply(reply)
      break
    } catch {
      // Asked once more; the last reply decides (proposePlan says why it was not used).
    }
  }
  const proposed = proposePlan(request, reply)
  if (proposed) return { ...planFromProposal(proposed, task.maxBudgetUsd), state: "proposed" }
  // Neither the model nor the splitter found two pieces: the one-step plan stands, with the reason.
  let why = "the model's reply"
  try {
    readPlanReply(reply ?? "")
  } catch (error) {
    why = `the model's plan was not usable (${(error as Error).message})`
  }
  return { ...task.plan!, state: "proposed", note: `${why}; the request stays one step`.slice(0, 500) }
}
