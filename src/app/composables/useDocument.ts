/**
 * A validated, reactive snapshot of one replicated document (a room, a quest, an audit
 * log …). The snapshot is re-read on each change; its data issues go to the app banner.
 * A document neither this device nor the relay holds is `unavailable` (shown with
 * DocumentUnavailable.vue) and loads by itself once it arrives, e.g. back online.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { onScopeDispose, ref, shallowRef, watch, type Ref } from "vue"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { readSnapshot, type DocumentReader } from "./snapshot.ts"

export type { DocumentReader } from "./snapshot.ts"

export function useDocument<T>(kind: string, url: Ref<string | undefined>, read: DocumentReader<T>) {
  const store = useWorkspaceStore()
  const value = shallowRef<T>()
  const handle = shallowRef<DocHandle<unknown>>()
  const loading = ref(false)
  const error = ref<string>()
  const unavailable = ref(false)
  let off: (() => void) | undefined

  /** A change handler: never throws; a document that cannot be read keeps the last good snapshot. */
  const refresh = (h: DocHandle<unknown>, label: string) => {
    unavailable.value = false
    const next = readSnapshot(read, () => h.doc(), label, value.value)
    value.value = next.value
    error.value = next.error
    store.setDocIssues(label, next.issues)
  }

  watch(
    url,
    async next => {
      off?.()
      off = undefined
      value.value = undefined
      handle.value = undefined
      error.value = undefined
      unavailable.value = false
      if (!next || !store.session) return
      const label = `${kind} ${next}`
      loading.value = true
      try {
        const h = await store.session.find<unknown>(next)
        if (url.value !== next) return
        handle.value = h
        const onChange = whenReady(h, () => refresh(h, label))
        h.on("change", onChange)
        off = () => h.off("change", onChange)
        if (h.isReady()) refresh(h, label)
        else unavailable.value = true
      } catch (e) {
        error.value = `${label} is not available yet: ${(e as Error).message}`
      } finally {
        loading.value = false
      }
    },
    { immediate: true },
  )
  onScopeDispose(() => off?.())
  return { value, handle, loading, error, unavailable }
}

/**
 * A change handler for a handle that may not be ready yet: an unavailable document that
 * arrives emits its first change just before it turns ready, so that one is read a moment later.
 */
export function whenReady(handle: DocHandle<unknown>, read: () => void): () => void {
  return () => {
    if (handle.isReady()) read()
    else queueMicrotask(() => handle.isReady() && read())
  }
}
