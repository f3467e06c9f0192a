import { describe, expect, it } from "vitest"
import { SCHEMA_VERSION } from "../../schemas/index.ts"
import { planResidentLeases, residentHolders } from "../../src/domain/residents/residentLeases.ts"
import type { DataIssue } from "../../src/core/validate.ts"
import { readResidentLeases } from "../../src/workspace/documentReaders.ts"

const lease = (holder: string) => ({ holder, grantedAt: 1, renewedAt: 1 })

describe("resident leases: one worker plays a resident at a time", () => {
  it("gives an unheld resident to the eligible worker with the smallest name", () => {
    const changes = planResidentLeases(["ada"], new Map(), [
      { name: "w2", identities: ["ada"] },
      { name: "w1", identities: ["ada", "bo"] },
      { name: "w0", identities: ["bo"] },
    ])
    expect(changes).toEqual([{ resident: "ada", to: "w1" }])
  })

  it("keeps the holder while it is online and still offers the resident, even if a smaller name appears", () => {
    expect(planResidentLeases(["ada"], new Map([["ada", lease("w2")]]), [{ name: "w1", identities: ["ada"] }, { name: "w2", identities: ["ada"] }])).toEqual([])
  })

  it("moves the resident when its holder goes offline or stops offering it, and frees it when nobody can play it", () => {
    expect(planResidentLeases(["ada"], new Map([["ada", lease("w2")]]), [{ name: "w3", identities: ["ada"] }])).toEqual([{ resident: "ada", from: "w2", to: "w3" }])
    expect(planResidentLeases(["ada"], new Map([["ada", lease("w2")]]), [{ name: "w2", identities: [] }])).toEqual([{ resident: "ada", from: "w2" }])
    expect(planResidentLeases(["ada"], new Map(), [])).toEqual([])
  })

  it("lets a holder away for less than the online window keep its resident, and gives an away worker nothing new", () => {
    const held = new Map([["ada", lease("w2")]])
    expect(planResidentLeases(["ada"], held, [{ name: "w1", identities: ["ada"] }, { name: "w2", identities: ["ada"], away: true }])).toEqual([])
    expect(planResidentLeases(["ada"], new Map(), [{ name: "w1", identities: ["ada"], away: true }, { name: "w2", identities: ["ada"] }])).toEqual([{ resident: "ada", to: "w2" }])
    expect(planResidentLeases(["ada"], new Map(), [{ name: "w1", identities: ["ada"], away: true }])).toEqual([])
  })

  it("maps residents to holders", () => {
    expect(residentHolders(new Map([["ada", lease("w1")]]))).toEqual(new Map([["ada", "w1"]]))
    expect(residentHolders(new Map()).size).toBe(0)
  })
})

describe("reading the leases", () => {
  it("keeps valid leases, reports a broken one with its path, and reads a document without leases as none", () => {
    const issues: DataIssue[] = []
    const doc = { schemaVersion: SCHEMA_VERSION, kind: "identities", identities: {}, leases: { ada: lease("w1"), bo: { holder: 7 } } }
    expect(readResidentLeases(doc, "identities x", issues)).toEqual(new Map([["ada", lease("w1")]]))
    expect(issues.map(i => i.path)).toEqual(["leases.bo.holder", "leases.bo.grantedAt", "leases.bo.renewedAt"])
    expect(readResidentLeases({ schemaVersion: SCHEMA_VERSION, kind: "identities", identities: {} }, "identities x", []).size).toBe(0)
  })
})
