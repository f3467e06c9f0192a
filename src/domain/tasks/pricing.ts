/** Model choice, prices and budgets for LLM calls (prices: USD per million tokens). */
import type { ModelChoice } from "../../../schemas/index.ts"

type Model = Exclude<ModelChoice, "auto">

export const PRICES: Readonly<Record<Model, { input: number; output: number; maxCompletion: number }>> = {
  "llama-3.1-8b-instant": { input: 0.05, output: 0.08, maxCompletion: 8192 },
  "llama-3.3-70b-versatile": { input: 0.59, output: 0.79, maxCompletion: 32768 },
  "openai/gpt-oss-120b": { input: 0.15, output: 0.6, maxCompletion: 32768 },
  "openai/gpt-oss-20b": { input: 0.075, output: 0.3, maxCompletion: 4096 },
}
export const DEFAULT_MAX_COMPLETION_TOKENS = 4096
/** Below this many completion tokens a call is not worth making: the budget is too small. */
export const MIN_USEFUL_COMPLETION_TOKENS = 32

const COMPLEX_KEYWORDS = [
  "algorithm", "optimize", "refactor", "benchmark", "scale", "performance", "thread", "process", "async",
  "concurrency", "distributed", "pipeline", "sql", "database", "api", "authentication", "encryption",
  "docker", "kubernetes", "microservice", "cache", "index", "migration",
]

/** The original's heuristic: length, technical keywords, and a bonus for very long prompts. */
export function estimateComplexity(prompt: string): number {
  const words = prompt.split(/\s+/).filter(Boolean).length
  const lower = prompt.toLowerCase()
  const keywords = COMPLEX_KEYWORDS.filter(k => lower.includes(k)).length
  return Math.floor(Math.floor(words * 1.3) / 10) + 2 * keywords + (prompt.length > 800 ? 5 : 0)
}

/** `auto` picks the small model for simple prompts and the large one otherwise. */
export function chooseModel(choice: ModelChoice, prompt: string): Model {
  if (choice !== "auto") return choice
  return estimateComplexity(prompt) <= 8 ? "llama-3.1-8b-instant" : "llama-3.3-70b-versatile"
}

export function estimatePromptTokens(text: string): number {
  return Math.ceil(text.split(/\s+/).filter(Boolean).length * 1.3) + 32
}

export function costUsd(model: Model, promptTokens: number, completionTokens: number): number {
  const p = PRICES[model]
  return Math.round(((promptTokens * p.input + completionTokens * p.output) / 1e6) * 1e8) / 1e8
}

/**
 * The largest completion that keeps the call within `budgetUsd`, so a task cannot overspend
 * by design; 0 when even the prompt does not fit.
 */
export function completionTokensWithin(model: Model, promptTokens: number, budgetUsd: number): number {
  const p = PRICES[model]
  const left = budgetUsd - (promptTokens * p.input) / 1e6
  if (left <= 0) return 0
  return Math.min(Math.floor((left * 1e6) / p.output), p.maxCompletion, DEFAULT_MAX_COMPLETION_TOKENS)
}

/** Dollars readable at any size: cents for normal amounts, two significant digits for fractions of a cent. */
export function formatUsd(usd: number): string {
  return `$${usd >= 0.01 || usd === 0 ? usd.toFixed(2) : usd.toPrecision(2)}`
}
