/**
 * A room's messages as the view needs them: its segments (src/domain/rooms/segments.ts) are
 * read newest first until they fill `page` messages; older ones load one at a time when the
 * reader asks (scrolling to the top). Each segment is a useDocument of its own, so it stays
 * live, reports its data issues and shows as unavailable like any document.
 */
import { computed, effectScope, onScopeDispose, ref, shallowRef, watch, type EffectScope, type Ref } from "vue"
import type { Message, RoomEntry } from "../../../schemas/index.ts"
import { mergeSegments, roomSegments } from "../../domain/rooms/index.ts"
import { readRoomMessages } from "../../workspace/documentReaders.ts"
import { useDocument } from "./useDocument.ts"

type SegmentDocument = ReturnType<typeof useDocument<Message[]>>

interface Loaded {
  scope: EffectScope
  doc: SegmentDocument
}

const settled = (d: SegmentDocument) => d.value.value !== undefined || d.unavailable.value || d.error.value !== undefined

export function useRoomSegments(room: Ref<RoomEntry>, page: number) {
  const segments = computed(() => roomSegments(room.value))
  /** The oldest segment the view wants; every newer one is read too. */
  const oldest = ref(segments.value[0]!.url)
  const loaded = shallowRef(new Map<string, Loaded>())

  const wanted = computed(() => {
    const i = segments.value.findIndex(s => s.url === oldest.value)
    return segments.value.slice(0, i < 0 ? 1 : i + 1)
  })

  // One live document per wanted segment; those no longer wanted (another room) are let go.
  watch(
    wanted,
    next => {
      const keep = new Map<string, Loaded>()
      for (const s of next) {
        const had = loaded.value.get(s.url)
        if (had) keep.set(s.url, had)
        else {
          const scope = effectScope(true)
          keep.set(s.url, { scope, doc: scope.run(() => useDocument("room", ref(s.url), readRoomMessages))! })
        }
      }
      for (const [url, l] of loaded.value) if (!keep.has(url)) l.scope.stop()
      loaded.value = keep
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    for (const l of loaded.value.values()) l.scope.stop()
  })

  watch(
    () => room.value.id,
    () => (oldest.value = segments.value[0]!.url),
  )

  const docs = computed(() => wanted.value.map(s => loaded.value.get(s.url)?.doc).filter((d): d is SegmentDocument => !!d))
  const newest = computed(() => docs.value[0])
  const messages = computed(() => mergeSegments(docs.value.map(d => d.value.value ?? [])))
  /** A wanted segment is still on its way. */
  const loadingOlder = computed(() => docs.value.slice(1).some(d => !settled(d)))
  /** Every segment is read: the room's beginning is in `messages`. */
  const complete = computed(() => wanted.value.length === segments.value.length && !loadingOlder.value)
  /** Older segments this device does not hold (offline, never copied). */
  const missingOlder = computed(() => docs.value.slice(1).some(d => d.unavailable.value || d.error.value !== undefined))

  function loadOlder() {
    const i = wanted.value.length
    if (loadingOlder.value || i >= segments.value.length) return
    oldest.value = segments.value[i]!.url
  }

  // Fill the first page: while what is read is short of it, read the next older segment.
  watch(
    () => docs.value.every(settled) && messages.value.length < page,
    short => {
      if (short) loadOlder()
    },
    { immediate: true },
  )

  return { newest, messages, loadingOlder, complete, missingOlder, loadOlder }
}
