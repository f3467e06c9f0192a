/**
 * An operator action run from a form whose refusal belongs next to the form: the catalogue's
 * sentence and next step (src/core/errors.ts) go to `problem` for a FormProblem to show, while
 * success is said in the usual notice.
 */
import { ref } from "vue"
import { describeError, type ErrorDescription } from "../../core/errors.ts"
import type { OperatorContext } from "../../workspace/actionContext.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"

export function useFormAction() {
  const store = useWorkspaceStore()
  const busy = ref(false)
  const problem = ref<ErrorDescription>()

  /** Runs `fn` as this operator; answers its result, or undefined when it was refused (see `problem`). */
  async function run<T>(done: string, fn: (ctx: OperatorContext) => Promise<T>): Promise<T | undefined> {
    const session = store.session
    if (!session) return undefined
    busy.value = true
    problem.value = undefined
    try {
      const result = await fn(session.context())
      store.say("ok", done)
      return result
    } catch (error) {
      problem.value = describeError(error)
      return undefined
    } finally {
      busy.value = false
    }
  }

  return { busy, problem, run }
}
