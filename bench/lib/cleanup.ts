/**
 * One place that undoes everything a benchmark started (child processes, relays, temp
 * dirs, repos), in reverse order, on success, on error and on SIGINT/SIGTERM.
 */
export type CleanupFn = () => void | Promise<void>

export class Cleanup {
  readonly #stack: { label: string; fn: CleanupFn }[] = []
  #running: Promise<void> | undefined

  /** Registers `fn`; the returned function runs it early (and unregisters it). */
  add(label: string, fn: CleanupFn): () => Promise<void> {
    const entry = { label, fn }
    this.#stack.push(entry)
    return async () => {
      const i = this.#stack.indexOf(entry)
      if (i < 0) return
      this.#stack.splice(i, 1)
      await entry.fn()
    }
  }

  /** Runs every registered step, newest first; a failing step does not stop the others. */
  runAll(): Promise<void> {
    return (this.#running ??= (async () => {
      while (this.#stack.length) {
        const { label, fn } = this.#stack.pop()!
        try {
          await withTimeout(Promise.resolve().then(fn), 15_000, label)
        } catch (error) {
          console.error(`[bench] cleanup ${label}: ${(error as Error).message}`)
        }
      }
      this.#running = undefined
    })())
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
      timer.unref()
    }),
  ]).finally(() => clearTimeout(timer))
}
