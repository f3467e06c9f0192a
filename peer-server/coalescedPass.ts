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
