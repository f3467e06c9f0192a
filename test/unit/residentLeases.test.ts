import { describe, expect, it } from "vitest"
import { planResidentLeases, residentHolders } from "../../src/core/residentLeases.ts"

const lease = (holder: string) => ({ holder, grantedAt: 1, renewedAt: 1 })

describe("resident leases: one worker plays a resident at a time", () => {
  it("gives an unheld resident to the eligible worker with the smallest name", () => {
    const changes = planResidentLeases(["ada"], {}, [
      { name: "w2", identities: ["ada"] },
      { name: "w1", identities: ["ada", "bo"] },
      { name: "w0", identities: ["bo"] },
    ])
    expect(changes).toEqual([{ resident: "ada", to: "w1" }])
  })

  it("keeps the holder while it is online and still offers the resident, even if a smaller name appears", () => {
    expect(planResidentLeases(["ada"], { ada: lease("w2") }, [{ name: "w1", identities: ["ada"] }, { name: "w2", identities: ["ada"] }])).toEqual([])
  })

  it("moves the resident when its holder goes offline or stops offering it, and frees it when nobody can play it", () => {
    expect(planResidentLeases(["ada"], { ada: lease("w2") }, [{ name: "w3", identities: ["ada"] }])).toEqual([{ resident: "ada", from: "w2", to: "w3" }])
    expect(planResidentLeases(["ada"], { ada: lease("w2") }, [{ name: "w2", identities: [] }])).toEqual([{ resident: "ada", from: "w2" }])
    expect(planResidentLeases(["ada"], {}, [])).toEqual([])
  })

  it("maps residents to holders", () => {
    expect(residentHolders({ ada: lease("w1") })).toEqual(new Map([["ada", "w1"]]))
    expect(residentHolders(undefined).size).toBe(0)
  })
})
