/**
 * The queue's filter, kept in the route's query: what the filter bar sets is the URL, so a
 * reload, the back button and a shared link all show the same filtered queue.
 */
import { computed } from "vue"
import { useRoute, useRouter } from "vue-router"
import { filterFromQuery, queryFromFilter, type QueueFilter } from "../../domain/tasks/index.ts"

export function useQueueFilter() {
  const route = useRoute()
  const router = useRouter()
  const filter = computed(() => filterFromQuery(route.query))

  /** Changes some keys ("" or undefined clears one). The URL is replaced, not pushed: typing makes no history. */
  function set(patch: Partial<Record<keyof QueueFilter, string | undefined>>): void {
    void router.replace({ query: queryFromFilter({ ...filter.value, ...patch } as QueueFilter) })
  }
  return { filter, set, clear: () => void router.replace({ query: {} }) }
}
