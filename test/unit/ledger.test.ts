import { describe, expect, it } from "vitest"
import { LedgerEntry } from "../../schemas/index.ts"
import { FREE_TIME_CAP, JOURNAL_CAP } from "../../src/domain/wallets/economy.ts"
import { balanceOf, compareEntries, deriveWallets, emptyWallet, voidedEffects, type Wallet } from "../../src/domain/wallets/ledger.ts"

const entry = (over: Partial<LedgerEntry> & Pick<LedgerEntry, "key">): LedgerEntry =>
  LedgerEntry.parse({ identity: "ada", kind: "grant", amount: 10, bucket: "split", reason: "test", at: 1, by: { kind: "system", name: "relay" }, ...over })

const spend = (key: string, amount: number, at: number, bucket: LedgerEntry["bucket"] = "free_time") => entry({ key, kind: "spend", amount, at, bucket })

/** Balances and statuses only: what must agree across peers. */
const summary = (wallets: Map<string, Wallet>) =>
  [...wallets].map(([id, w]) => ({ id, freeTime: w.freeTime, journal: w.journal, effects: w.entries.map(e => [e.entry.key, e.status, e.freeTime, e.journal, e.overflow]) }))

/** Deterministic Fisher–Yates with a small LCG. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe("deriveWallets: grants", () => {
  it("splits a grant 70 % free time (floor) / 30 % journal", () => {
    const w = balanceOf(deriveWallets([entry({ key: "g1", amount: 10 }), entry({ key: "g2", amount: 15, at: 2 })]), "ada")
    expect(w).toMatchObject({ freeTime: 7 + 10, journal: 3 + 5, freeTimeCap: FREE_TIME_CAP, journalCap: JOURNAL_CAP })
    expect(w.entries.map(e => [e.status, e.freeTime, e.journal, e.overflow])).toEqual([
      ["applied", 7, 3, 0],
      ["applied", 10, 5, 0],
    ])
  })

  it("floors exactly where floating point would not (90 × 0.7 is 62.999… in binary)", () => {
    expect(balanceOf(deriveWallets([entry({ key: "g", amount: 90 })]), "ada")).toMatchObject({ freeTime: 63, journal: 27 })
    expect(balanceOf(deriveWallets([entry({ key: "g", amount: 1 })]), "ada")).toMatchObject({ freeTime: 0, journal: 1 })
  })

  it("caps free time at 500 and journal at 200; a capped grant records what was credited and what overflowed", () => {
    const w = balanceOf(deriveWallets([entry({ key: "a", amount: 700 }), entry({ key: "b", amount: 100, at: 2 })]), "ada")
    expect(w).toMatchObject({ freeTime: 500, journal: 200 })
    const [first, second] = w.entries
    // 700 → 490 free time (fits) + 210 journal (200 fit, 10 overflow).
    expect(first).toMatchObject({ status: "capped", freeTime: 490, journal: 200, overflow: 10 })
    expect(first!.note).toBe("journal at its cap of 200: 10 not credited")
    // 100 → 70 free time (10 fit) + 30 journal (none fit).
    expect(second).toMatchObject({ status: "capped", freeTime: 10, journal: 0, overflow: 90 })
    expect(second!.note).toBe("free time at its cap of 500 and journal at its cap of 200: 90 not credited")
  })

  it("caps single-bucket grants too", () => {
    const w = balanceOf(deriveWallets([entry({ key: "f", amount: 600, bucket: "free_time" }), entry({ key: "j", amount: 250, bucket: "journal" })]), "ada")
    expect(w).toMatchObject({ freeTime: 500, journal: 200 })
    expect(w.entries.map(e => [e.entry.key, e.status, e.freeTime, e.journal, e.overflow])).toEqual([
      ["f", "capped", 500, 0, 100],
      ["j", "capped", 0, 200, 50],
    ])
  })
})

describe("deriveWallets: spends", () => {
  it("applies a spend that keeps its bucket at or above zero, as a negative effect", () => {
    const w = balanceOf(deriveWallets([entry({ key: "g", amount: 100 }), spend("s1", 70, 2), spend("s2", 30, 3, "journal")]), "ada")
    expect(w).toMatchObject({ freeTime: 0, journal: 0 })
    expect(w.entries.slice(1).map(e => [e.status, e.freeTime, e.journal])).toEqual([
      ["applied", -70, 0],
      ["applied", 0, -30],
    ])
  })

  it("voids a spend that would take its bucket below zero: it counts zero and says why", () => {
    const w = balanceOf(deriveWallets([entry({ key: "g", amount: 10 }), spend("s1", 5, 2), spend("s2", 3, 3), spend("j", 4, 4, "journal")]), "ada")
    expect(w).toMatchObject({ freeTime: 2, journal: 3 })
    const [, s1, s2, j] = w.entries
    expect(s1).toMatchObject({ status: "applied", freeTime: -5 })
    expect(s2).toMatchObject({ status: "voided", freeTime: 0, journal: 0, overflow: 0, note: "would take free time below zero after merge (2 available, 3 spent)" })
    expect(j).toMatchObject({ status: "voided", note: "would take journal below zero after merge (3 available, 4 spent)" })
  })

  it("processes by time: a spend before the grant that would fund it is voided", () => {
    const w = balanceOf(deriveWallets([entry({ key: "g", amount: 100, at: 10 }), spend("s", 5, 9)]), "ada")
    expect(w.entries.map(e => [e.entry.key, e.status])).toEqual([
      ["s", "voided"],
      ["g", "applied"],
    ])
    expect(w.freeTime).toBe(70)
  })

  it("breaks ties of time by key, so the same spend is voided on every peer", () => {
    const entries = [entry({ key: "g", amount: 15 }), spend("mail-send:b", 8, 5), spend("mail-send:a", 8, 5)]
    const w = balanceOf(deriveWallets(entries), "ada")
    expect(w.freeTime).toBe(2)
    expect(w.entries.map(e => [e.entry.key, e.status])).toEqual([
      ["g", "applied"],
      ["mail-send:a", "applied"],
      ["mail-send:b", "voided"],
    ])
  })

  it("voids a spend without a bucket (split is for grants)", () => {
    const w = balanceOf(deriveWallets([entry({ key: "g", amount: 100 }), spend("s", 1, 2, "split")]), "ada")
    expect(w.entries[1]).toMatchObject({ status: "voided", note: "a spend must name a bucket (free_time or journal)" })
    expect(w).toMatchObject({ freeTime: 70, journal: 30 })
  })

  it("lists every voided entry, with its key, for operators", () => {
    const wallets = deriveWallets([entry({ key: "g", amount: 15 }), spend("s1", 8, 2), spend("s2", 8, 3), entry({ key: "x", identity: "bo", kind: "spend", amount: 1, bucket: "journal" })])
    expect(voidedEffects(wallets).map(e => e.entry.key)).toEqual(["s2", "x"])
  })
})

describe("deriveWallets: determinism and idempotency", () => {
  it("derives the same wallets from any insertion order", () => {
    const entries: LedgerEntry[] = []
    for (let i = 0; i < 300; i++) {
      const identity = ["ada", "bo", "cy"][i % 3]!
      const at = Math.floor(i / 4) // plenty of equal times, so the key decides
      entries.push(i % 3 === 2 ? entry({ key: `s-${i}`, identity, kind: "spend", amount: 1 + (i % 40), at, bucket: i % 2 ? "free_time" : "journal" }) : entry({ key: `g-${i}`, identity, amount: 1 + (i % 90), at }))
    }
    const expected = summary(deriveWallets(entries))
    expect(expected.flatMap(w => w.effects.map(e => e[1]))).toEqual(expect.arrayContaining(["applied", "capped", "voided"]))
    for (const seed of [1, 2, 3, 42, 1_000])
      expect(summary(deriveWallets(shuffled(entries, seed))).sort((a, b) => a.id.localeCompare(b.id))).toEqual([...expected].sort((a, b) => a.id.localeCompare(b.id)))
  })

  it("counts a key once even when a broken peer repeats it under another map key", () => {
    const w = balanceOf(deriveWallets([entry({ key: "reward:t1:ada", amount: 10 }), entry({ key: "reward:t1:ada", amount: 10, at: 2 })]), "ada")
    expect(w).toMatchObject({ freeTime: 7, journal: 3 })
    expect(w.entries[1]).toMatchObject({ status: "voided", note: "duplicate of key reward:t1:ada: counts once" })
  })

  it("orders by time, then key (plain code-unit order, the same in every locale)", () => {
    const sorted = [entry({ key: "b", at: 2 }), entry({ key: "B", at: 2 }), entry({ key: "a", at: 3 }), entry({ key: "z", at: 1 })].sort(compareEntries)
    expect(sorted.map(e => e.key)).toEqual(["z", "B", "b", "a"])
  })
})

describe("balanceOf", () => {
  it("is an empty wallet for a resident without entries; an empty ledger is an empty map", () => {
    expect(deriveWallets([]).size).toBe(0)
    const wallets = deriveWallets([entry({ key: "g" })])
    expect(wallets.has("bo")).toBe(false)
    expect(balanceOf(wallets, "bo")).toEqual(emptyWallet())
    expect(emptyWallet()).toEqual({ freeTime: 0, journal: 0, freeTimeCap: 500, journalCap: 200, entries: [] })
  })

  it("keeps residents apart", () => {
    const wallets = deriveWallets([entry({ key: "g1", amount: 30 }), entry({ key: "g2", identity: "bo", amount: 10 }), entry({ key: "s", identity: "bo", kind: "spend", amount: 7, bucket: "free_time", at: 2 })])
    expect(balanceOf(wallets, "ada")).toMatchObject({ freeTime: 21, journal: 9 })
    expect(balanceOf(wallets, "bo")).toMatchObject({ freeTime: 0, journal: 3 })
  })
})

// Its speed is measured by `npm run bench -- social` (docs/PERFORMANCE.md), not asserted here.
describe("deriveWallets at scale", () => {
  it("derives 100,000 entries, every one accounted for", () => {
    const entries: LedgerEntry[] = []
    for (let i = 0; i < 100_000; i++) {
      const identity = `r-${i % 50}`
      const base = { identity, reason: "bench", at: 1_700_000_000_000 + ((i * 7_919) % 100_000), by: { kind: "system" as const, name: "relay" } }
      entries.push(i % 4 === 3 ? { ...base, key: `s:${i}`, kind: "spend", amount: 3, bucket: "free_time" } : { ...base, key: `g:${i}`, kind: "grant", amount: 5, bucket: "split" })
    }
    const wallets = deriveWallets(entries)
    expect([...wallets.values()].reduce((n, w) => n + w.entries.length, 0)).toBe(100_000)
  })
})
