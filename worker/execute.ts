/**
 * Running one task: the safety check right before execution, then an LLM call (within the
 * task's budget, the rate limit and the spend cap) or a policy-limited local command.
 */
import { existsSync, realpathSync } from "node:fs"
import { isAbsolute, relative, resolve } from "node:path"
import type { LlmCall, Task } from "../schemas/index.ts"
import {
  chooseModel,
  completionTokensWithin,
  costUsd,
  estimatePromptTokens,
  MIN_USEFUL_COMPLETION_TOKENS,
} from "../src/domain/tasks/index.ts"
import { checkLocalCommand, checkPrompt, hardenedArgv, type LocalPolicy } from "../src/core/safety.ts"
import { SYSTEM_PROMPT, type LlmAttempt, type LlmClient } from "./llm.ts"
import { nodeRealpath, runLocal, type RunLocalOptions } from "./localRunner.ts"
import type { RateLimiter } from "./rateLimit.ts"

export interface ExecutionContext {
  jailDir: string
  policy: LocalPolicy
  llm?: LlmClient
  rateLimiter: RateLimiter
  signal: AbortSignal
  /** The wake-up context of the resident the task targets (worker/residentContext.ts). */
  residentContext?: string
  /** Called for every LLM attempt (retries included) with what the API billed for it. */
  onCall?: (call: BilledCall) => void
  /** A local command's output as it arrives (worker/liveOutput.ts streams it to readers). */
  onOutput?: RunLocalOptions["onOutput"]
}

/** An LLM attempt as execute() knows it; the worker adds the lease and its name. */
export type BilledCall = Omit<LlmCall, "leaseId" | "worker">

/** Reports each HTTP attempt of a call on `model` to `onCall`, priced by the tokens the API counted for it. */
export function billed(model: Parameters<typeof costUsd>[0], onCall: ((call: BilledCall) => void) | undefined): (attempt: LlmAttempt) => void {
  return a => onCall?.({ model, promptTokens: a.promptTokens, completionTokens: a.completionTokens, costUsd: costUsd(model, a.promptTokens, a.completionTokens), at: Date.now(), ok: a.ok })
}

/** A refusal before anything ran: the task fails with this reason, and it is audited. */
export interface Refusal {
  kind: "refused"
  rule: string
  reason: string
}

export interface Executed {
  kind: "executed"
  output: string
  exitCode?: number
  model: string
  usage?: { promptTokens: number; completionTokens: number }
  costUsd: number
  /** The resident context sent with the prompt, when there was one. */
  context?: string
}

export function safetyCheck(task: Task, ctx: Pick<ExecutionContext, "jailDir" | "policy">): Refusal | { kind: "ok"; argv?: string[] } {
  if (task.mode === "llm") {
    const verdict = checkPrompt(`${task.title}\n${task.prompt ?? ""}`)
    return verdict.ok ? { kind: "ok" } : { kind: "refused", rule: verdict.rule, reason: verdict.reason }
  }
  const verdict = checkLocalCommand(task.command ?? "", ctx.policy, { root: realpathSync(ctx.jailDir), realpath: nodeRealpath })
  return verdict.ok ? { kind: "ok", argv: verdict.argv } : { kind: "refused", rule: verdict.rule, reason: verdict.reason }
}

/** Whether a path a result claims to have written exists inside the jail. */
export function artifactExistsIn(jailDir: string): (path: string) => boolean {
  return path => {
    const full = resolve(jailDir, path)
    const rel = relative(jailDir, full)
    return !rel.startsWith("..") && !isAbsolute(rel) && existsSync(full)
  }
}

export class ExecutionError extends Error {
  override readonly name = "ExecutionError"
}

export async function execute(task: Task, ctx: ExecutionContext): Promise<Refusal | Executed> {
  const safety = safetyCheck(task, ctx)
  if (safety.kind === "refused") return safety
  if (task.mode === "local") {
    // Pins git to the jail (no walking up to a parent repository, no hooks or external diff).
    const run = await runLocal(hardenedArgv(safety.argv!, realpathSync(ctx.jailDir)), {
      cwd: ctx.jailDir,
      timeoutMs: ctx.policy.timeoutMs,
      maxOutputBytes: ctx.policy.maxOutputBytes,
      signal: ctx.signal,
      ...(ctx.onOutput ? { onOutput: ctx.onOutput } : {}),
    })
    ctx.signal.throwIfAborted()
    if (run.timedOut) throw new ExecutionError(`command timed out after ${ctx.policy.timeoutMs} ms`)
    const output = run.truncated ? `${run.output}\n[output cut at ${ctx.policy.maxOutputBytes} bytes]` : run.output
    return { kind: "executed", output, exitCode: run.exitCode ?? -1, model: "local", costUsd: 0 }
  }

  if (!ctx.llm) throw new ExecutionError("this worker has no GROQ_API_KEY")
  const prompt = task.prompt ?? ""
  const model = chooseModel(task.model, prompt)
  const promptTokens = estimatePromptTokens(`${SYSTEM_PROMPT}\n${ctx.residentContext ?? ""}\n${prompt}`)
  const maxTokens = completionTokensWithin(model, promptTokens, task.maxBudgetUsd)
  if (maxTokens < MIN_USEFUL_COMPLETION_TOKENS)
    return {
      kind: "refused",
      rule: "budget",
      reason: `max budget $${task.maxBudgetUsd} leaves room for only ${maxTokens} completion tokens on ${model}`,
    }
  await ctx.rateLimiter.take(ctx.signal)
  const answer = await ctx.llm.complete({
    model,
    prompt,
    maxTokens,
    signal: ctx.signal,
    ...(ctx.residentContext ? { context: ctx.residentContext } : {}),
    onAttempt: billed(model, ctx.onCall),
  })
  const cost = costUsd(model, answer.usage.promptTokens, answer.usage.completionTokens)
  return { kind: "executed", output: answer.text.slice(0, 64_000), model, usage: answer.usage, costUsd: cost, ...(ctx.residentContext ? { context: ctx.residentContext } : {}) }
}
