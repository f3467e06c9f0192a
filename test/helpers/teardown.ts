/**
 * A stack of clean-up steps run in reverse order after each test (or after all tests),
 * even when the test failed. Every helper that starts something registers its stop here.
 */
import { afterAll, afterEach } from "vitest"

export type TeardownStep = () => unknown

export interface Teardown {
  /** Registers a clean-up step; steps run last-in, first-out. */
  add(step: TeardownStep): void
  /** Runs (and forgets) every registered step; throws the first error once all ran. */
  run(): Promise<void>
}

export function createTeardown(): Teardown {
  const steps: TeardownStep[] = []
  return {
    add(step) {
      steps.push(step)
    },
    async run() {
      const errors: unknown[] = []
      while (steps.length) {
        const step = steps.pop()!
        try {
          await step()
        } catch (error) {
          errors.push(error)
        }
      }
      if (errors.length) throw errors[0]
    },
  }
}

/** A teardown that vitest runs after each test of the calling file (or after all of them). */
export function useTeardown(when: "each" | "all" = "each"): Teardown {
  const teardown = createTeardown()
  ;(when === "each" ? afterEach : afterAll)(() => teardown.run())
  return teardown
}

/**
 * A teardown for one test, run when that test finishes. Use this in concurrent tests, where
 * file-wide afterEach hooks cannot tell the tests apart:
 * `it.concurrent("…", async ({ onTestFinished }) => { const teardown = teardownFor({ onTestFinished }) … })`.
 */
export function teardownFor(context: { onTestFinished: (fn: () => Promise<void>) => void }): Teardown {
  const teardown = createTeardown()
  context.onTestFinished(() => teardown.run())
  return teardown
}
