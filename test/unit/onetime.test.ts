import { describe, expect, it } from "vitest"
import { OneTimeTask } from "../../schemas/index.ts"
import { authorizeOneTimeChange, claimRefusal, claimTaskId, OneTimeInput } from "../../src/domain/onetime/index.ts"
import { principal } from "../helpers/gateHarness.ts"

const task = (over: Partial<OneTimeTask> = {}): OneTimeTask => ({ id: "first-poem", title: "Write a poem", prompt: "Four lines.", bonusTokens: 25, eligible: [], createdBy: "alice", createdAt: 1, ...over })
const alice = principal("alice", "operator")
const ctx = { key: "first-poem" }

describe("one-time task rules", () => {
  it("a claim's task id is fixed by task and resident", () => {
    expect(claimTaskId("first-poem", "ada")).toBe("onetime-first-poem-ada")
    expect(OneTimeTask.safeParse(task()).success).toBe(true)
  })

  it("says why a resident may not claim: retired, not eligible, paid, claimed", () => {
    expect(claimRefusal(task(), "ada", { paid: false, claimed: false })).toBeUndefined()
    expect(claimRefusal(task({ retired: true }), "ada", { paid: false, claimed: false })).toBe("it is retired")
    expect(claimRefusal(task({ eligible: ["mira"] }), "ada", { paid: false, claimed: false })).toBe("it is for other residents")
    expect(claimRefusal(task({ eligible: ["ada"] }), "ada", { paid: false, claimed: false })).toBeUndefined()
    expect(claimRefusal(task(), "ada", { paid: true, claimed: true })).toBe("this resident has done it already")
    expect(claimRefusal(task(), "ada", { paid: false, claimed: true })).toBe("this resident has claimed it already")
  })

  it("the input defaults the bonus to 25 and refuses a bad id", () => {
    expect(OneTimeInput.parse({ id: "first-poem", title: "Poem", prompt: "Four lines." })).toMatchObject({ bonusTokens: 25, eligible: [] })
    expect(OneTimeInput.safeParse({ id: "First Poem", title: "Poem", prompt: "Four lines." }).success).toBe(false)
  })

  it("operators add as themselves and edit, nobody deletes, workers write none", () => {
    expect(authorizeOneTimeChange(undefined, task(), alice, ctx)).toEqual({ ok: true })
    expect(authorizeOneTimeChange(undefined, task({ createdBy: "bob" }), alice, ctx).ok).toBe(false)
    expect(authorizeOneTimeChange(task(), task({ bonusTokens: 50, retired: true }), principal("bob", "operator"), ctx)).toEqual({ ok: true })
    expect(authorizeOneTimeChange(task(), task({ createdBy: "bob" }), alice, ctx).ok).toBe(false)
    expect(authorizeOneTimeChange(task(), undefined, alice, ctx).ok).toBe(false)
    expect(authorizeOneTimeChange(undefined, task(), principal("w1", "worker"), ctx).ok).toBe(false)
  })
})
