/**
 * The ledger as every reader must derive it (src/workspace/fencedReaders.ts, the same rules):
 * only the entries this browser counts (signed by a key allowed to write them), and of those,
 * entries of a stale run and payouts of a bounty completion that does not stand are void.
 * Also the voided keys, so that paid mail whose spend is void is not delivered.
 */
import { computed } from "vue"
import type { Bounty } from "../../../schemas/index.ts"
import { bountyPayoutVoids } from "../../domain/bounties/index.ts"
import { deriveWallets, voidedEffects } from "../../domain/wallets/index.ts"
import { staleRunReason } from "../../domain/tasks/index.ts"
import { readBounties } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useCountedLedger } from "./useCountedLedger.ts"
import { useDocument } from "./useDocument.ts"

export function useFencedLedger() {
  const store = useWorkspaceStore()
  const { counted, start, error, unavailable } = useCountedLedger()
  const bounties = useDocument("bounties", computed(() => store.root?.docs.bounties), readBounties)
  const staleRun = computed(() => (run: Parameters<typeof staleRunReason>[0]) => staleRunReason(run, id => store.tasks.get(id)))
  const wallets = computed(() => {
    const fenced = new Map<string, Bounty>()
    for (const [id, b] of bounties.value.value ?? []) {
      const submissions = Object.fromEntries(Object.entries(b.submissions).filter(([, s]) => !staleRun.value(s.run)))
      fenced.set(id, { ...b, submissions })
    }
    const bountyVoid = bountyPayoutVoids(fenced)
    return deriveWallets(counted.value, entry => staleRun.value(entry.run) ?? bountyVoid(entry), start.value)
  })
  const voided = computed(() => new Map(voidedEffects(wallets.value).map(e => [e.entry.key, e.note ?? "void"])))
  return { error, unavailable, wallets, voided, staleRun }
}
