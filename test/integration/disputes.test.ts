/**
 * Disputes end to end over real WebSockets, with a real worker playing the mediator and
 * calling the fake Groq server through the real groq-sdk: the applicant of an accepted guild
 * join disputes it, the relay opens the dispute's room and waits for a mediator; a participant
 * is refused as mediator, a third party mediates wearing the Hat of Objectivity; its REOPEN,
 * approved by an operator, closes the round into `past`, clears its votes and takes the
 * membership back. A second dispute's unclear answer is requeued, its UPHOLD suspends the
 * requester's daily allowance (short resident days). Two operators opening the same dispute
 * offline end with one; the gate refuses forged changes; the CLI does it all with --json.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { Dispute, JoinRequest, JournalReview, type CommunityDoc, type Identity, type WalletsDoc } from "../../schemas/index.ts"
import { assignMediator, disputeId, disputesOf, mediationTaskId, openDispute, type ListedDispute, type ShownDispute } from "../../src/domain/disputes/index.ts"
import { castGuildVote, foundGuild, openCommunity, requestToJoin } from "../../src/domain/guilds/index.ts"
import { forgeIdentity, residents } from "../../src/domain/residents/actions.ts"
import { roomMessages } from "../../src/domain/rooms/index.ts"
import { decideTask } from "../../src/domain/tasks/index.ts"
import { dayIndex, ledgerKeys } from "../../src/domain/wallets/economy.ts"
import { voteKey } from "../../src/domain/votes/index.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { runMain } from "../helpers/cli.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { ledgerEntry } from "../helpers/ledgerDoc.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, runToReviewAsRelay, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
/** A resident-day of the economy: short, so the test sees allowances of several days. */
const DAY_MS = 1_500

/** The community document as a peer (the relay, an operator's peer) holds it. */
const community = (ws: Workspace): Promise<DocHandle<CommunityDoc>> => openCommunity(ws)

/** Waits until `peer` holds join request `id` in a state `check` accepts. */
async function requestAt(ws: Workspace, id: string, check: (r: JoinRequest) => boolean, message: string): Promise<JoinRequest> {
  const handle = await community(ws)
  return waitFor(() => {
    const r = JoinRequest.safeParse(handle.doc().requests[id]).data
    return r && check(r) ? r : false
  }, { events: [[handle, "change"]], timeoutMs: 15_000, message })
}

/** Waits until the relay holds dispute `id` in a state `check` accepts. */
function relayDispute(handle: DocHandle<CommunityDoc>, id: string, check: (d: Dispute) => boolean, message: string): Promise<Dispute> {
  return waitFor(() => {
    const d = Dispute.safeParse(handle.doc().disputes[id]).data
    return d && check(d) ? d : false
  }, { events: [[handle, "change"]], timeoutMs: 20_000, message })
}

async function roomHas(relay: TestRelay, room: string, id: string): Promise<string> {
  return waitFor(async () => (await roomMessages(relay.workspace, room).catch(() => [])).find(m => m.id === id)?.content ?? false, { timeoutMs: 15_000, message: `message ${id} in ${room}` })
}

/**
 * Both votes a guild join needs in round `round`: a member's and the operator's own; the relay
 * decides it, and the operator sees the decision. The votes are cast once the relay holds the
 * open round (the guild and the request): the gate judges a vote against what it holds.
 */
async function voteIn(relay: TestRelay, ctx: OperatorContext, request: string, member: string, round: number): Promise<void> {
  for (const ws of [relay.workspace, ctx.workspace]) await requestAt(ws, request, r => r.past.length === round && !r.decision, `round ${round} of ${request} open`)
  await castGuildVote(ctx, request, { voter: member, voterKind: "resident", choice: "accept", reason: "a careful gardener" })
  await castGuildVote(ctx, request, { voter: ctx.actor.name, voterKind: "operator", choice: "accept", reason: "seen the work" })
  await requestAt(relay.workspace, request, r => r.past.length === round && !!r.decision, `round ${round} of ${request} decided`)
  await requestAt(ctx.workspace, request, r => r.past.length === round && !!r.decision, `round ${round}'s decision at the operator`)
}

/** Runs the mediation task to review, then decides it as the operator. */
async function answered(relay: TestRelay, ctx: OperatorContext, task: string, decision: "approve" | "requeue", runs: number): Promise<void> {
  await waitFor(() => relay.workspace.tasks.get(task)?.status === "pending_review" && relay.workspace.tasks.get(task)!.executions.length === runs, {
    events: [[relay.workspace.tasks, "change"]],
    timeoutMs: 30_000,
    message: `run ${runs} of ${task} in review`,
  })
  await waitFor(() => ctx.workspace.tasks.get(task)?.status === "pending_review" && ctx.workspace.tasks.get(task)!.executions.length === runs, { events: [[ctx.workspace.tasks, "change"]], timeoutMs: 10_000 })
  await decideTask(ctx, task, decision)
}

describe("disputes", () => {
  it("a third party wearing the Hat of Objectivity reopens a round, and upholds the next one, suspending the requester's allowance", async () => {
    const answers = ["REOPEN: the operator voted before the applicant's note was read; vote again.", "Both sides have a point.", "UPHOLD: both votes gave reasons that hold."]
    const fake = await startFakeGroq({ kind: "answer", text: prompt => (prompt.startsWith("You mediate a dispute") ? answers.shift() ?? "UPHOLD: nothing new." : "Done as asked, carefully.") })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100, residentDayMs: DAY_MS })
    const op = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(op)
    const [ada, ben, mira] = [await forgeIdentity(ctx, { name: "Ada" }), await forgeIdentity(ctx, { name: "Ben" }), await forgeIdentity(ctx, { name: "Mira" })]
    const worker = await startWorker(teardown, relay, "w1", { fake, identities: [mira.id] })
    await approveWorker(relay, worker.name)
    const handle = await community(relay.workspace)

    // Ada asks to join Ben's guild; Ben and the operator accept; the relay admits her.
    const guild = await foundGuild(ctx, { name: "Gardeners", founder: ben.id })
    const request = await requestToJoin(ctx, guild.id, { applicant: ada.id, note: "I grow tomatoes." })
    await voteIn(relay, ctx, request.id, ben.id, 0)
    await waitFor(() => handle.doc().guilds[guild.id]?.members[ada.id]?.request === request.id, { events: [[handle, "change"]], message: "Ada admitted" })

    // The applicant disputes it: the relay opens the dispute's room and waits for a mediator.
    const first = await openDispute(ctx, { target: { kind: "guild_join", id: request.id }, requester: ada.id, requesterKind: "resident", reason: "my note was never read" })
    expect(first).toMatchObject({ id: disputeId({ kind: "guild_join", id: request.id }, 0), round: 0, room: first.id, risk: "daily_allowance" })
    await expect(openDispute(ctx, { target: { kind: "guild_join", id: request.id }, requester: ben.id, requesterKind: "resident", reason: "again" })).rejects.toMatchObject({ code: "dispute_exists" })
    const opened = await roomHas(relay, first.room, `opened-${first.id}`)
    expect(opened).toContain("Ada disputes the decision on join request")
    expect(opened).toContain("Awaiting a mediator wearing the Hat of Objectivity.")

    // Participants do not mediate; Mira, a third party, does.
    await expect(assignMediator(ctx, first.id, { resident: ben.id })).rejects.toMatchObject({ code: "dispute_refused", message: expect.stringContaining("voted in the disputed round") })
    await expect(assignMediator(ctx, first.id, { resident: ada.id })).rejects.toMatchObject({ code: "dispute_refused", message: expect.stringContaining("opened the dispute") })
    const assigned = await assignMediator(ctx, first.id, { resident: mira.id })
    expect(assigned.mediator).toMatchObject({ resident: mira.id, hat: "objectivity", task: mediationTaskId(first.id) })
    await expect(assignMediator(ctx, first.id, { resident: mira.id })).rejects.toMatchObject({ code: "dispute_refused", message: expect.stringContaining("a new mediator comes only after") })

    // The relay queues the mediation for Mira; her worker wears the Hat of Objectivity; REOPEN, approved.
    const task1 = mediationTaskId(first.id)
    await answered(relay, ctx, task1, "approve", 1)
    const run = relay.workspace.tasks.get(task1)!
    expect(run).toMatchObject({ facet: "mediation", targetIdentity: mira.id, room: first.room, result: { hat: "objectivity", worker: worker.name } })
    expect(run.result!.context).toContain("Wear the Hat of Objectivity hat.")
    expect(fake.systems.get(run.prompt!)).toContain("Wear the Hat of Objectivity hat.")
    expect(run.prompt).toContain("Ada disputes the decision: “my note was never read”")
    expect(run.prompt).toContain("voted accept: “a careful gardener”")
    const reopened = await relayDispute(handle, first.id, d => !!d.resolution, "the first dispute resolved")
    expect(reopened.resolution).toMatchObject({ outcome: "reopen", reason: "the operator voted before the applicant's note was read; vote again." })
    expect(reopened.resolution!.suspendedUntil).toBeUndefined()
    const revoting = handle.doc().requests[request.id]!
    expect(revoting.votes).toEqual({})
    expect(revoting.decision).toBeUndefined()
    expect(revoting.past).toHaveLength(1)
    expect(revoting.past[0]).toMatchObject({ dispute: first.id, decision: { outcome: "accepted" } })
    expect(Object.keys(revoting.past[0]!.votes).sort()).toEqual([voteKey("operator", ctx.actor.name), voteKey("resident", ben.id)].sort())
    expect(handle.doc().guilds[guild.id]!.members[ada.id]).toBeUndefined()
    expect(await roomHas(relay, first.room, `resolved-${first.id}`)).toMatch(/^Reopened: the votes on join request .* are cleared/)

    // Voted again and accepted; disputed again (round 1). An unclear answer is requeued, then UPHOLD.
    await voteIn(relay, ctx, request.id, ben.id, 1)
    const second = await openDispute(ctx, { target: { kind: "guild_join", id: request.id }, requester: ada.id, requesterKind: "resident", reason: "the same two voted the same way" })
    expect(second.id).toBe(disputeId({ kind: "guild_join", id: request.id }, 1))
    await waitFor(async () => (await disputesOf(ctx.workspace)).some(d => d.id === second.id), { timeoutMs: 5_000 })
    await assignMediator(ctx, second.id, { resident: mira.id })
    const task2 = mediationTaskId(second.id)
    await answered(relay, ctx, task2, "requeue", 1)
    expect(await roomHas(relay, second.room, `unclear-${task2}-1`)).toContain("does not start with UPHOLD or REOPEN")
    await answered(relay, ctx, task2, "approve", 2)
    const upheld = await relayDispute(handle, second.id, d => !!d.resolution, "the second dispute resolved")
    expect(upheld.resolution).toMatchObject({ outcome: "uphold", reason: "both votes gave reasons that hold.", suspendedUntil: upheld.resolution!.at + 2 * 24 * 3600_000 })
    expect(handle.doc().requests[request.id]!.past).toHaveLength(1)
    expect(handle.doc().guilds[guild.id]!.members[ada.id]?.request).toBe(request.id)

    // While suspended, every resident but Ada gets the allowance of each new day.
    const wallets = await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)
    const paid = (who: Identity, day: number) => !!ledgerEntry(wallets.doc(), ledgerKeys.allowance(who.id, day))
    const suspendedFrom = dayIndex(upheld.resolution!.at, DAY_MS) + 1
    await waitFor(() => paid(ben, suspendedFrom + 1) && paid(mira, suspendedFrom + 1), { events: [[wallets, "change"]], timeoutMs: 15_000, message: "two more days of allowances" })
    expect([paid(ada, suspendedFrom), paid(ada, suspendedFrom + 1)]).toEqual([false, false])
    // Before the suspension she was paid like anyone.
    expect(paid(ada, dayIndex(first.at, DAY_MS))).toBe(true)
    expect(await roomHas(relay, second.room, `resolved-${second.id}`)).toContain("gets no daily allowance until")
  }, 120_000)

  it("two operators opening the same dispute offline end with one; the gate refuses forged changes", async () => {
    const relay = await startTestRelay(teardown)
    const a = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "alice") })
    const b = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "bob") })
    const [alice, bob] = [await peerOperator(a), await peerOperator(b)]
    const [ada, ben, cy] = [await forgeIdentity(alice, { name: "Ada" }), await forgeIdentity(alice, { name: "Ben" }), await forgeIdentity(alice, { name: "Cy" })]
    const handle = await community(relay.workspace)
    // A decided request, written by the relay (as its community pass would).
    const request = decidedRequest(ada.id, ben.id, "alice")
    handle.change(d => {
      d.requests[request.id] = request
    })
    const target = { kind: "guild_join" as const, id: request.id }
    // Both operators hold the request and the residents before they go offline.
    for (const c of [alice, bob]) {
      await requestAt(c.workspace, request.id, r => !!r.decision, "the request at each operator")
      await waitFor(async () => (await residents(c.workspace)).has(ada.id), { timeoutMs: 10_000, message: "Ada at each operator" })
    }

    for (const p of [a, b]) p.repo.networkSubsystem.disconnect()
    await waitFor(() => [a, b].every(p => !relay.repo.peers.includes(p.repo.peerId)), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]] })
    const fromA = await openDispute(alice, { target, requester: ada.id, requesterKind: "resident", reason: "my note was never read" })
    const fromB = await openDispute(bob, { target, requester: ada.id, requesterKind: "resident", reason: "Ada says her note was never read" })
    expect(fromB.id).toBe(fromA.id)
    for (const p of [a, b]) p.repo.networkSubsystem.reconnect()

    // One dispute, the same on every peer; nothing refused.
    await relayDispute(handle, fromA.id, () => true, "the dispute at the relay")
    const seen = async (peer: typeof a) => (await community(peer.workspace)).doc().disputes[fromA.id] as Dispute | undefined
    await waitFor(async () => {
      const [x, y] = [await seen(a), await seen(b)]
      return !!x && JSON.stringify(x) === JSON.stringify(y) && JSON.stringify(x) === JSON.stringify(handle.doc().disputes[fromA.id])
    }, { timeoutMs: 15_000, message: "both operators to hold the relay's dispute" })
    expect(Object.keys(handle.doc().disputes)).toEqual([fromA.id])
    expect(["alice", "bob"]).toContain(handle.doc().disputes[fromA.id]!.openedBy)
    expect(relay.logs.filter(l => l.startsWith("refused"))).toEqual([])
    expect((await disputesOf(alice.workspace)).map(d => d.id)).toEqual([fromA.id])

    // Forged: a worker resolving it, an operator opening one for a resident who took no part.
    const forger = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker", "w-forger") })
    const forged = await community(forger.workspace)
    await waitFor(() => !!forged.doc().disputes[fromA.id], { events: [[forged, "change"]], timeoutMs: 10_000 })
    forged.change(d => {
      d.disputes[fromA.id]!.resolution = { outcome: "reopen", reason: "because I say so", at: Date.now() }
    })
    const other = decidedRequest(ben.id, ada.id, "alice", "join-other")
    handle.change(d => {
      d.requests[other.id] = other
    })
    await requestAt(a.workspace, other.id, () => true, "the other request at alice")
    const mine = await community(a.workspace)
    const outsider = disputeId({ kind: "guild_join", id: other.id }, 0)
    mine.change(d => {
      d.disputes[outsider] = { id: outsider, target: { kind: "guild_join", id: other.id }, round: 0, requester: cy.id, requesterKind: "resident", openedBy: "alice", reason: "I was not asked", risk: "daily_allowance", at: Date.now(), room: outsider }
    })
    for (const [who, reason] of [
      ["w-forger", "w-forger cannot write its resolution: the relay resolves it"],
      ["alice", `${cy.id} took no part in that round`],
    ] as const)
      await waitFor(() => relay.logs.some(l => l.startsWith(`refused a change from ${who}`) && l.includes(reason)), { intervalMs: 50, timeoutMs: 10_000, message: `the relay to refuse: ${reason}` })
    expect(handle.doc().disputes[fromA.id]!.resolution).toBeUndefined()
    expect(handle.doc().disputes[outsider]).toBeUndefined()
  }, 60_000)

  it("a reopened journal review keeps the reward it paid, and its new round cannot pay it again", async () => {
    const relay = await startTestRelay(teardown, { economyTickMs: 100 })
    const ctx = await peerOperator(await connectTestPeer(teardown, relay))
    const [ada, ben, cy, dee, mira] = await Promise.all(["Ada", "Ben", "Cy", "Dee", "Mira"].map(name => forgeIdentity(ctx, { name })))
    const handle = await community(relay.workspace)
    // An accepted review with its reward, as the relay decided it: its journal pass pays the reward.
    const review = decidedReview(ada!.id, [ben!.id, cy!.id, dee!.id], "alice")
    handle.change(d => {
      d.reviews[review.id] = review
    })
    const wallets = await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)
    const rewardKey = ledgerKeys.reviewReward(review.id)
    await waitFor(() => !!ledgerEntry(wallets.doc(), rewardKey), { events: [[wallets, "change"]], timeoutMs: 10_000, message: "the reward paid" })

    // A voter disputes it; Mira, a third party, answers REOPEN, approved.
    await waitFor(async () => !!(await community(ctx.workspace)).doc().reviews[review.id] && (await residents(ctx.workspace)).has(cy!.id), { timeoutMs: 10_000 })
    const target = { kind: "journal_review" as const, id: review.id }
    await expect(openDispute(ctx, { target, requester: mira!.id, requesterKind: "resident", reason: "too generous" })).rejects.toMatchObject({ message: expect.stringContaining("the author or a voter it counted disputes it") })
    const dispute = await openDispute(ctx, { target, requester: cy!.id, requesterKind: "resident", reason: "it was gaming the review" })
    await expect(assignMediator(ctx, dispute.id, { resident: ada!.id })).rejects.toMatchObject({ message: expect.stringContaining("is the author: a mediator is a third party") })
    await assignMediator(ctx, dispute.id, { resident: mira!.id })
    const task = mediationTaskId(dispute.id)
    await runToReviewAsRelay(relay, task, "Reopen. One of three reviewers flagged gaming; it deserves a second look.")
    await waitFor(() => ctx.workspace.tasks.get(task)?.status === "pending_review", { events: [[ctx.workspace.tasks, "change"]], timeoutMs: 10_000 })
    await decideTask(ctx, task, "approve")
    await relayDispute(handle, dispute.id, d => d.resolution?.outcome === "reopen", "the dispute reopened")

    const reopened = JournalReview.parse(handle.doc().reviews[review.id])
    expect(reopened).toMatchObject({ votes: {}, past: [{ dispute: dispute.id, decision: { outcome: "accepted" } }] })
    expect(reopened.decision).toBeUndefined()
    expect(reopened.reward).toBeUndefined()
    // Paid once, and it stays paid; the new round's acceptance finds the key written.
    expect(ledgerEntry(wallets.doc(), rewardKey)).toMatchObject({ identity: ada!.id, amount: review.reward })
    const at = Date.now()
    handle.change(d => {
      const r = d.reviews[review.id]!
      for (const voter of [ben!.id, cy!.id, dee!.id]) r.votes[voteKey("resident", voter)] = { voter, voterKind: "resident", choice: "accept", reason: "worth reading again", at, by: "alice" }
    })
    await waitFor(() => !!JournalReview.parse(handle.doc().reviews[review.id]).decision, { events: [[handle, "change"]], timeoutMs: 10_000, message: "the new round decided" })
    expect(ledgerEntry(wallets.doc(), rewardKey)).toMatchObject({ amount: review.reward })
  }, 60_000)

  it("the CLI opens, lists, shows and mediates disputes, with --json, and says what is wrong", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const ctx = await peerOperator(await connectTestPeer(teardown, relay))
    const [ada, ben, mira] = [await forgeIdentity(ctx, { name: "Ada" }), await forgeIdentity(ctx, { name: "Ben" }), await forgeIdentity(ctx, { name: "Mira" })]
    const handle = await community(relay.workspace)
    const request = decidedRequest(ada.id, ben.id, "alice")
    handle.change(d => {
      d.requests[request.id] = request
    })

    expect((await cli("dispute", "list")).stdout).toContain("no disputes")
    const outsider = await waitFor(async () => {
      const r = await cli("dispute", "open", "--target", `guild_join:${request.id}`, "--requester", mira.id, "--reason", "I saw it")
      return r.stderr.includes("took no part") ? r : false
    }, { timeoutMs: 10_000, message: "the CLI to see the request and the residents" })
    expect(outsider.stderr).toContain(`${mira.id} took no part in that round: the applicant or a voter it counted disputes it.`)
    const opened = await waitFor(async () => {
      const r = await cli("dispute", "open", "--target", `guild_join:${request.id}`, "--requester", ben.id, "--reason", "Ada's request was rushed", "--json")
      return r.value === 0 ? r : false
    }, { timeoutMs: 10_000, message: "the dispute opened" })
    const dispute = JSON.parse(opened.stdout) as Dispute
    expect(dispute).toMatchObject({ id: disputeId({ kind: "guild_join", id: request.id }, 0), requester: ben.id, requesterKind: "resident" })
    const twice = await cli("dispute", "open", "--target", `guild_join:${request.id}`, "--requester", ada.id, "--reason", "again")
    expect(twice.value).toBe(2)
    expect(twice.stderr).toContain(`That round is disputed already: dispute ${dispute.id}.`)
    expect((await cli("dispute", "open", "--target", "bounty:b-1", "--requester", ada.id, "--reason", "x y z")).stderr).toContain("guild_join:REQUEST or journal_review:REVIEW")
    expect((await cli("dispute", "open", "--target", `guild_join:${request.id}`, "--reason", "x y z")).stderr).toContain("give --requester RESIDENT")

    const listed = await cli("dispute", "list", "--json")
    expect((JSON.parse(listed.stdout) as ListedDispute[]).map(d => [d.id, d.status])).toEqual([[dispute.id, "awaiting_mediator"]])
    expect((await cli("dispute", "list")).stdout).toMatch(new RegExp(`${dispute.id}\\s+awaiting mediator\\s+guild_join:${request.id}\\s+${ben.id}\\s+–`))
    const shown = JSON.parse((await cli("dispute", "show", dispute.id, "--json")).stdout) as ShownDispute
    expect(shown.eligible).toEqual([mira.id])
    expect(shown.contested?.decision?.outcome).toBe("accepted")
    expect((await cli("dispute", "show", dispute.id)).stdout).toContain(`third parties: ${mira.id}`)

    const refused = await cli("dispute", "mediate", dispute.id, "--mediator", ada.id)
    expect(refused.stderr).toContain(`${ada.id} is the applicant: a mediator is a third party`)
    const mediated = await cli("dispute", "mediate", dispute.id, "--mediator", mira.id, "--json")
    expect(mediated.value, mediated.stderr).toBe(0)
    expect((JSON.parse(mediated.stdout) as Dispute).mediator).toMatchObject({ resident: mira.id, hat: "objectivity", task: mediationTaskId(dispute.id) })
    // The relay queues the mediation task, wearing the Hat of Objectivity.
    await waitFor(() => relay.workspace.tasks.get(mediationTaskId(dispute.id))?.facet === "mediation", { events: [[relay.workspace.tasks, "change"]], timeoutMs: 10_000 })
    await waitFor(async () => (await cli("dispute", "show", dispute.id)).stdout.includes(`task ${mediationTaskId(dispute.id)}: `), { timeoutMs: 10_000 })
    expect((await cli("dispute", "show", "dispute-nope")).stderr).toContain("There is no dispute dispute-nope.")
  }, 60_000)
})

/** A join request of `applicant` accepted by `member` and operator `operator`. */
function decidedRequest(applicant: string, member: string, operator: string, id = "join-disputed"): JoinRequest {
  const at = Date.now()
  const votes = {
    [voteKey("resident", member)]: { voter: member, voterKind: "resident" as const, choice: "accept" as const, reason: "a careful gardener", at, by: operator },
    [voteKey("operator", operator)]: { voter: operator, voterKind: "operator" as const, choice: "accept" as const, reason: "seen the work", at: at + 1, by: operator },
  }
  return { id, guild: "guild-gardeners", applicant, requestedBy: operator, at, votes, decision: { outcome: "accepted", counted: Object.keys(votes), score: 1, reason: "2 of 2 accepted (at least 60 %)", at: at + 2 }, past: [] }
}

/** A journal review of `author`'s entry accepted by `voters`, with a reward of 12 tokens. */
function decidedReview(author: string, voters: string[], operator: string): JournalReview {
  const at = Date.now()
  const votes = Object.fromEntries(voters.map((voter, i) => [voteKey("resident", voter), { voter, voterKind: "resident" as const, choice: "accept" as const, reason: "a clear entry", at: at + i, by: operator }]))
  return {
    id: "review-disputed",
    author,
    entry: "entry-1",
    excerpt: "Today I mapped the north cave and found water.",
    submittedBy: operator,
    at,
    cost: 10,
    votes,
    decision: { outcome: "accepted", counted: Object.keys(votes), score: 1, reason: "average 1.00 of 3 votes (1 or more)", at: at + 5 },
    reward: 12,
    past: [],
  }
}
