/** Bounty actions on a network-less, in-memory Repo. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { BountiesDoc, Bounty } from "../../schemas/index.ts"
import { completeBounty, deleteBounty, postBounty, submitToBounty } from "../../src/domain/bounties/actions.ts"
import { NOW, socialFixture, type SocialFixture } from "../helpers/socialFixture.ts"

const WORK = "a careful write-up of the cave map, with sources"
let f: SocialFixture

beforeEach(async () => {
  f = await socialFixture(["Ada", "Bo", "Cy"])
})
afterEach(async () => {
  await f.close()
})

const stored = async (id: string): Promise<Bounty | undefined> => (await f.doc<BountiesDoc>(f.ws.root.docs.bounties)).doc().bounties[id]
const at = (n: number) => ({ workspace: f.ws, now: NOW + n })

describe("postBounty and deleteBounty", () => {
  it("posts an open bounty (audited); deletes it only while open", async () => {
    const b = await postBounty(f.ctx, { title: "Best haiku", description: "about caves", reward: 50, slots: 2 })
    expect(await stored(b.id)).toMatchObject({ title: "Best haiku", reward: 50, slots: 2, state: "open", submissions: {}, createdBy: "alice" })
    await expect(postBounty(f.ctx, { title: "t", reward: 1, slots: 101 })).rejects.toThrow(/^Slots: /)
    await deleteBounty(f.ctx, b.id)
    expect(await stored(b.id)).toBeUndefined()

    const claimed = await postBounty(f.ctx, { title: "Map", reward: 10 })
    await submitToBounty(f.ws, claimed.id, { identity: "ada", content: WORK })
    await expect(deleteBounty(f.ctx, claimed.id)).rejects.toMatchObject({ code: "bounty_not_open", message: `Bounty ${claimed.id} is claimed; only an open bounty can be deleted.` })
    await expect(deleteBounty(f.ctx, "bounty-nope")).rejects.toThrow(/no bounty bounty-nope/)
    expect(f.auditOf(f.ctx).map(e => [e.kind, JSON.parse(e.data).bounty])).toEqual([
      ["social", "posted"],
      ["social", "deleted"],
      ["social", "posted"],
    ])
  })
})

describe("submitToBounty", () => {
  it("computes slot, multiplier and reason; the first submission claims the bounty", async () => {
    const b = await postBounty(f.ctx, { title: "Map", reward: 40, slots: 1 })
    const first = await submitToBounty(at(1), b.id, { identity: "ada", members: ["bo"], content: WORK })
    expect(first).toMatchObject({ identity: "ada", members: ["ada", "bo"], slotIndex: 1, multiplier: 1, reason: "in_slot", at: NOW + 1, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect((await stored(b.id))!.state).toBe("claimed")
    expect(await submitToBounty(at(2), b.id, { identity: "cy", content: WORK })).toMatchObject({ slotIndex: 2, multiplier: 0.5, reason: "overflow" })
    expect(await submitToBounty(at(3), b.id, { identity: "ada", content: `${WORK}, second take` })).toMatchObject({ slotIndex: 3, multiplier: 0, reason: "overflow,repeat_submission" })
    expect(await submitToBounty(at(4), b.id, { identity: "bo", content: "meh" })).toMatchObject({ multiplier: 0, reason: "overflow,insufficient_contribution" })
    expect(Object.keys((await stored(b.id))!.submissions)).toHaveLength(4)
  })

  it("refuses an exact duplicate (any spacing, case or member order), unknown residents, and completed bounties", async () => {
    const b = await postBounty(f.ctx, { title: "Map", reward: 40 })
    const first = await submitToBounty(at(1), b.id, { identity: "ada", members: ["bo"], content: WORK })
    const handle = await f.doc<unknown>(f.ws.root.docs.bounties)
    const heads = handle.heads()
    await expect(submitToBounty(at(2), b.id, { identity: "ada", members: ["bo", "ada"], content: `  ${WORK.toUpperCase()} ` })).rejects.toMatchObject({
      code: "duplicate_submission",
      message: `The same submission is already in bounty ${b.id} (${first.id}).`,
    })
    await expect(submitToBounty(f.ws, b.id, { identity: "ada", members: ["ghost"], content: WORK })).rejects.toThrow("no resident ghost")
    await expect(submitToBounty(f.ws, "bounty-nope", { identity: "ada", content: WORK })).rejects.toThrow(/no bounty bounty-nope/)
    await expect(submitToBounty(f.ws, b.id, { identity: "ada", content: "" })).rejects.toThrow(/the submission is empty/i)
    expect(handle.heads()).toEqual(heads)
    await completeBounty(f.ctx, b.id, { winner: first.id })
    await expect(submitToBounty(f.ws, b.id, { identity: "cy", content: WORK })).rejects.toMatchObject({ code: "bounty_completed", details: { id: b.id } })
  })
})

describe("completeBounty", () => {
  it("pays winner and runner-up × multiplier to each member, once per key; completed bounties refuse", async () => {
    const b = await postBounty(f.ctx, { title: "Map", reward: 40, slots: 1 })
    const team = await submitToBounty(at(1), b.id, { identity: "ada", members: ["bo"], content: WORK })
    const solo = await submitToBounty(at(2), b.id, { identity: "cy", content: WORK })
    const out = await completeBounty({ ...f.ctx, now: NOW + 10 }, b.id, { winner: solo.id, runnerUp: team.id, runnerUpReward: 9 })
    expect(out.payouts).toEqual([
      { place: 1, submission: solo.id, member: "cy", amount: 20, key: `bounty:${b.id}:place:1:cy`, written: true },
      { place: 2, submission: team.id, member: "ada", amount: 9, key: `bounty:${b.id}:place:2:ada`, written: true },
      { place: 2, submission: team.id, member: "bo", amount: 9, key: `bounty:${b.id}:place:2:bo`, written: true },
    ])
    expect(await stored(b.id)).toMatchObject({ state: "completed", winner: solo.id, runnerUp: team.id, winnerReward: 40, runnerUpReward: 9, completedBy: "alice", completedAt: NOW + 10 })
    expect(await f.balance("cy")).toEqual({ freeTime: 14, journal: 6 })
    expect(await f.balance("bo")).toEqual({ freeTime: 6, journal: 3 })
    const payout = f.auditOf(f.ctx).find(e => e.kind === "payout")!
    expect(JSON.parse(payout.data)).toMatchObject({ bounty: "completed", winner: solo.id, runnerUp: team.id })
    await expect(completeBounty(f.ctx, b.id, { winner: solo.id })).rejects.toThrow(`Bounty ${b.id} is already completed (by alice)`)
  })

  it("one submission: the bounty's reward × its multiplier", async () => {
    const b = await postBounty(f.ctx, { title: "Map", reward: 25 })
    const only = await submitToBounty(at(1), b.id, { identity: "ada", content: WORK })
    expect((await completeBounty(f.ctx, b.id, { winner: only.id })).payouts.map(p => [p.member, p.amount])).toEqual([["ada", 25]])
  })

  it("recomputes multipliers from the merged submissions and writes them back", async () => {
    const b = await postBounty(f.ctx, { title: "Map", reward: 40, slots: 1 })
    const late = await submitToBounty(at(5), b.id, { identity: "ada", content: WORK })
    // Another peer's submission, made offline earlier, arrives with its own view: slot 1.
    const handle = await f.doc<BountiesDoc>(f.ws.root.docs.bounties)
    handle.change(d => {
      d.bounties[b.id]!.submissions["sub-early"] = { id: "sub-early", identity: "bo", members: ["bo"], content: `${WORK} (bo)`, at: NOW + 1, slotIndex: 1, multiplier: 1, reason: "in_slot" }
    })
    const out = await completeBounty(f.ctx, b.id, { winner: late.id })
    expect(out.payouts.map(p => [p.member, p.amount])).toEqual([["ada", 20]])
    expect((await stored(b.id))!.submissions[late.id]).toMatchObject({ slotIndex: 2, multiplier: 0.5, reason: "overflow" })
  })

  it("refuses no submissions, unknown or identical winner and runner-up, writing nothing", async () => {
    const b = await postBounty(f.ctx, { title: "Map", reward: 40 })
    await expect(completeBounty(f.ctx, b.id, { winner: "sub-x" })).rejects.toMatchObject({ code: "bounty_no_submissions", message: `Bounty ${b.id} has no submissions yet.` })
    const s = await submitToBounty(at(1), b.id, { identity: "ada", content: WORK })
    await expect(completeBounty(f.ctx, b.id, { winner: "sub-x" })).rejects.toThrow(`There is no submission sub-x in bounty ${b.id}.`)
    await expect(completeBounty(f.ctx, b.id, { winner: s.id, runnerUp: s.id })).rejects.toMatchObject({ code: "runner_up_is_winner" })
    await expect(completeBounty(f.ctx, b.id, { winner: s.id, winnerReward: -1 })).rejects.toThrow(/^Winner reward: /)
    expect(await f.ledgerKeys()).toEqual([])
    expect((await stored(b.id))!.state).toBe("claimed")
  })
})
