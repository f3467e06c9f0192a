/**
 * The offline copy as the views see it (src/app/session/offlineCopy.ts): progress while this
 * device copies the workspace for the first time, then what it holds.
 */
import { defineStore } from "pinia"
import { computed, ref, shallowRef } from "vue"
import type { OfflineRecord } from "../session/localStore.ts"
import type { OfflineCopy } from "../session/offlineCopy.ts"

export const useOfflineStore = defineStore("offline", () => {
  const copying = ref(false)
  const done = ref(0)
  const total = ref(0)
  const record = shallowRef<OfflineRecord>()
  const error = ref<string>()

  function attach(copy: OfflineCopy): void {
    const read = () => {
      copying.value = copy.copying
      done.value = copy.done
      total.value = copy.total
      record.value = copy.record
      error.value = copy.error
    }
    read()
    copy.on("progress", read)
  }

  /** The first copy on this device is under way (later ones refresh it quietly). */
  const preparing = computed(() => copying.value && !record.value)
  return { copying, done, total, record, error, preparing, attach }
})
