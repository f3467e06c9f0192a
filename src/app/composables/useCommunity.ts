/**
 * The community document, live: guilds, join requests, journal reviews and disputes, each
 * validated record by record (an invalid one is left out and reported), opened like any other
 * document so the panel follows the relay's decisions as they land.
 */
import { computed } from "vue"
import type { Dispute, Guild, JoinRequest, JournalReview } from "../../../schemas/index.ts"
import { readDisputes, readGuilds, readJoinRequests, readJournalReviews } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument, type DocumentReader } from "./useDocument.ts"

export interface Community {
  guilds: ReadonlyMap<string, Guild>
  requests: ReadonlyMap<string, JoinRequest>
  reviews: ReadonlyMap<string, JournalReview>
  disputes: ReadonlyMap<string, Dispute>
}

const readCommunity: DocumentReader<Community> = (value, label, issues) => ({
  guilds: readGuilds(value, label, issues),
  requests: readJoinRequests(value, label, issues),
  reviews: readJournalReviews(value, label, issues),
  disputes: readDisputes(value, label, issues),
})

const EMPTY: Community = { guilds: new Map(), requests: new Map(), reviews: new Map(), disputes: new Map() }

export function useCommunity() {
  const store = useWorkspaceStore()
  const url = computed(() => store.root?.docs.community)
  const doc = useDocument("community", url, readCommunity)
  /** False in a workspace from before the community document (its relay adds it on its next start). */
  const exists = computed(() => !!url.value)
  const community = computed(() => doc.value.value ?? EMPTY)
  return { ...doc, exists, community }
}
