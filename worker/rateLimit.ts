/**
 * A token bucket: `perMinute` tokens, refilled continuously, holding at most `capacity`
 * (default: a minute's worth). Workers pace LLM calls with it; the relay meters each
 * connection's messages and bytes.
 */
export class RateLimiter {
  #tokens: number
  #last: number
  constructor(
    readonly perMinute: number,
    readonly now: () => number = Date.now,
    readonly capacity: number = perMinute,
  ) {
    this.#tokens = capacity
    this.#last = now()
  }

  #refill(): void {
    const t = this.now()
    this.#tokens = Math.min(this.capacity, this.#tokens + (Math.max(0, t - this.#last) * this.perMinute) / 60_000)
    this.#last = t
  }

  /** Takes `cost` tokens now if they are free; otherwise says how long until they are. */
  tryTake(cost = 1): { ok: true } | { ok: false; waitMs: number } {
    this.#refill()
    if (this.#tokens >= cost) {
      this.#tokens -= cost
      return { ok: true }
    }
    return { ok: false, waitMs: Math.ceil(((cost - this.#tokens) * 60_000) / this.perMinute) }
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const r = this.tryTake()
      if (r.ok) return
      signal?.throwIfAborted()
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, r.waitMs)
        signal?.addEventListener("abort", () => {
          clearTimeout(timer)
          reject(signal.reason)
        }, { once: true })
      })
    }
  }
}
