import { describe, expect, it } from "vitest"
import { MODEL_WHITELIST } from "../../schemas/index.ts"
import {
  chooseModel,
  completionTokensWithin,
  costUsd,
  DEFAULT_MAX_COMPLETION_TOKENS,
  estimateComplexity,
  estimatePromptTokens,
  PRICES,
} from "../../src/domain/tasks/pricing.ts"

const MODELS = Object.keys(PRICES) as (keyof typeof PRICES)[]
const words = (n: number) => Array.from({ length: n }, () => "word").join(" ")

describe("PRICES", () => {
  it("price every whitelisted model in USD per million tokens, as in the original (§9.2)", () => {
    expect([...MODELS].sort()).toEqual([...MODEL_WHITELIST].sort())
    expect(PRICES).toEqual({
      "llama-3.1-8b-instant": { input: 0.05, output: 0.08, maxCompletion: 8192 },
      "llama-3.3-70b-versatile": { input: 0.59, output: 0.79, maxCompletion: 32768 },
      "openai/gpt-oss-120b": { input: 0.15, output: 0.6, maxCompletion: 32768 },
      "openai/gpt-oss-20b": { input: 0.075, output: 0.3, maxCompletion: 4096 },
    })
  })
})

describe("estimateComplexity", () => {
  it("a short prompt without keywords is low (0)", () => {
    expect(estimateComplexity("say hello to the town")).toBe(0)
    expect(estimateComplexity("")).toBe(0)
  })

  it("length counts ⌊⌊words × 1.3⌋ / 10⌋", () => {
    expect(estimateComplexity(words(7))).toBe(0) // ⌊9.1⌋ = 9 → 0
    expect(estimateComplexity(words(8))).toBe(1) // ⌊10.4⌋ = 10 → 1
    expect(estimateComplexity(words(100))).toBe(13)
  })

  it("each technical keyword adds 2", () => {
    expect(estimateComplexity("tell me about sql")).toBe(2)
    expect(estimateComplexity("tell me about sql and docker")).toBe(4)
    expect(estimateComplexity("optimize the SQL database cache")).toBe(8)
  })

  it("a keyword counts once however often it appears", () => {
    expect(estimateComplexity("sql sql sql")).toBe(2)
  })

  it("a prompt longer than 800 characters adds 5", () => {
    expect(estimateComplexity("x".repeat(800))).toBe(0)
    expect(estimateComplexity("x".repeat(801))).toBe(5)
  })
})

describe("chooseModel", () => {
  it("auto picks the 8b model for a simple prompt", () => {
    expect(chooseModel("auto", "write a haiku about autumn")).toBe("llama-3.1-8b-instant")
  })

  it("auto picks the 70b model for a complex prompt", () => {
    expect(chooseModel("auto", "refactor the distributed pipeline to use async database migration")).toBe("llama-3.3-70b-versatile")
    expect(chooseModel("auto", "x".repeat(801) + " " + words(40))).toBe("llama-3.3-70b-versatile")
  })

  it("complexity 8 is still simple, 9 and up is complex", () => {
    const eight = "optimize sql database api" // 4 keywords
    expect(estimateComplexity(eight)).toBe(8)
    expect(chooseModel("auto", eight)).toBe("llama-3.1-8b-instant")
    const nine = `${eight} ${words(4)}` // 8 words → ⌊10.4⌋ / 10 = 1, plus 8 for the keywords
    expect(estimateComplexity(nine)).toBe(9)
    expect(chooseModel("auto", nine)).toBe("llama-3.3-70b-versatile")
  })

  it("an explicit model is kept, however simple or complex the prompt", () => {
    for (const m of MODELS) {
      expect(chooseModel(m, "hi")).toBe(m)
      expect(chooseModel(m, "refactor the distributed pipeline to use async database migration")).toBe(m)
    }
  })
})

describe("costUsd", () => {
  it("a million prompt and a million completion tokens cost input + output price", () => {
    expect(costUsd("llama-3.1-8b-instant", 1_000_000, 1_000_000)).toBe(0.13)
    expect(costUsd("llama-3.3-70b-versatile", 1_000_000, 1_000_000)).toBe(1.38)
    expect(costUsd("openai/gpt-oss-120b", 1_000_000, 1_000_000)).toBe(0.75)
    expect(costUsd("openai/gpt-oss-20b", 1_000_000, 1_000_000)).toBe(0.375)
  })

  it("is exact for each model on an ordinary call (1234 prompt, 567 completion tokens)", () => {
    expect(costUsd("llama-3.1-8b-instant", 1234, 567)).toBe(0.00010706)
    expect(costUsd("llama-3.3-70b-versatile", 1234, 567)).toBe(0.00117599)
    expect(costUsd("openai/gpt-oss-120b", 1234, 567)).toBe(0.0005253)
    expect(costUsd("openai/gpt-oss-20b", 1234, 567)).toBe(0.00026265)
  })

  it("prices prompt and completion tokens separately", () => {
    expect(costUsd("llama-3.3-70b-versatile", 1_000_000, 0)).toBe(0.59)
    expect(costUsd("llama-3.3-70b-versatile", 0, 1_000_000)).toBe(0.79)
    expect(costUsd("openai/gpt-oss-20b", 0, 0)).toBe(0)
  })

  it("is rounded to 1e-8 USD", () => {
    expect(costUsd("llama-3.1-8b-instant", 1, 0)).toBe(5e-8)
    expect(costUsd("llama-3.1-8b-instant", 0, 1)).toBe(8e-8)
  })
})

describe("completionTokensWithin", () => {
  it("gives the largest completion that keeps prompt + completion within the budget", () => {
    // 70b: 1000 prompt tokens cost $0.00059; $0.00041 left buys ⌊410 / 0.79⌋ = 518 tokens.
    const n = completionTokensWithin("llama-3.3-70b-versatile", 1000, 0.001)
    expect(n).toBe(518)
    expect(costUsd("llama-3.3-70b-versatile", 1000, n)).toBeLessThanOrEqual(0.001)
    expect(costUsd("llama-3.3-70b-versatile", 1000, n + 1)).toBeGreaterThan(0.001)
  })

  it("never lets prompt + completion cost exceed the budget", () => {
    for (const m of MODELS)
      for (const budget of [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1])
        for (const prompt of [0, 1, 32, 100, 999, 1000, 4321, 20_000, 100_000]) {
          const n = completionTokensWithin(m, prompt, budget)
          expect(n, `${m} ${prompt} $${budget}`).toBeGreaterThanOrEqual(0)
          if (n > 0) expect(costUsd(m, prompt, n), `${m} ${prompt} $${budget}`).toBeLessThanOrEqual(budget)
        }
  })

  it("is capped at 4096 tokens and at the model's max completion, however large the budget", () => {
    expect(DEFAULT_MAX_COMPLETION_TOKENS).toBe(4096)
    for (const m of MODELS) {
      const n = completionTokensWithin(m, 100, 1000)
      expect(n, m).toBe(Math.min(PRICES[m].maxCompletion, DEFAULT_MAX_COMPLETION_TOKENS))
      expect(n, m).toBe(4096)
    }
  })

  it("is 0 when the prompt alone exceeds the budget", () => {
    // 10,000 prompt tokens on 70b cost $0.0059.
    expect(completionTokensWithin("llama-3.3-70b-versatile", 10_000, 0.005)).toBe(0)
    expect(completionTokensWithin("llama-3.1-8b-instant", 1_000_000, 0.01)).toBe(0)
  })

  it("is 0 when the prompt uses the budget exactly, or the budget is 0", () => {
    expect(completionTokensWithin("llama-3.1-8b-instant", 20_000, 0.001)).toBe(0) // 20,000 × $0.05/M = $0.001
    expect(completionTokensWithin("openai/gpt-oss-120b", 0, 0)).toBe(0)
  })
})

describe("estimatePromptTokens", () => {
  it("is ⌈words × 1.3⌉ plus 32 tokens of overhead", () => {
    expect(estimatePromptTokens("")).toBe(32)
    expect(estimatePromptTokens("one two three")).toBe(36) // ⌈3.9⌉ + 32
    expect(estimatePromptTokens("  one\n\ttwo  ")).toBe(35) // ⌈2.6⌉ + 32
  })
})
