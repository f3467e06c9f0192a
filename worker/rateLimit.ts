/** A token bucket for LLM calls per worker: `perMinute` calls, refilled continuously. */
export class RateLimiter {
  #tokens: number
  #last: number
  constructor(
    readonly perMinute: number,
    readonly now: () => number = Date.now,
  ) {
    this.#tokens = perMinute
    this.#last = now()
  }

  #refill(): void {
    const t = this.now()
    this.#tokens = Math.min(this.perMinute, this.#tokens + (Math.max(0, t - this.#last) * this.perMinute) / 60_000)
    this.#last = t
  }

  /** Takes a token now if one is free; otherwise says how long until one is. */
  tryTake(): { ok: true } | { ok: false; waitMs: number } {
    this.#refill()
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return { ok: true }
    }
    return { ok: false, waitMs: Math.ceil(((1 - this.#tokens) * 60_000) / this.perMinute) }
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
