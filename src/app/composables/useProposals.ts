/**
 * The workspace's proposals and improvement loops, live: the proposals document opened like
 * any other (useDocument), so the panel follows the relay as loops propose and operators as
 * they approve, apply and roll back. Newest first, the ones waiting for a decision on top.
 */
import { computed } from "vue"
import type { ImprovementLoop, Proposal } from "../../../schemas/index.ts"
import { readLoops, readProposals } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument, type DocumentReader } from "./useDocument.ts"

const readBoth: DocumentReader<{ proposals: ReadonlyMap<string, Proposal>; loops: ReadonlyMap<string, ImprovementLoop> }> = (value, label, issues) => ({
  proposals: readProposals(value, label, issues),
  loops: readLoops(value, label, issues),
})

const waiting = (state: string) => (state === "proposed" || state === "at_checkpoint" ? 0 : 1)

export function useProposals() {
  const store = useWorkspaceStore()
  const url = computed(() => store.root?.docs.proposals)
  const doc = useDocument("proposals", url, readBoth)
  /** False in a workspace from before proposals (its relay adds the document on its next start). */
  const exists = computed(() => !!url.value)
  const proposals = computed(() => [...(doc.value.value?.proposals.values() ?? [])].sort((a, b) => waiting(a.state) - waiting(b.state) || b.proposedAt - a.proposedAt))
  const loops = computed(() => [...(doc.value.value?.loops.values() ?? [])].sort((a, b) => waiting(a.state) - waiting(b.state) || b.createdAt - a.createdAt))
  const byId = computed<ReadonlyMap<string, Proposal>>(() => doc.value.value?.proposals ?? new Map())
  return { ...doc, exists, proposals, loops, byId }
}
