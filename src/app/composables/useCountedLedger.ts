/**
 * The ledger entries after the checkpoint this browser counts: valid, and signed by a key
 * allowed to write them (src/core/recordAuthority.ts), and the checkpoint derivation starts
 * from. What is left out goes to the data-issue banner.
 */
import { computed, shallowRef, watch } from "vue"
import type { LedgerEntry } from "../../../schemas/index.ts"
import { verifiedLedger } from "../../core/recordAuthority.ts"
import type { DataIssue } from "../../core/validate.ts"
import { readResidentLeases } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument } from "./useDocument.ts"
import { useLedger } from "./useLedger.ts"

export function useCountedLedger() {
  const store = useWorkspaceStore()
  const ledger = useLedger()
  const leases = useDocument("identities", computed(() => store.root?.docs.identities), readResidentLeases)
  const counted = shallowRef<LedgerEntry[]>([])
  let run = 0
  watch(
    [ledger.entries, leases.value, () => store.root],
    async () => {
      const ws = store.session?.workspace
      const entries = ledger.entries.value
      if (!ws || !entries) return (counted.value = [])
      const mine = ++run
      const label = `wallets ${store.root?.docs.wallets ?? ""}`
      const issues: DataIssue[] = []
      const kept = await verifiedLedger(entries.values(), ws.authority, leases.value.value ?? new Map(), label, issues)
      if (mine !== run) return
      counted.value = kept
      store.setDocIssues(`${label} (signatures)`, issues)
    },
    { immediate: true },
  )
  return { counted, start: ledger.start, error: ledger.error, unavailable: ledger.unavailable }
}
