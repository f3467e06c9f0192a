/**
 * Keeps a scrolling box at its newest (bottom) line while what it shows grows, as long as the
 * reader is at the bottom; a reader who scrolled up to read back is left alone.
 */
import { nextTick, watch, type Ref, type WatchSource } from "vue"

/** How close to the bottom still counts as "at the bottom" (px). */
const SLACK = 40

export function useStickToBottom(box: Ref<HTMLElement | null>, content: WatchSource) {
  let forced = false
  // Measured before the DOM grows (the watcher runs before the render), scrolled after it.
  watch(content, async () => {
    const el = box.value
    const atBottom = forced || !el || el.scrollHeight - el.scrollTop - el.clientHeight < SLACK
    forced = false
    await nextTick()
    if (atBottom && box.value) box.value.scrollTop = box.value.scrollHeight
  })
  /** Follow the next growth even if the reader is not at the bottom (they just sent something). */
  return { stick: () => (forced = true) }
}
