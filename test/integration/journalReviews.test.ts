/**
 * Journal reviews over real WebSockets: an operator submits a resident's journal entry (the
 * author pays once, journal tokens first), three ratings and the relay decides and pays the
 * reward once under the review's ledger key; an entry rejected as gaming makes the author's
 * next submission dearer. Two operators rating one review offline (one voter rated from both)
 * merge into one decision and one payment on every peer; a decision written just before a
 * relay restart is paid after it, once. The gate refuses the author's worker
 * rating its own entry and a peer writing a decision; a review whose cost was never spent earns
 * nothing. The CLI submits, lists (blind until decided) and rates, with --json.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { AuditEntry, CommunityDoc, IdentitiesDoc, Identity, JournalReview, RootDoc, WalletsDoc } from "../../schemas/index.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"
import { decideJournalReviews, rateJournalEntry, reviewIdOf, reviewsOf, submitForReview, type ReviewerView } from "../../src/domain/journalReviews/index.ts"
import { forgeIdentity, residentOf } from "../../src/domain/residents/actions.ts"
import { voteKey } from "../../src/domain/votes/index.ts"
import { openWallets, walletOf } from "../../src/domain/wallets/actions.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { runMain } from "../helpers/cli.ts"
import { relayJournalEntry } from "../helpers/journalFixture.ts"
import { ledgerEntries } from "../helpers/ledgerDoc.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

/** A relay whose economy and community passes run every 100 ms (the allowance comes at once). */
const quickRelay = () => startTestRelay(teardown, { economyTickMs: 100 })

async function operatorPeer(relay: TestRelay, name: string): Promise<[NodePeer, OperatorContext]> {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  return [peer, await peerOperator(peer)]
}

type Peer = NodePeer | TestRelay

const communityOf = (peer: Peer) => peer.repo.find<CommunityDoc>(peer.workspace.root.docs.community as AutomergeUrl)
const walletsOf = (peer: Peer) => peer.repo.find<WalletsDoc>(peer.workspace.root.docs.wallets as AutomergeUrl)

/** Waits until `check` holds on this copy of a document. */
function until<T>(handle: DocHandle<T>, check: (doc: T) => boolean, message: string): Promise<true> {
  return waitFor(() => check(handle.doc()), { events: [[handle, "change"]], timeoutMs: 15_000, message })
}

/** The relay's copy of review `id` once it is decided there. */
async function decidedAtRelay(relay: TestRelay, id: string): Promise<JournalReview> {
  const handle = await communityOf(relay)
  await until(handle, d => !!d.reviews[id]?.decision, `the relay to decide ${id}`)
  return handle.doc().reviews[id]!
}

/** Waits until `peer` sees `resident`'s daily allowance, and answers its wallet. */
async function allowanceSeen(peer: Peer, resident: Identity) {
  const wallets = await walletsOf(peer)
  await until(wallets, d => [...ledgerEntries(d).values()].some(e => e.key.startsWith(`allowance:${resident.id}:`)), `${resident.name}'s allowance`)
  return walletOf(peer.workspace, await openWallets(peer.workspace), resident.id)
}

const entriesUnder = (peer: Peer, prefix: string) => walletsOf(peer).then(w => [...ledgerEntries(w.doc()).values()].filter(e => e.key.startsWith(prefix)))

const communityAudit = (entries: AuditEntry[], subject: string) =>
  entries.filter(e => e.kind === "community" && e.subject === subject).map(e => JSON.parse(e.data) as { action: string } & Record<string, unknown>)

describe("journal reviews", () => {
  it("the author pays once; three ratings and the relay decides and pays the reward once; a gaming rejection makes the next submission dearer", async () => {
    const relay = await quickRelay()
    const [a, alice] = await operatorPeer(relay, "alice")
    const [ada, mira, bo, noor] = await Promise.all(["Ada Lovelace", "Mira", "Bo", "Noor"].map(name => forgeIdentity(alice, { name })))
    const entry = await relayJournalEntry(relay, a, ada!.id, "Walking the garden with Mira I realized Ada Lovelace would have loved the moss:\na pattern in the rows.")
    expect(await allowanceSeen(a, ada!)).toMatchObject({ journal: 45, freeTime: 105 })

    const review = await submitForReview(alice, { author: ada!.id, entry: entry.id })
    expect(review).toMatchObject({ id: await reviewIdOf(ada!.id, entry.id), author: ada!.id, entry: entry.id, cost: 10, votes: {}, submittedBy: "alice" })
    expect(review.excerpt).toBe("Walking the garden with [resident] I realized [resident] would have loved the moss: a pattern in the rows.")
    // Paid from journal tokens, once: a second submission of the entry is refused and spends nothing.
    await expect(submitForReview(alice, { author: ada!.id, entry: entry.id })).rejects.toMatchObject({ code: "review_refused", message: expect.stringContaining("submitted already") })
    expect((await entriesUnder(a, `review:${review.id}:`)).map(e => [e.key, e.kind, e.bucket, e.amount])).toEqual([[ledgerKeys.reviewCost(review.id, "journal"), "spend", "journal", 10]])
    expect(await walletOf(a.workspace, await openWallets(a.workspace), ada!.id)).toMatchObject({ journal: 35, freeTime: 105 })

    // The author's own rating is refused without naming the author; one vote per voter; operators vote as themselves.
    const own = await rateJournalEntry(alice, review.id, { voter: ada!.id, voterKind: "resident", choice: "exceptional", reason: "mine is great" }).catch((e: Error) => e)
    expect(own).toMatchObject({ code: "review_refused", message: `Journal review ${review.id} cannot take this: this voter may not rate this entry (nobody rates their own).` })
    await rateJournalEntry(alice, review.id, { voter: mira!.id, voterKind: "resident", choice: "accept", reason: "honest about the moss" })
    await expect(rateJournalEntry(alice, review.id, { voter: mira!.id, voterKind: "resident", choice: "reject", reason: "changed my mind" })).rejects.toMatchObject({
      message: expect.stringContaining("this voter has rated it already"),
    })
    await expect(rateJournalEntry(alice, review.id, { voter: "bob", voterKind: "operator", choice: "accept", reason: "for bob" })).rejects.toMatchObject({
      message: expect.stringContaining("an operator votes as itself (alice), not as bob"),
    })
    await expect(rateJournalEntry(alice, "review-nope", { voter: bo!.id, voterKind: "resident", choice: "accept", reason: "yes" })).rejects.toMatchObject({ code: "review_not_found" })
    await rateJournalEntry(alice, review.id, { voter: bo!.id, voterKind: "resident", choice: "exceptional", reason: "a real pattern" })

    // Two votes: blind, and short of the quorum.
    const waiting = (await reviewsOf(a.workspace)).find(r => r.id === review.id)!
    expect(waiting.round).toEqual({ decided: false, voters: [{ voter: mira!.id, voterKind: "resident" }, { voter: bo!.id, voterKind: "resident" }], needed: 1 })
    expect(JSON.stringify(waiting)).not.toMatch(/ada|Lovelace|accept|exceptional/)

    // The third decides it at the relay: average 5/3 → 10 × (0.5 + 0.5 × 2/3 + (2/3)^1.5) = 14 tokens.
    await rateJournalEntry(alice, review.id, { voter: "alice", voterKind: "operator", choice: "exceptional", reason: "sharp noticing" })
    const decided = await decidedAtRelay(relay, review.id)
    expect(decided.decision).toMatchObject({ outcome: "accepted", score: 5 / 3, counted: [voteKey("resident", mira!.id), voteKey("resident", bo!.id), voteKey("operator", "alice")] })
    expect(decided.reward).toBe(14)
    const rewardKey = ledgerKeys.reviewReward(review.id)
    await until(await walletsOf(relay), d => !!ledgerEntries(d).get(rewardKey), "the reward in the relay's ledger")
    expect((await entriesUnder(relay, rewardKey)).map(e => [e.kind, e.amount, e.identity, e.by.kind])).toEqual([["grant", 14, ada!.id, "system"]])
    // A decided review takes no more votes; reviewers now see every vote and the tally.
    await until(await communityOf(a), d => !!d.reviews[review.id]?.decision, "alice to see the decision")
    await expect(rateJournalEntry(alice, review.id, { voter: noor!.id, voterKind: "resident", choice: "gaming", reason: "too late" })).rejects.toMatchObject({
      message: expect.stringContaining("it is decided already"),
    })
    const shown = (await reviewsOf(a.workspace)).find(r => r.id === review.id)!
    expect(shown).toMatchObject({ reward: 14, round: { decided: true, decision: { outcome: "accepted" } } })
    expect(shown.round.decided && shown.round.votes.map(v => [v.voter, v.choice, v.late])).toEqual([
      [mira!.id, "accept", false],
      [bo!.id, "exceptional", false],
      ["alice", "exceptional", false],
    ])

    // A second entry, flagged as gaming by two of three: rejected, nothing paid back.
    const second = await relayJournalEntry(relay, a, ada!.id, "I write the word insight here so the words count: insight, insight.")
    const gamed = await submitForReview(alice, { author: ada!.id, entry: second.id })
    expect(gamed.cost).toBe(10)
    await rateJournalEntry(alice, gamed.id, { voter: mira!.id, voterKind: "resident", choice: "gaming", reason: "keyword stuffing" })
    await rateJournalEntry(alice, gamed.id, { voter: noor!.id, voterKind: "resident", choice: "gaming", reason: "padding" })
    await rateJournalEntry(alice, gamed.id, { voter: bo!.id, voterKind: "resident", choice: "exceptional", reason: "bold" })
    expect(await decidedAtRelay(relay, gamed.id)).toMatchObject({ decision: { outcome: "rejected", reason: "2 of 3 reviewers flagged it as gaming" }, reward: 0 })
    expect(await entriesUnder(relay, ledgerKeys.reviewReward(gamed.id))).toEqual([])

    // For two days Ada's submissions cost 13; the reward of 14 came in split 70/30 (9 free time, 5 journal).
    await until(await communityOf(a), d => !!d.reviews[gamed.id]?.decision, "alice to see the gaming decision")
    await until(await walletsOf(a), d => !!ledgerEntries(d).get(rewardKey), "alice to see the reward")
    const third = await relayJournalEntry(relay, a, ada!.id, "A quiet day; Noor and I watered the ferns.")
    expect((await submitForReview(alice, { author: ada!.id, entry: third.id })).cost).toBe(13)
    expect(await walletOf(a.workspace, await openWallets(a.workspace), ada!.id)).toMatchObject({ journal: 35 + 5 - 10 - 13, freeTime: 105 + 9 })

    // Many passes later the reward was still paid once; the logs keep the votes' choices and the author out.
    const relayLog = await waitFor(() => {
      const events = communityAudit(auditEntries(relay.audit.handle.doc()), review.id)
      return events.length === 2 ? events : false
    }, { events: [[relay.audit.handle, "change"]], message: "the relay's audit entries" })
    expect(relayLog).toEqual([
      { action: "review_decided", outcome: "accepted", score: 5 / 3, votes: 3, reward: 14 },
      { action: "review_rewarded", key: rewardKey, amount: 14 },
    ])
    expect(communityAudit(auditEntries(relay.audit.handle.doc()), gamed.id).map(e => e.action)).toEqual(["review_decided"])
    const mine = communityAudit(auditEntries(alice.audit.handle.doc()), review.id)
    expect(mine.map(e => e.action)).toEqual(["review_submitted", "review_rated", "review_rated", "review_rated"])
    expect(JSON.stringify(mine)).not.toMatch(/accept|exceptional|ada/)
  }, 90_000)

  it("two operators rate one review offline, one voter from both: one decision, later votes kept and not counted, the reward paid once on every peer", async () => {
    const relay = await quickRelay()
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const [ada, mira, bo, noor] = await Promise.all(["Ada", "Mira", "Bo", "Noor"].map(name => forgeIdentity(alice, { name })))
    const entry = await relayJournalEntry(relay, a, ada!.id, "Today I learned how the greenhouse vents open at noon.")
    await allowanceSeen(a, ada!)
    const review = await submitForReview(alice, { author: ada!.id, entry: entry.id })
    // Both operators hold the review and the residents before they go offline.
    const copies = await Promise.all([a, b].map(communityOf))
    for (const copy of copies) await until(copy, d => !!d.reviews[review.id], "the review at each operator")
    for (const id of [mira!.id, bo!.id]) await waitFor(async () => !!(await residentOf(b.workspace, id).catch(() => undefined)), { timeoutMs: 10_000, message: "the residents at bob" })

    for (const p of [a, b]) p.repo.networkSubsystem.disconnect()
    await waitFor(() => [a, b].every(p => !relay.repo.peers.includes(p.repo.peerId)), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]] })
    await rateJournalEntry(alice, review.id, { voter: mira!.id, voterKind: "resident", choice: "accept", reason: "clear (via alice)" })
    await rateJournalEntry(alice, review.id, { voter: noor!.id, voterKind: "resident", choice: "accept", reason: "useful" })
    await rateJournalEntry(alice, review.id, { voter: "alice", voterKind: "operator", choice: "exceptional", reason: "vivid" })
    await rateJournalEntry(bob, review.id, { voter: mira!.id, voterKind: "resident", choice: "accept", reason: "clear (via bob)" })
    await rateJournalEntry(bob, review.id, { voter: bo!.id, voterKind: "resident", choice: "gaming", reason: "padded" })
    await rateJournalEntry(bob, review.id, { voter: "bob", voterKind: "operator", choice: "gaming", reason: "padded too" })

    // Alice's three votes reach the relay first: it decides on them (average 4/3, 9 tokens back) …
    a.repo.networkSubsystem.reconnect()
    const counted = [voteKey("resident", mira!.id), voteKey("resident", noor!.id), voteKey("operator", "alice")]
    const decided = await decidedAtRelay(relay, review.id)
    expect([...decided.decision!.counted].sort()).toEqual([...counted].sort())
    expect(decided).toMatchObject({ decision: { outcome: "accepted", score: 4 / 3 }, reward: 9 })
    // … and Bob's, merged in after, are kept but change nothing: two gaming votes among five would have rejected it.
    b.repo.networkSubsystem.reconnect()
    const atRelay = await communityOf(relay)
    const all = [...copies, atRelay]
    const voters = [...counted, voteKey("resident", bo!.id), voteKey("operator", "bob")].sort()
    await until(atRelay, d => Object.keys(d.reviews[review.id]!.votes).length === 5, "every vote at the relay")
    await waitFor(() => new Set(all.map(h => h.heads().slice().sort().join(","))).size === 1, { events: all.map(h => [h, "change"] as const), timeoutMs: 15_000, message: "the community document to converge" })
    for (const copy of all) {
      const r = copy.doc().reviews[review.id]!
      expect(copy.doc()).toEqual(atRelay.doc())
      // Mira once, whichever peer's copy of her vote the merge kept.
      expect(Object.keys(r.votes).sort()).toEqual(voters)
      expect(r.decision).toEqual(decided.decision)
      expect(r.reward).toBe(9)
    }
    const shown = (await reviewsOf(b.workspace)).find(r => r.id === review.id)!
    expect(shown.round.decided && shown.round.votes.filter(v => v.late).map(v => v.key).sort()).toEqual([voteKey("operator", "bob"), voteKey("resident", bo!.id)].sort())
    // The reward once, on every peer: one entry under its key, counted once in Ada's wallet.
    const key = ledgerKeys.reviewReward(review.id)
    for (const peer of [a, b, relay] as Peer[]) {
      await until(await walletsOf(peer), d => !!ledgerEntries(d).get(key), "the reward at each peer")
      expect((await entriesUnder(peer, key)).map(e => e.amount)).toEqual([9])
      const wallet = await walletOf(peer.workspace, await openWallets(peer.workspace), ada!.id)
      expect(wallet.entries.filter(e => e.entry.key === key).map(e => e.status)).toEqual(["applied"])
    }
    expect(communityAudit(auditEntries(relay.audit.handle.doc()), review.id).map(e => e.action)).toEqual(["review_decided", "review_rewarded"])
    expect(relay.logs.filter(l => l.startsWith("refused a change"))).toEqual([])
  }, 90_000)

  it("a decision written just before a restart is paid after it, and a pass after the restart pays it no more", async () => {
    const relay = await quickRelay()
    const [, alice] = await operatorPeer(relay, "alice")
    const ada = await forgeIdentity(alice, { name: "Ada" })
    // As a pass leaves it when the relay stops between writing the decision and paying: decided, unpaid.
    const id = await reviewIdOf(ada.id, "journal-1")
    const decision = { outcome: "accepted" as const, counted: ["resident:mira", "resident:bo", "operator:alice"], score: 1, reason: "average 1.00 of 3 votes (1 or more)", at: Date.now() }
    ;(await communityOf(relay)).change(d => {
      d.reviews[id] = { id, author: ada.id, entry: "journal-1", excerpt: "A note.", submittedBy: "alice", at: Date.now(), cost: 10, votes: {}, decision, reward: 5, past: [] }
    })
    const key = ledgerKeys.reviewReward(id)
    await until(await walletsOf(relay), d => !!ledgerEntries(d).get(key), "the reward paid on the next pass")
    await relay.close()

    const again = await startTestRelay(teardown, { dataDir: relay.dataDir, economyTickMs: 100 })
    expect((await entriesUnder(again, key)).map(e => [e.amount, e.identity])).toEqual([[5, ada.id]])
    expect(await decideJournalReviews(again.workspace, again.audit.signer, Date.now())).toEqual([])
    expect((await entriesUnder(again, key)).map(e => e.amount)).toEqual([5])
  }, 60_000)

  it("the gate refuses the author's worker rating its own entry and a peer writing a decision; a review whose cost was never spent earns nothing", async () => {
    const relay = await quickRelay()
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b] = await operatorPeer(relay, "bob")
    const [ada, mira, bo] = await Promise.all(["Ada", "Mira", "Bo"].map(name => forgeIdentity(alice, { name })))

    // A worker the relay leases Ada to: it may submit her entries (but pays nothing here).
    const w = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker") })
    const worker = w.identity.name
    w.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers[worker]!, { identities: [ada!.id], lastSeen: Date.now() }))
    const leases = await w.repo.find<IdentitiesDoc>(w.workspace.root.docs.identities as AutomergeUrl)
    await until(leases, d => d.leases?.[ada!.id]?.holder === worker, `${worker} to play Ada`)
    const id = await reviewIdOf(ada!.id, "journal-unpaid")
    const mine = await communityOf(w)
    mine.change(d => {
      d.reviews[id] = { id, author: ada!.id, entry: "journal-unpaid", excerpt: "An entry nobody paid for.", submittedBy: worker, at: Date.now(), cost: 10, votes: {}, past: [] }
    })
    const atRelay = await communityOf(relay)
    await until(atRelay, d => !!d.reviews[id], "the worker's submission at the relay")

    // Forged: the author's worker rates its own entry; an operator writes the decision.
    mine.change(d => {
      d.reviews[id]!.votes[voteKey("resident", ada!.id)] = { voter: ada!.id, voterKind: "resident", choice: "exceptional", reason: "I am great", at: Date.now(), by: worker }
    })
    const bobs = await communityOf(b)
    await until(bobs, d => !!d.reviews[id], "bob to hold the review")
    bobs.change(d => {
      d.reviews[id]!.decision = { outcome: "accepted", counted: ["operator:bob"], score: 2, reason: "I say so", at: Date.now() }
    })
    for (const [who, reason] of [
      [worker, "the author of an entry never rates it"],
      ["bob", "only the relay writes its decision (it decides a round once the round holds its quorum)"],
    ] as const)
      await waitFor(() => relay.logs.some(l => l.startsWith(`refused a change from ${who}`) && l.includes(reason)), { intervalMs: 50, timeoutMs: 10_000, message: `the relay to refuse: ${reason}` })
    expect(atRelay.doc().reviews[id]!.votes).toEqual({})
    expect(atRelay.doc().reviews[id]!.decision).toBeUndefined()

    // Three honest ratings accept it, but the ledger holds no spend of its cost: the reward is 0.
    const ratings: [string, "resident" | "operator"][] = [[mira!.id, "resident"], [bo!.id, "resident"], ["alice", "operator"]]
    await until(await communityOf(a), d => !!d.reviews[id], "the review at alice")
    for (const [voter, voterKind] of ratings) await rateJournalEntry(alice, id, { voter, voterKind, choice: "exceptional", reason: "excellent" })
    expect(await decidedAtRelay(relay, id)).toMatchObject({ decision: { outcome: "accepted", score: 2 }, reward: 0 })
    expect(await entriesUnder(relay, `review:${id}:`)).toEqual([])
  }, 90_000)

  it("the CLI submits, lists blind until decided, and rates, with --json, and says what is wrong without naming the author", async () => {
    const relay = await quickRelay()
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const [a, alice] = await operatorPeer(relay, "alice")
    const [ada, mira, bo] = await Promise.all(["Ada", "Mira", "Bo"].map(name => forgeIdentity(alice, { name })))
    const entry = await relayJournalEntry(relay, a, ada!.id, "Ada here: I found a pattern in how Bo waters the ferns.")
    await allowanceSeen(relay, ada!)

    const submitted = await cli("journal", "submit", "--author", ada!.id, "--entry", entry.id, "--json")
    expect(submitted.value, submitted.stderr).toBe(0)
    const review = JSON.parse(submitted.stdout) as JournalReview
    expect(review).toMatchObject({ id: await reviewIdOf(ada!.id, entry.id), cost: 10, excerpt: "[resident] here: I found a pattern in how [resident] waters the ferns." })
    expect((await cli("journal", "submit", "--author", ada!.id, "--entry", entry.id)).stderr).toContain("this entry is submitted already")
    expect((await cli("journal", "submit", "--author", ada!.id, "--entry", "journal-nope")).stderr).toContain("journal-nope")

    const listed = await cli("journal", "reviews", "--json")
    expect(JSON.parse(listed.stdout) as ReviewerView[]).toEqual([{ id: review.id, excerpt: review.excerpt, at: review.at, round: { decided: false, voters: [], needed: 3 } }])
    expect(listed.stdout).not.toMatch(/ada|"author"/i)
    expect((await cli("journal", "reviews")).stdout).toMatch(new RegExp(`${review.id}\\s+waiting\\s+0 voted, 3 more\\s+\\[resident\\] here`))

    // Refusals: the author's own rating (without naming it), both ways to vote at once, an unknown review.
    const own = await cli("journal", "rate", review.id, "--voter", ada!.id, "--choice", "exceptional", "--reason", "I am great")
    expect(own.stderr).toContain("this voter may not rate this entry")
    expect(own.stderr).not.toMatch(/ada/i)
    expect((await cli("journal", "rate", review.id, "--voter", mira!.id, "--as-operator", "--choice", "accept", "--reason", "both")).stderr).toContain("--voter RESIDENT")
    expect((await cli("journal", "rate", review.id, "--as-operator", "--choice", "love", "--reason", "hmm")).stderr).toContain("--choice is accept, reject, exceptional, gaming")
    expect((await cli("journal", "rate", "review-nope", "--as-operator", "--choice", "accept", "--reason", "yes")).stderr).toContain("There is no journal review review-nope.")

    const rated = await cli("journal", "rate", review.id, "--voter", mira!.id, "--choice", "accept", "--reason", "kind and clear", "--json")
    expect(rated.value, rated.stderr).toBe(0)
    expect(JSON.parse(rated.stdout)).toMatchObject({ voter: mira!.id, voterKind: "resident", choice: "accept", reason: "kind and clear" })
    expect((await cli("journal", "rate", review.id, "--voter", bo!.id, "--choice", "exceptional", "--reason", "sharp")).stdout).toContain("votes stay hidden until the relay decides")
    expect((await cli("journal", "rate", review.id, "--as-operator", "--choice", "exceptional", "--reason", "seconded")).value).toBe(0)

    const decided = await decidedAtRelay(relay, review.id)
    expect(decided).toMatchObject({ decision: { outcome: "accepted", score: 5 / 3 }, reward: 14 })
    const after = await waitFor(async () => {
      const r = await cli("journal", "reviews", "--json")
      const [shown] = JSON.parse(r.stdout) as ReviewerView[]
      return shown?.round.decided ? shown : false
    }, { timeoutMs: 10_000, message: "the CLI to see the decision" })
    expect(after).toMatchObject({ reward: 14, round: { decision: { outcome: "accepted" } } })
    expect((await cli("journal", "reviews")).stdout).toMatch(new RegExp(`${review.id}\\s+accepted\\s+avg 1\\.67, reward 14`))
  }, 90_000)
})
