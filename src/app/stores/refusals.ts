/**
 * Changes the relay refused for good, per document, and the way out: every later change to
 * that document builds on the refused one, so this browser's copy is discarded and loaded
 * from the relay again (src/peer/localCopy.ts).
 */
import { defineStore } from "pinia"
import { ref, shallowRef } from "vue"
import type { RefusedNotice } from "../../peer/relayClientAdapter.ts"

export interface RefusedDocument {
  documentId: string
  reason: string
  at: number
}

export const useRefusalsStore = defineStore("refusals", () => {
  const refused = shallowRef<ReadonlyMap<string, RefusedDocument>>(new Map())
  const discarding = ref<string>()
  const error = ref<string>()
  let discardLocalCopy: ((documentId: string) => Promise<void>) | undefined

  /** The browser's Repo: how a document's local copy is discarded. */
  function attach(discard: (documentId: string) => Promise<void>): void {
    discardLocalCopy = discard
  }

  function record(notice: RefusedNotice): void {
    if (!notice.documentId || notice.retry) return
    refused.value = new Map(refused.value).set(notice.documentId, { documentId: notice.documentId, reason: notice.reason, at: Date.now() })
  }

  /** Discards the local copy of the document and restarts the app, which loads it from the relay. */
  async function discard(documentId: string): Promise<void> {
    if (!discardLocalCopy) return
    discarding.value = documentId
    error.value = undefined
    try {
      await discardLocalCopy(documentId)
      location.reload()
    } catch (e) {
      error.value = `could not discard this browser's copy: ${(e as Error).message}`
      discarding.value = undefined
    }
  }

  return { refused, discarding, error, attach, record, discard }
})
