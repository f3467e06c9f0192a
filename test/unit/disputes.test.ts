/**
 * The pure rules of disputes: the id fixed by target and round, who took part in a round and
 * so may open one, who is a third party and so may mediate, how a mediator's answer is read
 * (UPHOLD or REOPEN first, whatever its case and punctuation), the suspension an upheld
 * dispute brings, what the relay does next for a mediation, and who may change a dispute
 * (each refusal checked for its own reason).
 */
import { describe, expect, it } from "vitest"
import { Dispute, JoinRequest, JournalReview, type Task, type Vote } from "../../schemas/index.ts"
import {
  authorizeDisputeChange,
  disputedRound,
  disputeId,
  eligibleMediators,
  isSuspended,
  mediationRun,
  mediationStep,
  mediationTaskId,
  mediationTaskText,
  mediatorRefusal,
  OpenInput,
  openRefusal,
  readMediatorAnswer,
  roundParticipants,
  SUSPENSION_MS,
  suspensionEnd,
  TargetRef,
} from "../../src/domain/disputes/index.ts"
import { DEFAULT_HATS, hatForFacet } from "../../src/domain/hats/index.ts"
import { routeReview } from "../../src/domain/tasks/critic.ts"
import { closedRound, voteKey } from "../../src/domain/votes/index.ts"
import { expectRefused, principal } from "../helpers/verdicts.ts"

const T0 = 1_700_000_000_000

const vote = (voter: string, choice: Vote["choice"], over: Partial<Vote> = {}): Vote => ({ voter, voterKind: "resident", choice, reason: `${voter}'s reason`, at: T0 + 10, by: "alice", ...over })
const votes = (...list: Vote[]) => Object.fromEntries(list.map(v => [voteKey(v.voterKind, v.voter), v]))

/** Cy asked to join; bo and operator alice counted (accepted), dee's vote came late. */
const decided = (): JoinRequest => {
  const all = votes(vote("bo", "accept", { at: T0 + 10 }), vote("alice", "accept", { voterKind: "operator", at: T0 + 11 }), vote("dee", "reject", { at: T0 + 30 }))
  return {
    id: "join-1",
    guild: "g-gardeners",
    applicant: "cy",
    requestedBy: "alice",
    at: T0,
    votes: all,
    decision: { outcome: "accepted", counted: [voteKey("resident", "bo"), voteKey("operator", "alice")], score: 1, reason: "2 of 2 accepted (at least 60 %)", at: T0 + 20 },
    past: [],
  }
}
const review = (): JournalReview => ({
  id: "rev-1",
  author: "ada",
  entry: "entry-1",
  excerpt: "Today I mapped the north cave.",
  submittedBy: "alice",
  at: T0,
  cost: 10,
  votes: votes(vote("bo", "accept"), vote("cy", "gaming"), vote("dee", "exceptional")),
  decision: { outcome: "accepted", counted: [voteKey("resident", "bo"), voteKey("resident", "cy"), voteKey("resident", "dee")], score: 1, reason: "average 1.00 of 3 votes (1 or more)", at: T0 + 20 },
  past: [],
})

const target = { kind: "guild_join" as const, id: "join-1" }
const ID = disputeId(target, 0)
const dispute = (over: Partial<Dispute> = {}): Dispute => ({
  id: ID,
  target,
  round: 0,
  requester: "cy",
  requesterKind: "resident",
  openedBy: "alice",
  reason: "the votes came before my note was read",
  risk: "daily_allowance",
  at: T0 + 100,
  room: ID,
  ...over,
})
const mediator = (over: Partial<NonNullable<Dispute["mediator"]>> = {}): NonNullable<Dispute["mediator"]> => ({ resident: "mira", hat: "objectivity", assignedBy: "alice", at: T0 + 200, task: mediationTaskId(ID), ...over })

const ALLOWED = { ok: true }

describe("fixtures", () => {
  it("are records the schemas accept", () => {
    expect(JoinRequest.safeParse(decided()).success).toBe(true)
    expect(JournalReview.safeParse(review()).success).toBe(true)
    expect(Dispute.safeParse(dispute({ mediator: mediator(), resolution: { outcome: "uphold", reason: "fair", at: T0, suspendedUntil: suspensionEnd(T0) } })).success).toBe(true)
  })
})

describe("a dispute's ids", () => {
  it("are fixed by target and round, so two peers opening it offline write one record", () => {
    expect(disputeId(target, 0)).toBe("dispute-guild_join-join-1-0")
    expect(disputeId({ kind: "journal_review", id: "rev-1" }, 2)).toBe("dispute-journal_review-rev-1-2")
    expect(mediationTaskId(ID)).toBe(`mediate-${ID}`)
    expect(mediationTaskId(ID, 3)).toBe(`mediate-${ID}-3`)
    expect([mediationRun(ID, mediationTaskId(ID)), mediationRun(ID, mediationTaskId(ID, 2)), mediationRun(ID, `mediate-${ID}-x`), mediationRun(ID, "task-1")]).toEqual([1, 2, undefined, undefined])
  })

  it("the CLI's target reads kind:id", () => {
    expect(TargetRef.parse("guild_join:join-1")).toEqual(target)
    expect(TargetRef.parse("journal_review:rev-1")).toEqual({ kind: "journal_review", id: "rev-1" })
    expect(TargetRef.safeParse("bounty:b-1").success).toBe(false)
    expect(OpenInput.parse({ target, requester: "cy", requesterKind: "resident", reason: " unfair " })).toMatchObject({ reason: "unfair", risk: "daily_allowance" })
    expect(OpenInput.safeParse({ target, requester: "cy", requesterKind: "resident", reason: "no" }).success).toBe(false)
  })
})

describe("a round's participants", () => {
  it("are the applicant (or author) and the voters its decision counted, never a late vote", () => {
    expect(roundParticipants(decided(), decided())).toEqual([
      { who: "cy", kind: "resident", role: "applicant" },
      { who: "bo", kind: "resident", role: "voter" },
      { who: "alice", kind: "operator", role: "voter" },
    ])
    expect(roundParticipants(review(), review()).map(p => `${p.role}:${p.who}`)).toEqual(["author:ada", "voter:bo", "voter:cy", "voter:dee"])
  })

  it("may open a dispute over a decided round; nobody else, and nobody before the decision", () => {
    for (const who of [{ requester: "cy", requesterKind: "resident" }, { requester: "bo", requesterKind: "resident" }, { requester: "alice", requesterKind: "operator" }] as const)
      expect(openRefusal(decided(), who)).toBeUndefined()
    expect(openRefusal(decided(), { requester: "dee", requesterKind: "resident" })).toBe("dee took no part in that round: the applicant or a voter it counted disputes it")
    expect(openRefusal(decided(), { requester: "alice", requesterKind: "resident" })).toMatch(/^alice took no part/)
    expect(openRefusal(decided(), { requester: "bob", requesterKind: "operator" })).toMatch(/^operator bob took no part/)
    expect(openRefusal(review(), { requester: "zed", requesterKind: "resident" })).toMatch(/the author or a voter/)
    const { decision: _d, ...open } = decided()
    expect(openRefusal(open, { requester: "cy", requesterKind: "resident" })).toBe("its round is not decided yet: a dispute contests a decision")
  })

  it("of a reopened round are read from `past`, where the dispute's round went", () => {
    const reopened: JoinRequest = { ...decided(), past: [closedRound(decided(), ID, T0 + 300)], votes: {} }
    delete reopened.decision
    expect(disputedRound(dispute(), reopened)).toMatchObject({ dispute: ID, decision: { outcome: "accepted" } })
    expect(mediatorRefusal(dispute(), reopened, "bo")).toMatch(/voted in the disputed round/)
  })
})

describe("a mediator", () => {
  it("is a third party: not the requester, the applicant or author, nor a counted voter", () => {
    expect(mediatorRefusal(dispute(), decided(), "mira")).toBeUndefined()
    expect(mediatorRefusal(dispute({ requester: "bo" }), decided(), "bo")).toBe("bo opened the dispute: a mediator is a third party")
    expect(mediatorRefusal(dispute({ requester: "bo" }), decided(), "cy")).toBe("cy is the applicant: a mediator is a third party")
    expect(mediatorRefusal(dispute(), decided(), "bo")).toBe("bo voted in the disputed round: a mediator is a third party")
    // A vote merged in after the decision did not count: its voter is a third party.
    expect(mediatorRefusal(dispute(), decided(), "dee")).toBeUndefined()
    const onReview = dispute({ target: { kind: "journal_review", id: "rev-1" }, requester: "bo" })
    expect(mediatorRefusal(onReview, review(), "ada")).toBe("ada is the author: a mediator is a third party")
    expect(mediatorRefusal(dispute(), undefined, "mira")).toMatch(/is not known here/)
    expect(eligibleMediators(dispute(), decided(), ["bo", "cy", "dee", "mira"])).toEqual(["dee", "mira"])
  })

  it("wears exactly the Hat of Objectivity, and its answer waits for an operator", () => {
    expect(hatForFacet("mediation")?.id).toBe("objectivity")
    const impostor = { id: "judge", name: "Judge", description: "Judges.", prompt: "Decide.", facet: "mediation" as const }
    expect(hatForFacet("mediation", [impostor, ...DEFAULT_HATS])?.id).toBe("objectivity")
    const approve = { verdict: "approve" as const, confidence: 0.95, issues: [] }
    expect(routeReview({ mode: "llm", attempts: 0, facet: "mediation" }, approve, { reviewEverything: false })).toMatchObject({ to: "pending_review", reason: expect.stringContaining("a mediator's answer") })
    expect(routeReview({ mode: "llm", attempts: 0, facet: "review" }, approve, { reviewEverything: false }).to).toBe("approved")
  })

  it("is asked with the dispute, the counted votes and their reasons, and the decision", () => {
    const { title, prompt } = mediationTaskText(dispute(), decided(), { nameOf: (who, kind) => (kind === "operator" ? `operator ${who}` : who.toUpperCase()), guildName: "Gardeners" })
    expect(title).toBe("Mediate the dispute over join request join-1")
    expect(prompt).toContain("Answer with UPHOLD or REOPEN as your first word")
    expect(prompt).toContain("CY asked to join the guild Gardeners.")
    expect(prompt).toContain("CY disputes the decision: “the votes came before my note was read”")
    expect(prompt).toContain("The decision: accepted (2 of 2 accepted (at least 60 %)).")
    expect(prompt).toContain("- BO voted accept: “bo's reason”\n- operator alice voted accept: “alice's reason”")
    expect(prompt).not.toContain("dee")
    // A journal review's author stays unnamed.
    const onReview = mediationTaskText(dispute({ target: { kind: "journal_review", id: "rev-1" }, requester: "ada" }), review(), { nameOf: who => who })
    expect(onReview.prompt).toContain("The author disputes the decision")
    expect(onReview.prompt).toContain("“Today I mapped the north cave.”")
  })
})

describe("a mediator's answer", () => {
  it("is read from its first word, UPHOLD or REOPEN, in any case and punctuation", () => {
    expect(readMediatorAnswer("UPHOLD: the votes were fair.")).toEqual({ outcome: "uphold", reasoning: "the votes were fair." })
    expect(readMediatorAnswer("reopen — the note was never read")).toEqual({ outcome: "reopen", reasoning: "the note was never read" })
    expect(readMediatorAnswer("  **Reopen**.\n\nThe round was rushed.")).toEqual({ outcome: "reopen", reasoning: "The round was rushed." })
    expect(readMediatorAnswer("“Uphold,” because both voters gave reasons.")).toEqual({ outcome: "uphold", reasoning: "because both voters gave reasons." })
    expect(readMediatorAnswer("# UPHOLD\nFair.")).toEqual({ outcome: "uphold", reasoning: "Fair." })
    expect(readMediatorAnswer("REOPEN")).toEqual({ outcome: "reopen", reasoning: "" })
    expect(readMediatorAnswer('UPHOLD: "Both reasons hold."')).toEqual({ outcome: "uphold", reasoning: '"Both reasons hold."' })
    expect(readMediatorAnswer("Reopen - rushed")).toEqual({ outcome: "reopen", reasoning: "rushed" })
  })

  it("names neither when the word is not first, is another word, or is missing", () => {
    for (const text of ["I uphold the decision.", "Upholding it is fair.", "Reopened already", "Both sides have a point.", "", "NEITHER: unclear"]) expect(readMediatorAnswer(text), text).toBeUndefined()
  })
})

describe("a suspension", () => {
  it("lasts two days from the resolution, for the resident who opened the dispute and lost it", () => {
    expect(SUSPENSION_MS).toBe(2 * 24 * 3600_000)
    const upheld = dispute({ resolution: { outcome: "uphold", reason: "fair", at: T0, suspendedUntil: suspensionEnd(T0) } })
    expect(isSuspended("cy", [upheld], T0 + 1)).toBe(true)
    expect(isSuspended("cy", [upheld], suspensionEnd(T0) - 1)).toBe(true)
    expect(isSuspended("cy", [upheld], suspensionEnd(T0))).toBe(false)
    expect(isSuspended("bo", [upheld], T0 + 1)).toBe(false)
    expect(isSuspended("cy", [dispute({ resolution: { outcome: "reopen", reason: "rushed", at: T0 } })], T0 + 1)).toBe(false)
    expect(isSuspended("cy", [dispute()], T0 + 1)).toBe(false)
    // An operator who loses a dispute has no allowance to lose: a resident of the same name keeps its own.
    expect(isSuspended("alice", [{ ...upheld, requester: "alice", requesterKind: "operator" }], T0 + 1)).toBe(false)
  })
})

describe("the relay's next step for a mediation", () => {
  const run = (status: Task["status"], output = "UPHOLD: fair", executions = 1): Pick<Task, "status" | "result" | "executions"> => ({
    status,
    executions: Array.from({ length: executions }, (_, i) => ({ leaseId: `l${i + 1}`, worker: "w1", startedAt: T0 })),
    result: { output, model: "m", costUsd: 0, leaseId: `l${executions}`, worker: "w1", startedAt: T0, finishedAt: T0 + 1 },
  })

  it("queues a missing task, waits for the run, asks again for an unreadable answer, resolves an approved one", () => {
    expect(mediationStep(undefined)).toEqual({ kind: "queue" })
    expect(mediationStep({ status: "running", executions: [] })).toEqual({ kind: "wait" })
    expect(mediationStep(run("pending_review"))).toEqual({ kind: "wait" })
    expect(mediationStep(run("pending_review", "Both sides have a point.", 2))).toEqual({ kind: "unclear", run: 2 })
    expect(mediationStep(run("approved", "REOPEN. Rushed."))).toEqual({ kind: "resolve", answer: { outcome: "reopen", reasoning: "Rushed." } })
    expect(mediationStep(run("approved", "No idea."))).toEqual({ kind: "ended", why: "its approved answer names neither UPHOLD nor REOPEN" })
    expect(mediationStep(run("failed"))).toEqual({ kind: "ended", why: "its task failed" })
    expect(mediationStep(run("cancelled"))).toEqual({ kind: "ended", why: "its task cancelled" })
  })
})

describe("who may change a dispute", () => {
  const alice = principal("alice", "operator")
  const bob = principal("bob", "operator")
  const w1 = principal("w1", "worker")
  const doc = { requests: { "join-1": decided() }, reviews: {} }
  const ctx = { key: ID, doc, residentHolder: (r: string) => (r === "cy" ? "w1" : undefined) }
  const mediated = dispute({ mediator: mediator() })

  it("a participant's dispute is opened by an operator, or the worker playing the requester", () => {
    expect(authorizeDisputeChange(undefined, dispute(), alice, ctx)).toEqual(ALLOWED)
    expect(authorizeDisputeChange(undefined, dispute({ openedBy: "w1" }), w1, ctx)).toEqual(ALLOWED)
    expect(authorizeDisputeChange(undefined, dispute({ requester: "alice", requesterKind: "operator" }), alice, ctx)).toEqual(ALLOWED)
  })

  it("refuses each forged opening for its own reason", () => {
    expectRefused(authorizeDisputeChange(undefined, dispute(), principal("p1", "pending"), ctx), /not approved yet/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ openedBy: "bob" }), alice, ctx), /says bob opened it, but alice wrote it/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ openedBy: "w2", requester: "bo" }), principal("w2", "worker"), ctx), /w2 does not play bo, so it cannot dispute for it/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ openedBy: "bob", requester: "alice", requesterKind: "operator" }), bob, ctx), /an operator disputes as itself only/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ requester: "alice", requesterKind: "operator", openedBy: "w1" }), w1, ctx), /an operator disputes as itself only/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ id: "dispute-x", room: "dispute-x" }), alice, { ...ctx, key: "dispute-x" }), /id is fixed by its target and round \(dispute-guild_join-join-1-0\)/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ id: "d", room: "d" }), alice, ctx), /stored under the key/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ room: "town_hall" }), alice, ctx), /its room is dispute-guild_join-join-1-0/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ resolution: { outcome: "reopen", reason: "x", at: T0 } }), alice, ctx), /alice cannot write its resolution: the relay resolves it/)
    expectRefused(authorizeDisputeChange(undefined, dispute(), alice, { ...ctx, doc: { requests: {}, reviews: {} } }), /there is no join request join-1 to dispute/)
    const later = dispute({ id: disputeId(target, 1), room: disputeId(target, 1), round: 1 })
    expectRefused(authorizeDisputeChange(undefined, later, alice, { ...ctx, key: later.id }), /join request join-1 is in round 0, not round 1/)
    const { decision: _d, ...undecided } = decided()
    expectRefused(authorizeDisputeChange(undefined, dispute(), alice, { ...ctx, doc: { requests: { "join-1": undecided } } }), /its round is not decided yet/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ requester: "dee" }), alice, ctx), /dee took no part in that round/)
  })

  it("two openings made offline merge: the one shown is judged as its writer's own, until it is mediated", () => {
    expect(authorizeDisputeChange(dispute(), dispute({ openedBy: "bob", reason: "bob's words", at: T0 + 150 }), bob, ctx)).toEqual(ALLOWED)
    expect(authorizeDisputeChange(dispute(), dispute(), bob, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ reason: "rewritten" }), bob, ctx), /says alice opened it, but bob wrote it/)
    expectRefused(authorizeDisputeChange(mediated, { ...mediated, reason: "rewritten" }, alice, ctx), /reason is fixed when it is opened/)
  })

  it("operators assign a third-party mediator wearing the Hat of Objectivity, once per mediation task", () => {
    expect(authorizeDisputeChange(dispute(), mediated, alice, ctx)).toEqual(ALLOWED)
    // Opened and given its mediator in one batch (the relay saw neither before): both are judged.
    expect(authorizeDisputeChange(undefined, mediated, alice, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeDisputeChange(undefined, dispute({ mediator: mediator({ resident: "bo" }) }), alice, ctx), /bo voted in the disputed round/)
    expectRefused(authorizeDisputeChange(undefined, dispute({ openedBy: "w1", mediator: mediator({ assignedBy: "w1" }) }), w1, ctx), /w1 is a worker: only operators assign a dispute's mediator/)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ mediator: mediator({ assignedBy: "w1" }) }), w1, ctx), /w1 is a worker: only operators assign a dispute's mediator/)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ mediator: mediator({ assignedBy: "bob" }) }), alice, ctx), /says bob assigned its mediator, but alice wrote it/)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ mediator: { ...mediator(), hat: "builder" as "objectivity" } }), alice, ctx), /a mediator wears the Hat of Objectivity/)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ mediator: mediator({ resident: "bo" }) }), alice, ctx), /bo voted in the disputed round: a mediator is a third party/)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ mediator: mediator({ resident: "cy" }) }), alice, ctx), /cy opened the dispute/)
    expectRefused(authorizeDisputeChange(dispute(), dispute({ mediator: mediator({ task: "task-mine" }) }), alice, ctx), /its first mediation task is mediate-dispute-guild_join-join-1-0/)
    // Once: another mediator only with the next mediation task.
    expectRefused(authorizeDisputeChange(mediated, dispute({ mediator: mediator({ resident: "dee" }) }), alice, ctx), /has a mediator \(task mediate-[^)]+\): a new one comes only with the next mediation task, mediate-dispute-guild_join-join-1-0-2/)
    expect(authorizeDisputeChange(mediated, dispute({ mediator: mediator({ resident: "dee", task: mediationTaskId(ID, 2) }) }), alice, ctx)).toEqual(ALLOWED)
    expectRefused(authorizeDisputeChange(mediated, dispute(), alice, ctx), /its mediator is never taken away/)
  })

  it("no peer writes a resolution, changes what was disputed, or deletes a dispute", () => {
    const resolved = { ...mediated, resolution: { outcome: "uphold" as const, reason: "fair", at: T0 + 500, suspendedUntil: suspensionEnd(T0 + 500) } }
    expectRefused(authorizeDisputeChange(mediated, resolved, w1, ctx), /w1 cannot write its resolution: the relay resolves it/)
    expectRefused(authorizeDisputeChange(mediated, resolved, alice, ctx), /alice cannot write its resolution/)
    expectRefused(authorizeDisputeChange(resolved, mediated, alice, ctx), /resolution is fixed when it is opened and resolved by the relay/)
    expectRefused(authorizeDisputeChange(resolved, { ...resolved, mediator: mediator({ resident: "dee", task: mediationTaskId(ID, 2) }) }, alice, ctx), /is resolved: it needs no mediator/)
    expectRefused(authorizeDisputeChange(mediated, { ...mediated, requester: "bo" }, alice, ctx), /requester is fixed when it is opened/)
    expectRefused(authorizeDisputeChange(dispute(), undefined, alice, ctx), /cannot be deleted/)
  })
})
