/** Random ledgers for property tests of derivation (fast-check). */
import fc from "fast-check"
import { LedgerEntry } from "../../schemas/index.ts"

export const ledgerEntryOf = (over: Partial<LedgerEntry> & Pick<LedgerEntry, "key">): LedgerEntry =>
  LedgerEntry.parse({ identity: "ada", kind: "grant", amount: 10, bucket: "split", reason: "test", at: 1, by: { kind: "system", name: "relay" }, ...over })

/** Up to 80 entries: few residents and few distinct times `at` (many ties), grants and spends of every bucket, keys k0…k`keys` (some repeated). */
export const arbitraryLedger = (keys: number, at: fc.Arbitrary<number>): fc.Arbitrary<LedgerEntry[]> =>
  fc
    .array(
      fc.record({
        key: fc.integer({ min: 0, max: keys }).map(n => `k${n}`),
        identity: fc.constantFrom("ada", "bob", "cyd"),
        kind: fc.constantFrom("grant", "spend") as fc.Arbitrary<"grant" | "spend">,
        amount: fc.integer({ min: 1, max: 400 }),
        bucket: fc.constantFrom("split", "free_time", "journal") as fc.Arbitrary<LedgerEntry["bucket"]>,
        at,
      }),
      { maxLength: 80 },
    )
    .map(list => list.map(e => ledgerEntryOf(e)))
