/**
 * The ledger as this browser reads it (src/domain/wallets/segments.ts): the newest checkpoint
 * that verifies and the entries of the segments after it, re-read when the index or one of
 * those segments changes. Never the closed periods' history.
 */
import { computed, onScopeDispose, ref, shallowRef, watch } from "vue"
import type { LedgerEntry } from "../../../schemas/index.ts"
import type { DataIssue } from "../../core/validate.ts"
import { openLedger, tailEntries, type Ledger } from "../../domain/wallets/segments.ts"
import { readLedgerIndex } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument } from "./useDocument.ts"

export function useLedger() {
  const store = useWorkspaceStore()
  const index = useDocument("ledger", computed(() => store.root?.docs.ledger), readLedgerIndex)
  const ledger = shallowRef<Ledger>()
  const entries = shallowRef<Map<string, LedgerEntry>>()
  const error = ref<string>()
  const unavailable = ref(false)
  let off: (() => void) | undefined
  let run = 0

  const read = (current: Ledger) => {
    const issues: DataIssue[] = []
    entries.value = tailEntries(current, issues)
    store.setDocIssues(`wallets ${store.root?.docs.ledger ?? store.root?.docs.wallets ?? ""}`, issues)
  }

  watch(
    [index.value, () => store.root?.docs.wallets],
    async () => {
      const ws = store.session?.workspace
      if (!ws) return
      const mine = ++run
      try {
        const opened = await openLedger(ws)
        if (mine !== run) return
        off?.()
        const onChange = () => read(opened)
        for (const segment of opened.tail) segment.on("change", onChange)
        off = () => opened.tail.forEach(s => s.off("change", onChange))
        ledger.value = opened
        unavailable.value = false
        error.value = undefined
        read(opened)
      } catch (e) {
        if (mine !== run) return
        unavailable.value = true
        error.value = `the wallet ledger is not available yet: ${(e as Error).message}`
      }
    },
    { immediate: true },
  )
  onScopeDispose(() => off?.())
  /** Every key already written: counted by the checkpoint or in a segment after it. */
  const keys = computed(() => new Set([...(ledger.value?.start?.covered ?? []), ...(entries.value?.keys() ?? [])]))
  return { ledger, entries, keys, start: computed(() => ledger.value?.start), error, unavailable }
}
