/**
 * A pass the relay runs after document changes: bursts of triggers within `delayMs` make one
 * pass, never two at once; a trigger during a pass runs one more after it. Stopped, it runs
 * nothing more.
 */
export interface CoalescedPass {
  readonly trigger: () => void
  /** Runs nothing more; resolves once a pass under way has ended. */
  stop(): Promise<void>
}

export function coalescedPass(run: () => Promise<unknown>, opts: { delayMs?: number; onError: (error: Error) => void }): CoalescedPass {
  let scheduled: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let again = false
  let stopped = false
  const pass = () => {
    if (running) {
      again = true
      return
    }
    running = run()
      .catch(error => opts.onError(error as Error))
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          trigger()
        }
      })
  }
  const trigger = () => {
    if (scheduled || stopped) return
    scheduled = setTimeout(() => {
      scheduled = undefined
      pass()
    }, opts.delayMs ?? 100)
  }
  return {
    trigger,
    async stop() {
      stopped = true
      clearTimeout(scheduled)
      await running
    },
  }
}

/** Something whose "change" events start a pass: a document handle, the workspace's tasks. */
export interface ChangeSource {
  on(event: "change", listener: () => void): unknown
  off(event: "change", listener: () => void): unknown
}

/**
 * A coalesced pass run after every change of `sources`, once every `tickMs` (time-driven
 * rules: deadlines, expiries) and once at once; stopping unsubscribes and waits for a pass
 * under way.
 */
export function passOnChanges(run: () => Promise<unknown>, opts: { sources: readonly (ChangeSource | undefined)[]; tickMs: number; onError: (error: Error) => void }): () => Promise<void> {
  const passes = coalescedPass(run, { onError: opts.onError })
  const sources = opts.sources.filter((s): s is ChangeSource => !!s)
  for (const s of sources) s.on("change", passes.trigger)
  const timer = setInterval(passes.trigger, opts.tickMs)
  timer.unref()
  passes.trigger()
  return async () => {
    clearInterval(timer)
    for (const s of sources) s.off("change", passes.trigger)
    await passes.stop()
  }
}
