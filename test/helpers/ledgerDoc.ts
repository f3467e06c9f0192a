/**
 * A ledger segment's entries as a test inspects them: every map it keeps them in (the flat
 * map and the day maps, src/domain/wallets/days.ts), read the way every reader reads them.
 */
import type { LedgerEntry } from "../../schemas/index.ts"
import { readLedger } from "../../src/workspace/documentReaders.ts"

export const ledgerEntries = (doc: unknown): Map<string, LedgerEntry> => readLedger(doc, "wallets", [])

export const ledgerEntry = (doc: unknown, key: string): LedgerEntry | undefined => ledgerEntries(doc).get(key)
