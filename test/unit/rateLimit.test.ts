import { afterEach, describe, expect, it, vi } from "vitest"
import { RateLimiter } from "../../worker/rateLimit.ts"

/** A limiter on a hand-driven clock. */
function limiter(perMinute: number, start = 1_000_000) {
  const clock = { t: start }
  const r = new RateLimiter(perMinute, () => clock.t)
  return { r, clock, advance: (ms: number) => (clock.t += ms) }
}
const takeAll = (r: RateLimiter, n: number) => Array.from({ length: n }, () => r.tryTake())

describe("RateLimiter.tryTake", () => {
  it("lets perMinute calls through at once", () => {
    const { r } = limiter(5)
    expect(takeAll(r, 5)).toEqual(Array(5).fill({ ok: true }))
  })

  it("the call after perMinute is told how long to wait for the next token", () => {
    const { r } = limiter(5)
    takeAll(r, 5)
    expect(r.tryTake()).toEqual({ ok: false, waitMs: 12_000 }) // 60 s / 5
    expect(r.tryTake()).toEqual({ ok: false, waitMs: 12_000 }) // refusing takes nothing
  })

  it("tokens refill continuously with time", () => {
    const { r, advance } = limiter(6)
    takeAll(r, 6)
    advance(4_000) // 0.4 of a token
    expect(r.tryTake()).toEqual({ ok: false, waitMs: 6_000 })
    advance(5_999)
    expect(r.tryTake()).toEqual({ ok: false, waitMs: 1 })
    advance(1)
    expect(r.tryTake()).toEqual({ ok: true })
    expect(r.tryTake().ok).toBe(false)
  })

  it("after waiting the announced waitMs a token is available", () => {
    for (const perMinute of [1, 3, 7, 30, 60, 61, 97, 1000]) {
      const { r, advance } = limiter(perMinute)
      takeAll(r, perMinute)
      const refused = r.tryTake()
      expect(refused.ok, `${perMinute}/min`).toBe(false)
      if (refused.ok) continue
      advance(refused.waitMs)
      expect(r.tryTake(), `${perMinute}/min`).toEqual({ ok: true })
    }
  })

  it("refills at perMinute per minute: a full minute gives all tokens back", () => {
    const { r, advance } = limiter(4)
    takeAll(r, 4)
    advance(60_000)
    expect(takeAll(r, 4)).toEqual(Array(4).fill({ ok: true }))
    expect(r.tryTake().ok).toBe(false)
  })

  it("an idle bucket holds at most perMinute tokens", () => {
    const { r, advance } = limiter(3)
    advance(60 * 60_000)
    expect(takeAll(r, 3)).toEqual(Array(3).fill({ ok: true }))
    expect(r.tryTake()).toEqual({ ok: false, waitMs: 20_000 })
  })

  it("a wall clock that steps backwards does not take tokens away", () => {
    // BUG: #refill adds (now − last) × rate, so an NTP step back of an hour makes the
    // bucket deeply negative and stalls every LLM call for about an hour (Date.now is the default clock).
    const { r, advance } = limiter(60)
    advance(-60 * 60_000)
    expect(r.tryTake()).toEqual({ ok: true })
  })
})

describe("RateLimiter.take", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("resolves at once while tokens are free", async () => {
    const { r } = limiter(2)
    await r.take()
    await r.take()
    expect(r.tryTake().ok).toBe(false)
  })

  it("waits for the next token when the bucket is empty", async () => {
    vi.useFakeTimers()
    const { r, advance } = limiter(2)
    takeAll(r, 2)
    let done = false
    const p = r.take().then(() => (done = true))
    await vi.advanceTimersByTimeAsync(29_999)
    expect(done).toBe(false)
    advance(30_000)
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(done).toBe(true)
  })

  it("rejects with the abort reason when aborted while waiting", async () => {
    vi.useFakeTimers()
    const { r } = limiter(1)
    r.tryTake()
    const ac = new AbortController()
    const p = r.take(ac.signal)
    const reason = new Error("stop")
    ac.abort(reason)
    await expect(p).rejects.toBe(reason)
  })

  it("rejects at once with an already-aborted signal when no token is free", async () => {
    const { r } = limiter(1)
    r.tryTake()
    const reason = new Error("already stopped")
    await expect(r.take(AbortSignal.abort(reason))).rejects.toBe(reason)
  })
})
