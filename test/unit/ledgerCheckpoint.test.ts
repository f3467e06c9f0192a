import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { balanceOf, carriedForward, compareEntries, deriveWallets, type VoidRule, type Wallet } from "../../src/domain/wallets/ledger.ts"
import { arbitraryLedger, ledgerEntryOf } from "../helpers/ledgerArbitrary.ts"

const entry = ledgerEntryOf

/** Balances by resident (an all-zero wallet reads the same as an absent one: balanceOf). */
const balances = (wallets: Map<string, Wallet>) =>
  Object.fromEntries([...wallets].filter(([, w]) => w.freeTime || w.journal).map(([id, w]) => [id, [w.freeTime, w.journal]]))

const ledger = arbitraryLedger(60, fc.integer({ min: 1, max: 30 }))

describe("deriving from a checkpoint", () => {
  it("derive(all) equals derive(the entries after a boundary) started from what was carried forward at the boundary", () => {
    fc.assert(
      fc.property(ledger, fc.nat(), fc.boolean(), (entries, cut, withVoids) => {
        const voidOf: VoidRule | undefined = withVoids ? e => (e.amount % 7 === 0 ? "void rule" : undefined) : undefined
        const sorted = [...entries].sort(compareEntries)
        const boundary = sorted.length ? cut % (sorted.length + 1) : 0
        const start = carriedForward(deriveWallets(sorted.slice(0, boundary), voidOf))
        const fromCheckpoint = deriveWallets(sorted.slice(boundary), voidOf, start)
        expect(balances(fromCheckpoint)).toEqual(balances(deriveWallets(entries, voidOf)))
      }),
      { numRuns: 300 },
    )
  })

  it("carries forward across several checkpoints", () => {
    fc.assert(
      fc.property(ledger, fc.array(fc.nat(), { maxLength: 4 }), (entries, cuts) => {
        const sorted = [...entries].sort(compareEntries)
        const bounds = [...new Set(cuts.map(c => (sorted.length ? c % (sorted.length + 1) : 0)))].sort((a, b) => a - b)
        let start = carriedForward(new Map())
        let from = 0
        for (const b of bounds) {
          start = carriedForward(deriveWallets(sorted.slice(from, b), undefined, start), start)
          from = b
        }
        expect(balances(deriveWallets(sorted.slice(from), undefined, start))).toEqual(balances(deriveWallets(entries)))
      }),
      { numRuns: 200 },
    )
  })

  it("counts a key the checkpoint covers zero times, wherever it appears again", () => {
    const start = carriedForward(deriveWallets([entry({ key: "reward:t1:ada", amount: 10, at: 5 })]))
    const later = deriveWallets([entry({ key: "reward:t1:ada", amount: 10, at: 50 }), entry({ key: "g2", amount: 20, at: 60 })], undefined, start)
    expect(balanceOf(later, "ada")).toMatchObject({ freeTime: 7 + 14, journal: 3 + 6 })
    expect(balanceOf(later, "ada").entries.map(e => e.entry.key)).toEqual(["g2"])
  })

  it("applies an entry the checkpoint did not cover after it, even when its time is earlier (a late entry)", () => {
    const start = carriedForward(deriveWallets([entry({ key: "g1", amount: 100, at: 10 })]))
    const late = entry({ key: "s-late", kind: "spend", bucket: "free_time", amount: 60, at: 5 })
    const w = balanceOf(deriveWallets([late], undefined, start), "ada")
    expect(w).toMatchObject({ freeTime: 10, journal: 30 })
    expect(w.entries.map(e => [e.entry.key, e.status])).toEqual([["s-late", "applied"]])
  })

  it("keeps a resident's balances when it has no entry after the checkpoint", () => {
    const start = carriedForward(deriveWallets([entry({ key: "g1", identity: "bob", amount: 10 })]))
    expect(balanceOf(deriveWallets([], undefined, start), "bob")).toMatchObject({ freeTime: 7, journal: 3, entries: [] })
  })
})
