/**
 * The way out after the relay refused a change: Automerge cannot take a change back, and every
 * later change a replica makes to that document builds on the refused one, so the relay holds
 * those back too. Forgetting the replica's copy of the document (its unsynced changes with it)
 * lets it load the document from the relay again.
 */
import type { DocumentId, Repo, StorageAdapterInterface } from "@automerge/automerge-repo/slim"

export async function discardLocalCopy(repo: Repo, storage: StorageAdapterInterface | undefined, documentId: string): Promise<void> {
  // The Repo stops saving the handle; the stored chunks are gone once this resolves.
  repo.delete(documentId as DocumentId)
  await storage?.removeRange([documentId])
}
