import { afterEach, describe, expect, it, vi } from "vitest"
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/core/backoff.ts"

const lowest = () => 0
const highest = () => 1

describe("backoffDelay", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it("defaults to a 2 s base and a 60 s cap", () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 2_000, capMs: 60_000 })
  })

  it("grows exponentially: base × 2^(attempt − 1) at the top of the jitter range", () => {
    expect([1, 2, 3, 4, 5].map(a => backoffDelay(a, DEFAULT_BACKOFF, highest))).toEqual([2_000, 4_000, 8_000, 16_000, 32_000])
  })

  it("is capped at capMs", () => {
    expect(backoffDelay(6, DEFAULT_BACKOFF, highest)).toBe(60_000) // 64 s → 60 s
    expect(backoffDelay(10, DEFAULT_BACKOFF, highest)).toBe(60_000)
    expect(backoffDelay(1_000, DEFAULT_BACKOFF, highest)).toBe(60_000)
  })

  it("with random 0 the delay is half the exponential step (the fixed half of equal jitter)", () => {
    expect([1, 2, 3, 6, 20].map(a => backoffDelay(a, DEFAULT_BACKOFF, lowest))).toEqual([1_000, 2_000, 4_000, 30_000, 30_000])
  })

  it("jitter stays within [exp/2, exp] for every random value", () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const exp = Math.min(60_000, 2_000 * 2 ** (attempt - 1))
      for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.999, 1]) {
        const d = backoffDelay(attempt, DEFAULT_BACKOFF, () => r)
        expect(d, `attempt ${attempt}, random ${r}`).toBeGreaterThanOrEqual(exp / 2)
        expect(d, `attempt ${attempt}, random ${r}`).toBeLessThanOrEqual(exp)
      }
    }
  })

  it("random 0.5 lands at three quarters of the step", () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(6_000)
  })

  it("attempt 0 (or below) is treated as the first attempt", () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, highest)).toBe(2_000)
    expect(backoffDelay(-3, DEFAULT_BACKOFF, highest)).toBe(2_000)
  })

  it("honours custom base and cap, and rounds to whole milliseconds", () => {
    const opts = { baseMs: 100, capMs: 500 }
    expect([1, 2, 3, 4].map(a => backoffDelay(a, opts, highest))).toEqual([100, 200, 400, 500])
    expect(backoffDelay(1, { baseMs: 3, capMs: 100 }, lowest)).toBe(2) // 1.5 → 2
    expect(Number.isInteger(backoffDelay(2, { baseMs: 7, capMs: 100 }, () => 0.3))).toBe(true)
  })

  it("uses Math.random and the default options when none are given", () => {
    vi.spyOn(Math, "random").mockReturnValue(0)
    expect(backoffDelay(2)).toBe(2_000)
    vi.spyOn(Math, "random").mockReturnValue(1)
    expect(backoffDelay(2)).toBe(4_000)
  })
})
