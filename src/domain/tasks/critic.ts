/**
 * The deterministic critic, and where its verdict sends a task. It looks only at the
 * result (no LLM): empty output (of a model, or of a command that did not succeed), error
 * markers, planning text instead of a result, and artifacts the result claims but that do
 * not exist.
 */
import type { RuntimeControls, Task, TaskStatus } from "../../../schemas/index.ts"
import { MAX_REVIEW_ATTEMPTS } from "../../core/defaults.ts"

export type Verdict = "approve" | "minor_issues" | "reject"
export interface Critique {
  verdict: Verdict
  confidence: number
  issues: string[]
}

export interface CriticInput {
  mode: Task["mode"]
  output: string
  exitCode?: number | null
  /** Whether a path the output claims to have written exists (relative to the worker's jail). */
  artifactExists?: (path: string) => boolean
}

/** Confidence below this needs a human, as in the original. */
export const AUTO_APPROVE_MIN_CONFIDENCE = 0.9

const ERROR_MARKERS: [RegExp, string][] = [
  [/Traceback \(most recent call last\)/, "output contains a Python traceback"],
  [/^\s*(fatal|error|exception|panic)\b\s*:/im, "output reports an error"],
  [/command not found|No such file or directory|Permission denied/i, "output reports a failed command"],
  [/^\s*I(?:['’]m| am) sorry,? (?:but )?I can(?:no|['’])t\b/i, "the model refused the task"],
]

// Only at the very start: "I will…" inside a real answer is fine, an answer that *is* a plan is not.
const PLANNING = /^\s*(?:(?:i will|i['’]ll|i would|i can create|i am going to|let me|here is (?:the|my) plan|here is the proposal|the document will)\b|proposal:)/i

const CLAIMED_ARTIFACT = /\b(?:created|wrote|saved|generated)\s+(?:the\s+)?(?:file\s+)?[`'"]?([\w][\w./-]*\.[A-Za-z0-9]{1,8})[`'"]?/gi

export function critique(input: CriticInput): Critique {
  const issues: string[] = []
  let minor = 0
  const output = input.output.trim()
  // A command that succeeded may print nothing (ls in an empty directory): its exit status
  // decides, not its output's length. An answer from the model has no such status.
  const succeeded = input.mode === "local" && input.exitCode === 0
  if (!output && !succeeded) issues.push("empty output")
  if (input.exitCode !== undefined && input.exitCode !== null && input.exitCode !== 0) issues.push(`command exited with code ${input.exitCode}`)
  for (const [pattern, issue] of ERROR_MARKERS) if (pattern.test(output)) issues.push(issue)
  if (PLANNING.test(output.slice(0, 500))) issues.push("output is planning text instead of a result")
  if (input.artifactExists)
    for (const match of output.matchAll(CLAIMED_ARTIFACT)) {
      const path = match[1]!
      if (!input.artifactExists(path)) issues.push(`claimed artifact ${path} is missing`)
    }
  if (!issues.length && input.mode === "llm" && output.length < 20) {
    issues.push("very short answer")
    minor++
  }
  if (!issues.length) return { verdict: "approve", confidence: 0.95, issues }
  if (issues.length === minor) return { verdict: "minor_issues", confidence: 0.75, issues }
  return { verdict: "reject", confidence: 0.9, issues }
}

export interface ReviewRoute {
  to: Extract<TaskStatus, "approved" | "pending_review" | "requeued" | "failed">
  needsHuman: boolean
  attempts: number
  reason: string
}

/** approved (no human needed) | pending_review (human needed) | requeued | failed (third rejection). */
export function routeReview(task: Pick<Task, "mode" | "attempts" | "plan" | "facet">, c: Critique, controls: Pick<RuntimeControls, "reviewEverything">): ReviewRoute {
  // A plan's result is its subtasks' results put together: an operator judges it, never the critic alone.
  if (c.verdict === "reject" && !task.plan) {
    const attempts = task.attempts + 1
    const out = attempts >= MAX_REVIEW_ATTEMPTS
    return {
      to: out ? "failed" : "requeued",
      needsHuman: false,
      attempts,
      reason: `critic rejected (attempt ${attempts} of ${MAX_REVIEW_ATTEMPTS}): ${c.issues.join("; ")}`,
    }
  }
  const why = [
    task.mode === "local" ? "local commands are always reviewed" : "",
    task.plan ? "a plan's assembled result is reviewed as one" : "",
    task.facet === "mediation" ? "a mediator's answer settles a dispute only with an operator's approval" : "",
    c.confidence < AUTO_APPROVE_MIN_CONFIDENCE ? `confidence ${c.confidence} below ${AUTO_APPROVE_MIN_CONFIDENCE}` : "",
    controls.reviewEverything ? "the workspace reviews everything" : "",
  ].filter(Boolean)
  if (why.length) return { to: "pending_review", needsHuman: true, attempts: task.attempts, reason: why.join("; ") }
  return { to: "approved", needsHuman: false, attempts: task.attempts, reason: "critic approved" }
}
