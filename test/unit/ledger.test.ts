import { describe, expect, it } from "vitest"
import { LedgerEntry } from "../../schemas/index.ts"
import { balances, emptyBalance } from "../../src/core/ledger.ts"

const entry = (over: Partial<LedgerEntry> & Pick<LedgerEntry, "key">): LedgerEntry =>
  LedgerEntry.parse({ identity: "ada", kind: "grant", amount: 10, bucket: "free_time", reason: "test", at: 1, by: { kind: "system", name: "relay" }, ...over })

describe("balances", () => {
  it("is grants minus spends, per resident and bucket", () => {
    const result = balances([
      entry({ key: "g1", amount: 30 }),
      entry({ key: "g2", amount: 5, bucket: "journal" }),
      entry({ key: "s1", kind: "spend", amount: 12 }),
      entry({ key: "g3", identity: "bo", amount: 7 }),
    ])
    expect(result.get("ada")).toEqual({ free_time: 18, journal: 5 })
    expect(result.get("bo")).toEqual({ free_time: 7, journal: 0 })
  })

  it("can go negative (spends over grants show as such, not clamped)", () => {
    expect(balances([entry({ key: "s", kind: "spend", amount: 3, bucket: "journal" })]).get("ada")).toEqual({ free_time: 0, journal: -3 })
  })

  it("leaves residents with no entries out; an empty ledger is an empty map", () => {
    expect(balances([]).size).toBe(0)
    expect(balances([entry({ key: "g" })]).has("bo")).toBe(false)
    expect(emptyBalance()).toEqual({ free_time: 0, journal: 0 })
  })
})
