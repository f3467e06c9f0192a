/**
 * The one confirmation every destructive action asks for: `await confirm({...})` opens the
 * ConfirmDialog (mounted once in App.vue) and resolves true when the person confirms, false
 * when they keep things as they are (the keep button, Escape, or a tap beside the dialog).
 */
import { defineStore } from "pinia"
import { shallowRef } from "vue"

export interface ConfirmRequest {
  /** The question, naming what is at stake: "Cancel the task “Nightly report”?" */
  title: string
  /** What happens, and whether it can be undone. */
  body: string
  /** The confirming button's words: the action itself ("Cancel task"), never "OK". */
  confirm: string
  /** The button that changes nothing (default "Keep it"). */
  keep?: string
}

interface Pending extends ConfirmRequest {
  resolve: (confirmed: boolean) => void
}

export const useConfirmStore = defineStore("confirm", () => {
  const pending = shallowRef<Pending>()

  function confirm(request: ConfirmRequest): Promise<boolean> {
    // A second question replaces an open one, which counts as kept.
    pending.value?.resolve(false)
    return new Promise(resolve => {
      pending.value = { ...request, resolve }
    })
  }

  function answer(confirmed: boolean): void {
    const current = pending.value
    pending.value = undefined
    current?.resolve(confirmed)
  }

  return { pending, confirm, answer }
})
