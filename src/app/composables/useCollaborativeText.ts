/**
 * Binds a <textarea> to one Automerge text field so that operators typing at once merge
 * character by character. Local input goes to `write` (which applies updateText: minimal
 * splices, never a whole-value overwrite). Remote changes replace the textarea's value and
 * move the caret by the text inserted or deleted before it, read from the change's patches.
 * Vue never binds the value: a re-render must not reset the caret mid-word.
 */
import type { DocHandle, DocHandleChangePayload } from "@automerge/automerge-repo/slim"
import type { Patch } from "@automerge/automerge/slim"
import { onScopeDispose, ref, watch, type Ref } from "vue"

/** Where `offset` in the old text lands after `patches` (Automerge text indices are UTF-16, like the DOM's). */
function shiftOffset(offset: number, patches: readonly Patch[], field: string): number {
  let pos = offset
  for (const patch of patches) {
    const [key, index] = patch.path
    if (key !== field || patch.path.length !== 2 || typeof index !== "number") continue
    if (patch.action === "splice" && index < pos) pos += patch.value.length
    else if (patch.action === "del" && index < pos) pos -= Math.min(patch.length ?? 1, pos - index)
  }
  return pos
}

/** True when a patch touches the field other than as a text splice (e.g. the whole value was replaced). */
const replacesField = (patches: readonly Patch[], field: string) => patches.some(p => p.path[0] === field && p.path.length === 1)

export function useCollaborativeText(
  textarea: Ref<HTMLTextAreaElement | null | undefined>,
  handle: Ref<DocHandle<unknown> | undefined>,
  field: string,
  write: (handle: DocHandle<unknown>, text: string) => void,
  onError: (error: Error) => void,
) {
  /** While an IME composes, remote changes wait: overwriting would break the composition. */
  const composing = ref(false)
  let base = ""
  let held: Patch[] = []

  const textOf = (h: DocHandle<unknown>): string => {
    const value = (h.doc() as Record<string, unknown> | undefined)?.[field]
    return typeof value === "string" ? value : ""
  }

  /** Shows `text`, putting the selection where `map` sends it (only if this textarea has focus). */
  function show(el: HTMLTextAreaElement, text: string, map: (offset: number) => number): void {
    if (el.value === text) return
    const focused = document.activeElement === el
    const { selectionStart, selectionEnd, selectionDirection, scrollTop } = el
    el.value = text
    el.scrollTop = scrollTop
    if (focused) el.setSelectionRange(Math.min(map(selectionStart), text.length), Math.min(map(selectionEnd), text.length), selectionDirection ?? "none")
  }

  function commit(h: DocHandle<unknown>, text: string): boolean {
    try {
      write(h, text)
      return true
    } catch (error) {
      onError(error as Error)
      return false
    }
  }

  const onInput = (event: Event) => {
    const el = textarea.value
    const h = handle.value
    if (!el || !h || composing.value || (event as InputEvent).isComposing) return
    // A refused edit (too long …) shows the document's text again.
    if (!commit(h, el.value)) show(el, textOf(h), o => o)
  }

  const onCompositionStart = () => {
    composing.value = true
    base = textarea.value?.value ?? ""
    held = []
  }

  /**
   * The composed text is one splice of `base`; remote patches that arrived meanwhile moved
   * its place, so it is re-applied at the shifted place on the document's current text.
   */
  const onCompositionEnd = () => {
    composing.value = false
    const el = textarea.value
    const h = handle.value
    if (!el || !h) return
    const local = el.value
    let start = 0
    while (start < base.length && start < local.length && base[start] === local[start]) start++
    let tail = 0
    while (tail < base.length - start && tail < local.length - start && base[base.length - 1 - tail] === local[local.length - 1 - tail]) tail++
    const inserted = local.slice(start, local.length - tail)
    const from = shiftOffset(start, held, field)
    const to = Math.max(from, shiftOffset(base.length - tail, held, field))
    const current = textOf(h)
    const merged = replacesField(held, field) ? local : current.slice(0, from) + inserted + current.slice(to)
    held = []
    if (!commit(h, merged)) return show(el, textOf(h), o => o)
    const caret = from + inserted.length
    el.value = textOf(h)
    el.setSelectionRange(caret, caret)
  }

  const onChange = ({ patches }: DocHandleChangePayload<unknown>) => {
    const el = textarea.value
    const h = handle.value
    if (!el || !h) return
    if (composing.value) {
      held.push(...patches)
      return
    }
    // Our own keystrokes arrive here too: then the textarea already shows the text.
    const text = textOf(h)
    show(el, text, replacesField(patches, field) ? o => o : o => shiftOffset(o, patches, field))
  }

  let detach: (() => void) | undefined
  watch(
    [textarea, handle],
    ([el, h]) => {
      detach?.()
      detach = undefined
      if (!el || !h) return
      composing.value = false
      el.value = textOf(h)
      el.addEventListener("input", onInput)
      el.addEventListener("compositionstart", onCompositionStart)
      el.addEventListener("compositionend", onCompositionEnd)
      h.on("change", onChange)
      detach = () => {
        el.removeEventListener("input", onInput)
        el.removeEventListener("compositionstart", onCompositionStart)
        el.removeEventListener("compositionend", onCompositionEnd)
        h.off("change", onChange)
      }
    },
    { immediate: true, flush: "post" },
  )
  onScopeDispose(() => detach?.())

  return { composing }
}
