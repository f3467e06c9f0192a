/**
 * The pure rules of guilds: which guild a resident belongs to when merges put it in two, the
 * leaderboard (earned and won while a member, nothing stored), how the relay decides a join
 * request at its edges, why actions are refused, and who may change a guild or a request
 * (each refusal checked for its own reason, not just for `ok`).
 */
import { describe, expect, it } from "vitest"
import { Guild, JoinRequest, type Bounty, type LedgerEntry, type Vote } from "../../schemas/index.ts"
import {
  authorizeGuildChange,
  authorizeJoinRequestChange,
  decideJoin,
  effectiveMembers,
  FoundInput,
  foundRefusal,
  joinRefusal,
  leaderboard,
  leaveRefusal,
  memberships,
  requestStatus,
  voteRefusal,
  VoteInput,
} from "../../src/domain/guilds/index.ts"
import { lateVotes, voteKey } from "../../src/domain/votes/index.ts"
import { deriveWallets } from "../../src/domain/wallets/ledger.ts"
import { expectRefused, principal } from "../helpers/verdicts.ts"

const T0 = 1_700_000_000_000

const guild = (id: string, members: Record<string, number>, over: Partial<Guild> = {}): Guild => ({
  id,
  name: id.replace(/^g-/, "").replace(/^./, c => c.toUpperCase()),
  founder: Object.keys(members)[0] ?? "nobody",
  foundedBy: "alice",
  foundedAt: Math.min(T0, ...Object.values(members)),
  members: Object.fromEntries(Object.entries(members).map(([r, at], i) => [r, i === 0 ? { joinedAt: at } : { joinedAt: at, request: `join-${r}` }])),
  ...over,
})

const vote = (voter: string, choice: "accept" | "reject", at = T0 + 10, over: Partial<Vote> = {}): Vote => ({ voter, voterKind: "resident", choice, reason: "good gardener", at, by: "alice", ...over })
const votes = (...list: Vote[]) => Object.fromEntries(list.map(v => [voteKey(v.voterKind, v.voter), v]))

const request = (over: Partial<JoinRequest> = {}): JoinRequest => ({ id: "join-1", guild: "g-gardeners", applicant: "cy", requestedBy: "alice", at: T0 + 5, votes: {}, past: [], ...over })

/** Gardeners: ada (founder), bo, dee, eve, fay; Weavers: gus. */
const gardeners = guild("g-gardeners", { ada: T0, bo: T0 + 1, dee: T0 + 2, eve: T0 + 3, fay: T0 + 4 })
const weavers = guild("g-weavers", { gus: T0 })
const byId = (...list: Guild[]) => new Map(list.map(g => [g.id, g]))

const ALLOWED = { ok: true }

describe("fixtures", () => {
  it("are records the schemas accept", () => {
    for (const g of [gardeners, weavers]) expect(Guild.safeParse(g).success).toBe(true)
    expect(JoinRequest.safeParse(request({ votes: votes(vote("ada", "accept")) })).success).toBe(true)
  })
})

describe("a resident's guild", () => {
  it("is its earliest membership, by joinedAt then guild id, when merges put it in two", () => {
    const early = guild("g-b", { ada: T0 + 10, zed: T0 })
    const tie = guild("g-a", { ada: T0 + 10 })
    const late = guild("g-c", { ada: T0 + 20 })
    expect(memberships([late, early, tie]).get("ada")).toEqual({ guild: "g-a", resident: "ada", joinedAt: T0 + 10 })
    // The order the guilds come in changes nothing.
    expect(memberships([tie, late, early]).get("ada")?.guild).toBe("g-a")
    expect(memberships([late, guild("g-d", { ada: T0 + 5 })]).get("ada")).toMatchObject({ guild: "g-d", joinedAt: T0 + 5 })
    const resolved = memberships([early, tie, late])
    expect(effectiveMembers(early, resolved).map(m => m.resident)).toEqual(["zed"])
    expect(effectiveMembers(late, resolved)).toEqual([])
    expect(effectiveMembers(tie, resolved).map(m => m.resident)).toEqual(["ada"])
  })

  it("a request is pending until the relay writes its decision", () => {
    expect(requestStatus(request())).toBe("pending")
    expect(requestStatus(request({ decision: { outcome: "rejected", counted: ["resident:ada"], score: 0, reason: "0 of 1", at: T0 } }))).toBe("rejected")
  })
})

describe("the leaderboard", () => {
  const grant = (identity: string, amount: number, at: number, key = `g:${identity}:${at}`): LedgerEntry => ({ key, identity, kind: "grant", amount, bucket: "split", reason: "work", at, by: { kind: "system", name: "relay" } })
  const bounty = (id: string, winners: string[], completedAt: number): Bounty => ({
    id,
    title: id,
    description: "",
    reward: 50,
    slots: 1,
    state: "completed",
    submissions: { [`sub-${id}`]: { id: `sub-${id}`, identity: winners[0]!, members: winners, content: "done", at: completedAt - 1 } },
    winner: `sub-${id}`,
    winnerReward: 50,
    completedBy: "alice",
    completedAt,
    createdBy: "alice",
    createdAt: T0,
  })
  const a = guild("g-a", { ada: T0 + 100, bo: T0 + 200 })
  const b = guild("g-b", { cy: T0, dee: T0, eve: T0 })
  // ada is also in g-c through a merge, later: she counts in g-a only.
  const c = guild("g-c", { fay: T0, ada: T0 + 300 })
  const entries = [
    grant("ada", 40, T0 + 50), // before she joined: not counted
    grant("ada", 30, T0 + 150),
    grant("bo", 20, T0 + 250),
    grant("cy", 10, T0 + 10),
    grant("fay", 5, T0 + 10),
    grant("ada", 100, T0 + 400), // while in g-a (and g-c): counted in g-a only
    grant("bo", 1_000, T0 + 500, "voided"),
  ]
  const wallets = deriveWallets(entries, e => (e.key === "voided" ? "void for the test" : undefined))
  const bounties = [bounty("b1", ["cy"], T0 + 20), bounty("b2", ["dee", "eve"], T0 + 30), bounty("b3", ["ada"], T0 + 50), bounty("b4", ["fay", "ada"], T0 + 350)]

  it("counts grants and bounty wins while members, each resident in its own guild only", () => {
    const board = leaderboard([b, c, a], { wallets, bounties }, "earned")
    expect(board.map(s => [s.guild.id, s.earned, s.bounties, s.members.length])).toEqual([
      ["g-a", 150, 1, 2],
      ["g-b", 10, 2, 3],
      ["g-c", 5, 1, 1],
    ])
  })

  it("sorts by the figure asked for, then the others, then the earliest founded", () => {
    expect(leaderboard([a, b, c], { wallets, bounties }, "bounties").map(s => s.guild.id)).toEqual(["g-b", "g-a", "g-c"])
    expect(leaderboard([a, b, c], { wallets, bounties }, "members").map(s => s.guild.id)).toEqual(["g-b", "g-a", "g-c"])
    const later = guild("g-0", { zed: T0 + 1 }, { foundedAt: T0 + 1 })
    const earlier = guild("g-1", { yan: T0 }, { foundedAt: T0 })
    expect(leaderboard([later, earlier], { wallets, bounties: [] }, "earned").map(s => s.guild.id)).toEqual(["g-1", "g-0"])
  })

  it("shows a guild whose last member left as disbanded", () => {
    const [empty] = leaderboard([guild("g-gone", {}, { founder: "ada" })], { wallets, bounties }, "earned")
    expect(empty).toMatchObject({ disbanded: true, members: [], earned: 0, bounties: 0 })
  })
})

describe("the relay's decision", () => {
  const guilds = byId(gardeners, weavers)
  const decide = (vs: Vote[], over: Partial<JoinRequest> = {}, gs = guilds) => decideJoin(request({ votes: votes(...vs), ...over }), gs, T0 + 100)

  it("waits with one vote", () => {
    expect(decide([vote("ada", "accept")])).toBeUndefined()
  })

  it("accepts with two accepts and admits the applicant", () => {
    expect(decide([vote("ada", "accept"), vote("bo", "accept", T0 + 11)])).toEqual({
      decision: { outcome: "accepted", counted: ["resident:ada", "resident:bo"], score: 1, reason: "2 of 2 accepted (at least 60 %)", at: T0 + 100 },
      admit: true,
    })
  })

  it("rejects one accept and one reject (50 % is under 60 %)", () => {
    expect(decide([vote("ada", "accept"), vote("bo", "reject", T0 + 11)])).toMatchObject({ decision: { outcome: "rejected", score: 0.5 }, admit: false })
  })

  it("accepts 3 of 5 (exactly 60 %)", () => {
    const five = [vote("ada", "accept"), vote("bo", "reject", T0 + 11), vote("dee", "accept", T0 + 12), vote("eve", "reject", T0 + 13), vote("fay", "accept", T0 + 14)]
    expect(decide(five)).toMatchObject({ decision: { outcome: "accepted", score: 0.6, counted: ["resident:ada", "resident:bo", "resident:dee", "resident:eve", "resident:fay"] }, admit: true })
  })

  it("rejects an accepted applicant who is in another guild by now, saying so", () => {
    const moved = byId(gardeners, guild("g-weavers", { gus: T0, cy: T0 + 50 }))
    const decided = decide([vote("ada", "accept"), vote("bo", "accept", T0 + 11)], {}, moved)
    expect(decided).toMatchObject({ decision: { outcome: "rejected", score: 1 }, admit: false })
    expect(decided!.decision.reason).toBe("2 of 2 accepted (at least 60 %), but cy is a member of Weavers by now")
  })

  it("decides once; a vote merged in later is kept but not counted", () => {
    const decided = decide([vote("ada", "accept"), vote("bo", "accept", T0 + 11)])!.decision
    const late = request({ votes: votes(vote("ada", "accept"), vote("bo", "accept", T0 + 11), vote("dee", "reject", T0 + 5)), decision: decided })
    expect(decideJoin(late, guilds, T0 + 200)).toBeUndefined()
    expect(lateVotes(late)).toEqual(["resident:dee"])
  })

  it("leaves a request to a guild it does not hold undecided", () => {
    expect(decide([vote("ada", "accept"), vote("bo", "accept")], { guild: "g-nowhere" })).toBeUndefined()
  })
})

describe("refusals", () => {
  const guilds = byId(gardeners, weavers)

  it("founding: a founder already in a guild, or a name in use", () => {
    expect(foundRefusal(guilds, { name: "Potters", founder: "cy" })).toBeUndefined()
    expect(foundRefusal(guilds, { name: "Potters", founder: "gus" })).toBe("gus is a member of Weavers already, and a resident is in one guild")
    expect(foundRefusal(guilds, { name: " gardeners ", founder: "cy" })).toBe("a guild named gardeners exists already")
  })

  it("joining: a disbanded guild, a member, a member elsewhere, a request waiting", () => {
    const state = { guilds, requests: [request()] }
    expect(joinRefusal(gardeners, state, "hal")).toBeUndefined()
    expect(joinRefusal(guild("g-gone", {}, { name: "Gone", founder: "x" }), state, "hal")).toBe("Gone is disbanded: its last member left")
    expect(joinRefusal(gardeners, state, "bo")).toBe("bo is a member of it already")
    expect(joinRefusal(gardeners, state, "gus")).toBe("gus is a member of Weavers already, and a resident is in one guild")
    expect(joinRefusal(gardeners, state, "cy")).toBe("cy has a request waiting already (join-1)")
    // A decided request does not hold a new one back.
    const decided = { guilds, requests: [request({ decision: { outcome: "rejected", counted: ["a"], score: 0, reason: "no", at: T0 } })] }
    expect(joinRefusal(gardeners, decided, "cy")).toBeUndefined()
  })

  it("voting: members of the guild only, never the applicant, once, before the decision; an operator as itself", () => {
    const r = request({ votes: votes(vote("ada", "accept")) })
    expect(voteRefusal(r, guilds.values(), { voter: "bo", voterKind: "resident" })).toBeUndefined()
    expect(voteRefusal(r, guilds.values(), { voter: "alice", voterKind: "operator" })).toBeUndefined()
    expect(voteRefusal(r, guilds.values(), { voter: "ada", voterKind: "resident" })).toBe("ada has voted on it already (one vote each)")
    expect(voteRefusal(r, guilds.values(), { voter: "gus", voterKind: "resident" })).toBe("gus is not a member of the guild g-gardeners: only its members vote")
    expect(voteRefusal(request({ applicant: "bo" }), guilds.values(), { voter: "bo", voterKind: "resident" })).toBe("bo is the applicant: it does not vote on its own request")
    const decided = request({ decision: { outcome: "accepted", counted: ["a", "b"], score: 1, reason: "2 of 2", at: T0 } })
    expect(voteRefusal(decided, guilds.values(), { voter: "bo", voterKind: "resident" })).toBe("the request is accepted already")
    // A member of Gardeners who joined Weavers earlier counts in Weavers: it votes there only.
    const both = byId(gardeners, guild("g-weavers", { gus: T0, bo: T0 - 1 }))
    expect(voteRefusal(r, both.values(), { voter: "bo", voterKind: "resident" })).toMatch(/bo is not a member/)
  })

  it("leaving: members only", () => {
    expect(leaveRefusal(gardeners, "bo")).toBeUndefined()
    expect(leaveRefusal(gardeners, "gus")).toBe("gus is not a member of Gardeners")
  })

  it("inputs: an empty motto is none, a short reason or name is refused", () => {
    expect(FoundInput.parse({ name: " Potters ", motto: "  ", founder: "cy" })).toEqual({ name: "Potters", motto: undefined, founder: "cy" })
    expect(FoundInput.safeParse({ name: "Po", founder: "cy" }).error?.issues[0]?.message).toBe("a guild's name is 3 to 60 characters")
    expect(VoteInput.safeParse({ voter: "ada", voterKind: "resident", choice: "accept", reason: "ok" }).error?.issues[0]?.message).toBe("give a reason of at least 3 characters")
    expect(VoteInput.safeParse({ voter: "ada", voterKind: "resident", choice: "exceptional", reason: "great" }).success).toBe(false)
  })
})

describe("who may change a guild", () => {
  const alice = principal("alice", "operator")
  const w1 = principal("w1", "worker")
  const holders: Record<string, string> = { cy: "w1", bo: "w1" }
  const doc = { guilds: { [gardeners.id]: gardeners, [weavers.id]: weavers } }
  const ctx = (key: string) => ({ key, doc, residentHolder: (r: string) => holders[r] })
  const potters = guild("g-potters", { cy: T0 + 50 }, { foundedBy: "alice" })

  it("an operator or the worker playing the founder founds it, as itself, with the founder alone", () => {
    expect(authorizeGuildChange(undefined, potters, alice, ctx("g-potters"))).toEqual(ALLOWED)
    expect(authorizeGuildChange(undefined, { ...potters, foundedBy: "w1" }, w1, ctx("g-potters"))).toEqual(ALLOWED)
    expectRefused(authorizeGuildChange(undefined, { ...potters, founder: "hal", members: { hal: { joinedAt: T0 } }, foundedBy: "w1" }, w1, ctx("g-potters")), /w1 does not play hal, so it cannot found a guild/)
    expectRefused(authorizeGuildChange(undefined, potters, principal("bob", "operator"), ctx("g-potters")), /says alice founded it, but bob wrote it/)
    expectRefused(authorizeGuildChange(undefined, { ...potters, members: { ...potters.members, hal: { joinedAt: T0 } } }, alice, ctx("g-potters")), /founder cy as its only member/)
    expectRefused(authorizeGuildChange(undefined, { ...potters, members: { cy: { joinedAt: T0, request: "join-x" } } }, alice, ctx("g-potters")), /founder cy as its only member/)
    expectRefused(authorizeGuildChange(undefined, guild("g-potters", { bo: T0 + 50 }), alice, ctx("g-potters")), /bo is a member of guild g-gardeners already/)
    expectRefused(authorizeGuildChange(undefined, potters, alice, ctx("g-other")), /stored under the key g-other/)
    expectRefused(authorizeGuildChange(undefined, potters, principal("pat", "pending"), ctx("g-potters")), /pat is not approved yet/)
  })

  it("nobody deletes it or changes what it was founded as", () => {
    expectRefused(authorizeGuildChange(gardeners, undefined, alice, ctx(gardeners.id)), /cannot be deleted: its history is kept/)
    expectRefused(authorizeGuildChange(gardeners, { ...gardeners, name: "Growers" }, alice, ctx(gardeners.id)), /name is fixed when it is founded/)
    expectRefused(authorizeGuildChange(gardeners, { ...gardeners, founder: "bo" }, alice, ctx(gardeners.id)), /founder is fixed/)
  })

  it("no peer adds a member (the relay does) or changes a membership", () => {
    expectRefused(authorizeGuildChange(gardeners, { ...gardeners, members: { ...gardeners.members, cy: { joinedAt: T0 } } }, alice, ctx(gardeners.id)), /alice cannot add cy as a member: the relay adds members/)
    expectRefused(authorizeGuildChange(gardeners, { ...gardeners, members: { ...gardeners.members, bo: { joinedAt: T0 - 5 } } }, alice, ctx(gardeners.id)), /the membership of bo never changes/)
  })

  it("a member is taken out (leaves) by an operator or the worker playing it only", () => {
    const { bo: _bo, ...withoutBo } = gardeners.members
    const { ada: _ada, ...withoutAda } = gardeners.members
    expect(authorizeGuildChange(gardeners, { ...gardeners, members: withoutBo }, w1, ctx(gardeners.id))).toEqual(ALLOWED)
    expect(authorizeGuildChange(gardeners, { ...gardeners, members: withoutAda }, alice, ctx(gardeners.id))).toEqual(ALLOWED)
    expectRefused(authorizeGuildChange(gardeners, { ...gardeners, members: withoutAda }, w1, ctx(gardeners.id)), /w1 does not play ada, so it cannot take it out/)
    // The last member leaves: the guild stays, disbanded.
    expect(authorizeGuildChange(weavers, { ...weavers, members: {} }, alice, ctx(weavers.id))).toEqual(ALLOWED)
  })
})

describe("who may change a join request", () => {
  const alice = principal("alice", "operator")
  const bob = principal("bob", "operator")
  const w1 = principal("w1", "worker")
  const holders: Record<string, string> = { cy: "w1", bo: "w1" }
  const doc = { guilds: { [gardeners.id]: gardeners, [weavers.id]: weavers } }
  const ctx = { key: "join-1", doc, residentHolder: (r: string) => holders[r] }
  const base = request()
  const withVote = (v: Vote, r: JoinRequest = base) => ({ ...r, votes: { ...r.votes, [voteKey(v.voterKind, v.voter)]: v } })

  it("a new request is made for the applicant by an operator or its worker, as itself, undecided", () => {
    expect(authorizeJoinRequestChange(undefined, base, alice, ctx)).toEqual(ALLOWED)
    expect(authorizeJoinRequestChange(undefined, { ...base, requestedBy: "w1" }, w1, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeJoinRequestChange(undefined, { ...base, applicant: "hal", requestedBy: "w1" }, w1, ctx), /w1 does not play hal, so it cannot ask for it to join/)
    expectRefused(authorizeJoinRequestChange(undefined, base, bob, ctx), /says alice made it, but bob wrote it/)
    const decision = { outcome: "accepted" as const, counted: ["resident:ada", "resident:bo"], score: 1, reason: "2 of 2", at: T0 + 50 }
    expectRefused(authorizeJoinRequestChange(undefined, { ...base, decision }, alice, ctx), /a new join request has no decision or past rounds/)
    // Made and voted on before the relay saw it: the votes are judged as added.
    expect(authorizeJoinRequestChange(undefined, withVote(vote("ada", "accept")), alice, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeJoinRequestChange(undefined, withVote(vote("cy", "accept")), alice, ctx), /cy is the applicant/)
    expectRefused(authorizeJoinRequestChange(undefined, base, alice, { ...ctx, key: "join-2" }), /stored under the key join-2/)
  })

  it("nobody deletes it, changes what was asked, or writes its decision or past rounds", () => {
    const decision = { outcome: "accepted" as const, counted: ["resident:ada", "resident:bo"], score: 1, reason: "2 of 2", at: T0 + 50 }
    expectRefused(authorizeJoinRequestChange(base, undefined, alice, ctx), /cannot be deleted/)
    expectRefused(authorizeJoinRequestChange(base, { ...base, decision }, alice, ctx), /the relay alone writes its decision/)
    expectRefused(authorizeJoinRequestChange(base, { ...base, past: [{ votes: {}, reopenedAt: T0, dispute: "d-1" }] }, alice, ctx), /the relay alone writes its past rounds/)
    expectRefused(authorizeJoinRequestChange(base, { ...base, applicant: "hal" }, alice, ctx), /applicant is fixed when it is made/)
  })

  it("a member's vote is written by its worker or an operator, as itself; an operator votes as itself", () => {
    expect(authorizeJoinRequestChange(base, withVote(vote("ada", "accept")), alice, ctx)).toEqual(ALLOWED)
    expect(authorizeJoinRequestChange(base, withVote(vote("bo", "reject", T0, { by: "w1" })), w1, ctx)).toEqual(ALLOWED)
    expect(authorizeJoinRequestChange(base, withVote(vote("alice", "accept", T0, { voterKind: "operator" })), alice, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("ada", "accept", T0, { by: "w1" })), w1, ctx), /w1 does not play ada, so it cannot vote for it/)
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("ada", "accept", T0, { by: "bob" })), alice, ctx), /says bob wrote it, but alice did/)
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("bob", "accept", T0, { voterKind: "operator" })), alice, ctx), /an operator votes as itself only/)
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("w1", "accept", T0, { voterKind: "operator", by: "w1" })), w1, ctx), /an operator votes as itself only/)
    expectRefused(authorizeJoinRequestChange(base, { ...base, votes: { "resident:bo": vote("ada", "accept") } }, alice, ctx), /stored under resident:bo, not resident:ada/)
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("ada", "exceptional" as "accept")), alice, ctx), /a guild vote accepts or rejects, not exceptional/)
  })

  it("the applicant never votes, and only members of the guild do", () => {
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("cy", "accept", T0, { by: "w1" })), w1, ctx), /cy is the applicant: it does not vote on its own request/)
    expectRefused(authorizeJoinRequestChange(base, withVote(vote("gus", "accept")), alice, ctx), /gus is not a member of the guild g-gardeners/)
  })

  it("votes are only added; the same voter's vote from another peer merges, a counted one is not re-cast later", () => {
    const one = withVote(vote("ada", "accept"))
    expectRefused(authorizeJoinRequestChange(one, base, alice, ctx), /vote resident:ada is never removed/)
    // Bob cast Ada's vote offline too: the merge shows his, before any decision.
    expect(authorizeJoinRequestChange(one, withVote(vote("ada", "reject", T0 + 12, { by: "bob" })), bob, ctx)).toEqual(ALLOWED)
    const decision = { outcome: "accepted" as const, counted: ["resident:ada", "resident:bo"], score: 1, reason: "2 of 2", at: T0 + 50 }
    const decided = { ...withVote(vote("bo", "accept"), one), decision }
    // Cast before the decision (offline), it merges; cast after it, it is a second vote.
    expect(authorizeJoinRequestChange(decided, withVote(vote("ada", "reject", T0 + 40, { by: "bob" }), decided), bob, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeJoinRequestChange(decided, withVote(vote("ada", "reject", T0 + 60, { by: "bob" }), decided), bob, ctx), /vote resident:ada was counted when the request was decided/)
    // A new voter's vote after the decision is kept (not counted).
    expect(authorizeJoinRequestChange(decided, withVote(vote("dee", "reject", T0 + 60), decided), alice, ctx)).toEqual(ALLOWED)
  })
})
