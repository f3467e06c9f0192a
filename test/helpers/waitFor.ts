/**
 * A retryable assertion: re-runs `check` whenever one of `events` fires and on a short
 * poll, until it neither throws nor returns `false`, or until `timeoutMs` has passed.
 */

/** Anything with on/off listeners: DocHandle, Repo, EventEmitter, ValidatedRecord, streams. */
export interface Listenable {
  // Emitters type their events in many ways (eventemitter3 generics, Node's EventEmitter);
  // only on/off with a no-argument listener is needed here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: any, listener: (...args: any[]) => void): unknown
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: any, listener: (...args: any[]) => void): unknown
}

export interface WaitForOptions {
  timeoutMs?: number
  /** Fallback poll interval (events make it react sooner). */
  intervalMs?: number
  /** Re-check when any of these fire, e.g. [[handle, "change"]]. */
  events?: ReadonlyArray<readonly [Listenable, string]>
  /** Says what was awaited, for the timeout message. */
  message?: string
}

export class WaitForTimeoutError extends Error {
  override readonly name = "WaitForTimeoutError"
}

export function waitFor<T>(check: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<Exclude<Awaited<T>, false>> {
  const timeoutMs = opts.timeoutMs ?? 5_000
  const intervalMs = opts.intervalMs ?? 25
  const started = Date.now()
  return new Promise((resolve, reject) => {
    let lastError: unknown
    let running = false
    let again = false
    let done = false
    const listeners: Array<() => void> = []

    const finish = (fn: () => void) => {
      if (done) return
      done = true
      clearInterval(poll)
      clearTimeout(timer)
      for (const off of listeners) off()
      fn()
    }
    const attempt = async () => {
      if (done) return
      if (running) {
        again = true
        return
      }
      running = true
      try {
        do {
          again = false
          try {
            const value = await check()
            if (value !== false) return finish(() => resolve(value as Exclude<Awaited<T>, false>))
            lastError = undefined
          } catch (error) {
            lastError = error
          }
        } while (again && !done)
      } finally {
        running = false
      }
    }
    const poll = setInterval(attempt, intervalMs)
    const timer = setTimeout(() => {
      const what = opts.message ? ` (${opts.message})` : ""
      const why = lastError instanceof Error ? `: ${lastError.message}` : lastError !== undefined ? `: ${String(lastError)}` : ": condition still false"
      const error = new WaitForTimeoutError(`waitFor timed out after ${Date.now() - started} ms${what}${why}`, { cause: lastError })
      finish(() => reject(error))
    }, timeoutMs)
    for (const [source, event] of opts.events ?? []) {
      const listener = () => void attempt()
      source.on(event, listener)
      listeners.push(() => source.off(event, listener))
    }
    void attempt()
  })
}
