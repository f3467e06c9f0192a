/**
 * Undo, in the two forms the state machines allow (docs/OPERATIONS.md lists which action has
 * which):
 *
 * - `hold`: a final move (cancel or fail a task, cancel a quest, delete a bounty) has no
 *   reverse — final states win every merge — so it waits UNDO_MS before it is signed and
 *   written. Undo drops it: nothing was written, nothing is audited. It runs at once when the
 *   page is hidden or closed, so leaving does not lose it.
 * - `offer`: an action that took effect at once (an edit, a revocation) and whose reverse the
 *   state machine allows; Undo runs that reverse, itself a signed, audited action.
 *
 * The toasts are UndoToasts.vue, mounted once in App.vue.
 */
import { defineStore } from "pinia"
import { computed, ref } from "vue"

export const UNDO_MS = 6_000

export interface UndoItem {
  id: number
  /** One per thing: holding "cancel:task-1" twice keeps the first. */
  key: string
  /** What happened (or is about to): "Task “Nightly report” cancelled". */
  text: string
  kind: "hold" | "offer"
  until: number
}

interface Entry {
  item: UndoItem
  timer: ReturnType<typeof setTimeout>
  /** hold: the action to run when the time is up; offer: its reverse. */
  action: () => Promise<unknown>
}

export const useUndoStore = defineStore("undo", () => {
  const items = ref<UndoItem[]>([])
  const entries = new Map<number, Entry>()
  let nextId = 1

  const heldKeys = computed(() => new Set(items.value.filter(i => i.kind === "hold").map(i => i.key)))

  function add(kind: UndoItem["kind"], key: string, text: string, action: () => Promise<unknown>): void {
    if (items.value.some(i => i.key === key && i.kind === kind)) return
    const item: UndoItem = { id: nextId++, key, text, kind, until: Date.now() + UNDO_MS }
    const timer = setTimeout(() => void (kind === "hold" ? commit(item.id) : drop(item.id)), UNDO_MS)
    entries.set(item.id, { item, timer, action })
    items.value = [...items.value, item]
  }

  function take(id: number): Entry | undefined {
    const entry = entries.get(id)
    if (!entry) return undefined
    clearTimeout(entry.timer)
    entries.delete(id)
    items.value = items.value.filter(i => i.id !== id)
    return entry
  }

  function drop(id: number): void {
    take(id)
  }

  /** Runs a held action now (its time is up, the page is being left, or its toast was closed). */
  async function commit(id: number): Promise<void> {
    const entry = take(id)
    if (entry?.item.kind === "hold") await entry.action()
  }

  /** Undo: a held action is dropped unrun; an offered reverse is run. */
  async function undo(id: number): Promise<void> {
    const entry = take(id)
    if (entry?.item.kind === "offer") await entry.action()
  }

  if (typeof window !== "undefined")
    window.addEventListener("pagehide", () => {
      for (const item of items.value) if (item.kind === "hold") void commit(item.id)
    })

  return {
    items,
    /** Whether `key` is held (its button should not start it again). */
    isHeld: (key: string) => heldKeys.value.has(key),
    hold: (key: string, text: string, run: () => Promise<unknown>) => add("hold", key, text, run),
    offer: (key: string, text: string, reverse: () => Promise<unknown>) => add("offer", key, text, reverse),
    commit,
    undo,
    /** Closes an offer's toast (keeps what was done). */
    dismiss: drop,
  }
})
