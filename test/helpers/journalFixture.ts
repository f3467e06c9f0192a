/** Journal entries for tests: the relay writes them, standing in for the worker that plays the resident. */
import type { JournalEntry } from "../../schemas/index.ts"
import { journalOf, residentOf, writeJournal } from "../../src/domain/residents/actions.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { readJournalEntries } from "../../src/workspace/documentReaders.ts"
import type { TestRelay } from "./relay.ts"
import { waitFor } from "./waitFor.ts"

/**
 * A journal entry of `resident`, written by the relay (the gate lets only the worker holding
 * the resident's lease write its journal; the relay's own writes are not judged), once `peer`
 * holds it.
 */
export async function relayJournalEntry(relay: TestRelay, peer: NodePeer, resident: string, content: string): Promise<JournalEntry> {
  const identity = await waitFor(async () => (await residentOf(relay.workspace, resident).catch(() => undefined)) ?? false, { timeoutMs: 10_000, message: `the relay to know ${resident}` })
  const entry = await writeJournal(relay.repo, identity, { kind: "reflection", content })
  const journal = await journalOf(peer.repo, await residentOf(peer.workspace, resident))
  await waitFor(() => readJournalEntries(journal.doc(), "journal", []).some(e => e.id === entry.id), { events: [[journal, "change"]], timeoutMs: 15_000, message: `the entry in ${peer.identity.name}'s copy` })
  return entry
}
