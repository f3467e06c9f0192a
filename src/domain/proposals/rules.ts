/**
 * The rules of a proposal's life, pure: how many operators must approve it (two distinct ones
 * for high risk), when it applies, what a target is called, and what a loop does next.
 */
import type { ImprovementLoop, Proposal, ProposalRisk, ProposalTarget } from "../../../schemas/index.ts"

/** Distinct operators' approvals a proposal needs before it applies. */
export function approvalsNeeded(risk: ProposalRisk): number {
  return risk === "high" ? 2 : 1
}

/** Whether `approvals` (distinct operators) are enough for `risk`. */
export function approvalsSuffice(p: Pick<Proposal, "risk" | "approvals">): boolean {
  return new Set(p.approvals.map(a => a.by)).size >= approvalsNeeded(p.risk)
}

/** "the hat builder's prompt" */
export function targetLabel(t: ProposalTarget): string {
  return t.kind === "config" ? `the runtime control ${t.field}` : `the ${t.kind} ${t.id}'s ${t.field}`
}

/** A proposal's id from its loop's iteration, or a fresh one. */
export const loopProposalId = (loopId: string, iteration: number) => `${loopId}-${iteration}`
export const loopTaskId = (loopId: string, iteration: number) => `${loopId}-task-${iteration}`

/** What a loop does at a pass of the relay, given its current iteration's task (if any). */
export type LoopStep =
  | { kind: "wait" }
  | { kind: "begin"; iteration: number }
  | { kind: "propose"; iteration: number }
  | { kind: "finish"; state: "done" | "stopped"; reason: string }

/**
 * The next step of a running loop: begin an iteration (within the iteration and money budget),
 * wait for its task, turn its approved answer into a proposal, or end.
 */
export function nextLoopStep(loop: ImprovementLoop, task: { status: string; lastError?: string } | undefined, proposed: boolean): LoopStep {
  if (loop.state !== "running") return { kind: "wait" }
  const current = loop.iterations
  if (current > 0 && !proposed) {
    if (!task) return { kind: "wait" } // the task is being added, or archived after it was used
    if (task.status === "approved") return { kind: "propose", iteration: current }
    if (task.status === "failed" || task.status === "cancelled") return { kind: "finish", state: "stopped", reason: `iteration ${current}'s task ${task.status}${task.lastError ? `: ${task.lastError.split("\n")[0]}` : ""}` }
    return { kind: "wait" }
  }
  if (current >= loop.maxIterations) return { kind: "finish", state: "done", reason: `made its ${loop.maxIterations} iteration(s)` }
  if (loop.spentUsd >= loop.budgetUsd) return { kind: "finish", state: "done", reason: `spent its budget of $${loop.budgetUsd}` }
  return { kind: "begin", iteration: current + 1 }
}

/** The answer that says a loop has nothing more to improve. */
export const NO_CHANGE = "NO CHANGE"

/** The task that asks a resident for an iteration's improved words. */
export function loopTaskText(loop: ImprovementLoop, current: string, iteration: number): { title: string; prompt: string } {
  return {
    title: `Improve ${targetLabel(loop.target)} (iteration ${iteration} of ${loop.maxIterations})`.slice(0, 200),
    prompt: [
      `Improve ${targetLabel(loop.target)}. Goal: ${loop.goal}`,
      "",
      "The current text:",
      current,
      "",
      `Answer with the improved text only, nothing before or after it. If it cannot be improved towards the goal, answer ${NO_CHANGE}.`,
    ].join("\n"),
  }
}

/** The improved words in a loop task's answer, or undefined when it proposes no change. */
export function readLoopAnswer(output: string, current: string): string | undefined {
  const text = output.trim().replace(/^```[a-z]*\n([\s\S]*?)\n```$/, "$1").trim()
  if (!text || text.toUpperCase() === NO_CHANGE || text === current.trim()) return undefined
  return text.slice(0, 4_000)
}
