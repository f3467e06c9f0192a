/**
 * Merge cases between real peers of a real relay: two operators approve the same quest
 * offline (paid once after the merge), two operators complete the same bounty offline (each
 * member paid once; with different winners, the earliest completion alone is paid), an
 * offline cancel against an approved and paid task (approved wins), a spend the merge voids
 * (its mail is not delivered), and concurrent room posts (both kept, in the same order
 * everywhere).
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { Actor, BountiesDoc, IdentitiesDoc, LedgerEntry, MailboxDoc, QuestDoc, RoomDoc, RoomIndexDoc, RootDoc, WalletsDoc } from "../../schemas/index.ts"
import { effectiveCompletion } from "../../src/domain/bounties/bounty.ts"
import { MAIL_SEND_COST } from "../../src/domain/wallets/economy.ts"
import { deriveWallets } from "../../src/domain/wallets/ledger.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { completeBounty, postBounty, readFencedBounties, submitToBounty } from "../../src/domain/bounties/actions.ts"
import { deliveredMail, fencedWallets } from "../../src/workspace/fencedReaders.ts"
import { residentMessage } from "../../src/domain/mailbox/actions.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { addTask, decideTask } from "../../src/domain/tasks/actions.ts"
import { type OperatorContext } from "../../src/workspace/actionContext.ts"
import { approveQuest, assignQuest, followQuestTask, questRef } from "../../src/domain/quests/actions.ts"
import { readQuest } from "../../src/workspace/documentReaders.ts"
import { openOwnAuditLog } from "../../src/domain/peers/registerPeer.ts"
import { postMessage } from "../../src/domain/rooms/actions.ts"
import { openWallets, spend } from "../../src/domain/wallets/actions.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, runToReviewAsRelay, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { ledgerEntries, ledgerEntry } from "../helpers/ledgerDoc.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()
const SYSTEM: Actor = { kind: "system", name: "relay" }
const WORKER: Actor = { kind: "worker", name: "w1" }

/** An approved operator `name` connected as its own peer, with its signing context. */
async function operatorPeer(relay: TestRelay, name: string): Promise<[NodePeer, OperatorContext]> {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  const audit = await openOwnAuditLog(peer.repo, peer.workspace.root, peer.identity)
  return [peer, { workspace: peer.workspace, audit, actor: { kind: "operator", name } }]
}

const find = <T>(peer: { repo: NodePeer["repo"] }, url: string): Promise<DocHandle<T>> => peer.repo.find<T>(url as AutomergeUrl)

/** Loads the documents an offline operator writes to, so they are at hand without the relay. */
async function preload(peer: NodePeer): Promise<void> {
  const docs = peer.workspace.root.docs
  for (const url of [docs.identities, docs.wallets, docs.quests, docs.bounties, docs.rooms, docs.mailbox!]) await find(peer, url)
  await openWallets(peer.workspace) // the ledger's index, checkpoint and open segment
  const rooms = (await find<RoomIndexDoc>(peer, docs.rooms)).doc().rooms
  for (const room of Object.values(rooms)) await find(peer, room.url)
}

async function goOffline(relay: TestRelay, peers: NodePeer[]): Promise<void> {
  for (const p of peers) p.repo.networkSubsystem.disconnect()
  await waitFor(() => peers.every(p => !relay.repo.peers.includes(p.repo.peerId)), {
    events: [[relay.repo.networkSubsystem, "peer-disconnected"]],
    message: "the relay to see the peers leave",
  })
}

/** Waits until every handle holds the same heads (the merge is complete everywhere). */
async function converged(handles: DocHandle<unknown>[], what: string): Promise<void> {
  await waitFor(() => new Set(handles.map(h => h.heads().slice().sort().join(","))).size === 1, {
    events: handles.map(h => [h, "change"] as const),
    timeoutMs: 15_000,
    message: `${what} to converge`,
  })
}

const ledgerOf = (handle: DocHandle<WalletsDoc>): LedgerEntry[] => [...ledgerEntries(handle.doc()).values()]
/** A resident's derived wallet, optionally without some entries (to see what they add). */
function walletOf(entries: LedgerEntry[], resident: string, without: (e: LedgerEntry) => boolean = () => false): { freeTime: number; journal: number } {
  const w = deriveWallets(entries.filter(e => !without(e))).get(resident)
  return { freeTime: w?.freeTime ?? 0, journal: w?.journal ?? 0 }
}

/**
 * Alice assigns a quest to Ada; the relay runs its task (its own writes: the lease, and a
 * worker's moves, stand in for a worker here), Alice approves it, and the relay moves the
 * quest to awaiting approval, as its economy loop does.
 */
async function questAwaitingApproval(relay: TestRelay, a: NodePeer, alice: OperatorContext): Promise<QuestDoc & { url: string }> {
  await forgeIdentity(alice, { name: "Ada" })
  await preload(a)
  const { quest, task } = await assignQuest(alice, { title: "Map the caves", objective: "Find every exit.", identity: "ada", upfrontTip: 0, completionReward: 30 })
  await runToReviewAsRelay(relay, task.id)
  await waitFor(() => a.workspace.tasks.get(task.id)?.status === "pending_review", { events: [[a.workspace.tasks, "change"]], message: "alice to see the task waiting for review" })
  await decideTask(alice, task.id, "approve")
  await waitFor(() => relay.workspace.tasks.get(task.id)?.status === "approved", { events: [[relay.workspace.tasks, "change"]], message: "the relay to see the approval" })
  await followQuestTask(relay.workspace, relay.workspace.tasks.get(task.id)!, SYSTEM)
  const mine = await questRef(a.workspace, quest.id)
  await waitFor(() => readQuest(mine.handle.doc(), "quest", [])?.state === "awaiting_approval", { events: [[mine.handle, "change"]], message: "alice to see the quest awaiting approval" })
  return quest
}

describe("social merges between offline operators", () => {
  it("two operators approve the same quest offline: one completion entry, the reward counted once", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const quest = await questAwaitingApproval(relay, a!, alice)

    // Bob sees the quest awaiting approval; both have the quest and the wallets at hand.
    await preload(b!)
    const questB = await waitFor(async () => {
      const ref = await questRef(b!.workspace, quest.id)
      return ref.quest.state === "awaiting_approval" ? ref.handle : false
    }, { timeoutMs: 10_000, message: "bob to see the quest awaiting approval" })
    const questA = (await questRef(a!.workspace, quest.id)).handle
    const questRelay = await find<QuestDoc>(relay, quest.url)
    const walletsA = await find<WalletsDoc>(a!, a!.workspace.root.docs.wallets)
    const walletsB = await find<WalletsDoc>(b!, b!.workspace.root.docs.wallets)
    const walletsRelay = await find<WalletsDoc>(relay, relay.workspace.root.docs.wallets)
    await converged([walletsA, walletsB, walletsRelay], "wallets before the approvals")

    // Both approve offline: each thinks it paid.
    await goOffline(relay, [a!, b!])
    expect(await approveQuest(alice, quest.id)).toEqual({ paid: true, amount: 30 })
    expect(await approveQuest(bob, quest.id)).toEqual({ paid: true, amount: 30 })

    // Bob's approval reaches the relay first; Alice's then merges into a completed quest (each
    // field keeps its own winner, so the approver can be Bob and the time Alice's).
    b!.repo.networkSubsystem.reconnect()
    await waitFor(() => questRelay.doc().state === "completed", { events: [[questRelay, "change"]], timeoutMs: 15_000, message: "bob's approval at the relay" })
    a!.repo.networkSubsystem.reconnect()
    await converged([walletsA, walletsB, walletsRelay], "wallets")
    await converged([questA, questB, questRelay], "the quest")

    // One completion entry; every peer derives the same wallet, with the reward in it once.
    const key = `quest:${quest.id}:completion`
    for (const handle of [walletsA, walletsB, walletsRelay]) {
      const entries = ledgerOf(handle)
      expect(entries.filter(e => e.key === key)).toHaveLength(1)
      expect(entries.find(e => e.key === key)).toMatchObject({ identity: "ada", amount: 30, kind: "grant" })
      const withReward = walletOf(entries, "ada")
      const withoutReward = walletOf(entries, "ada", e => e.key === key)
      expect({ freeTime: withReward.freeTime - withoutReward.freeTime, journal: withReward.journal - withoutReward.journal }).toEqual({ freeTime: 21, journal: 9 })
      expect(withReward).toEqual(walletOf(ledgerOf(walletsA), "ada"))
    }
    for (const handle of [questA, questB, questRelay]) expect(handle.doc()).toMatchObject({ state: "completed", approvedBy: expect.stringMatching(/^(alice|bob)$/) })
    // Both signed what they believed: a payout each.
    expect(auditEntries(alice.audit.handle.doc()).filter(e => e.kind === "payout" && e.subject === quest.id)).toHaveLength(1)
    expect(auditEntries(bob.audit.handle.doc()).filter(e => e.kind === "payout" && e.subject === quest.id)).toHaveLength(1)

    // Online, a further approval knows: it pays nothing and says so.
    expect(await approveQuest(bob, quest.id)).toEqual({ paid: false, reason: "already paid" })
    expect(await approveQuest(alice, quest.id)).toEqual({ paid: false, reason: "already paid" })
    expect(ledgerOf(walletsA).filter(e => e.key === key)).toHaveLength(1)
  })

  it("a second online approval, once the first has synced, says 'already paid'", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const quest = await questAwaitingApproval(relay, a!, alice)
    expect(await approveQuest(alice, quest.id)).toEqual({ paid: true, amount: 30 })
    await preload(b!)
    const walletsB = await find<WalletsDoc>(b!, b!.workspace.root.docs.wallets)
    await waitFor(() => !!ledgerEntry(walletsB.doc(), `quest:${quest.id}:completion`), { events: [[walletsB, "change"]], timeoutMs: 10_000, message: "bob to see the reward" })
    expect(await approveQuest(bob, quest.id)).toEqual({ paid: false, reason: "already paid" })
    expect(auditEntries(bob.audit.handle.doc()).filter(e => e.kind === "payout")).toEqual([])
  })

  it("two operators complete the same bounty offline with the same winner: each member paid once", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    await forgeIdentity(alice, { name: "Ada" })
    await forgeIdentity(alice, { name: "Bo" })
    const bounty = await postBounty(alice, { title: "Cave map", reward: 40, slots: 1 })
    const sub = await submitToBounty(a!.workspace, bounty.id, { identity: "ada", members: ["bo"], content: "a careful cave map with every exit marked" })
    await preload(a!)
    await preload(b!)
    const bountiesA = await find<BountiesDoc>(a!, a!.workspace.root.docs.bounties)
    const bountiesB = await find<BountiesDoc>(b!, b!.workspace.root.docs.bounties)
    await waitFor(() => !!bountiesB.doc().bounties[bounty.id]?.submissions[sub.id], { events: [[bountiesB, "change"]], timeoutMs: 10_000, message: "bob to see the submission" })

    await goOffline(relay, [a!, b!])
    const byAlice = await completeBounty(alice, bounty.id, { winner: sub.id })
    const byBob = await completeBounty(bob, bounty.id, { winner: sub.id })
    expect(byAlice.payouts.map(p => p.key)).toEqual(byBob.payouts.map(p => p.key))
    a!.repo.networkSubsystem.reconnect()
    b!.repo.networkSubsystem.reconnect()
    const walletsA = await find<WalletsDoc>(a!, a!.workspace.root.docs.wallets)
    const walletsB = await find<WalletsDoc>(b!, b!.workspace.root.docs.wallets)
    await converged([walletsA, walletsB], "wallets")
    await converged([bountiesA, bountiesB], "bounties")
    const places = ledgerOf(walletsA).filter(e => e.key.startsWith(`bounty:${bounty.id}:`))
    expect(places.map(e => [e.key, e.identity, e.amount]).sort()).toEqual([
      [`bounty:${bounty.id}:place:1:ada`, "ada", 40],
      [`bounty:${bounty.id}:place:1:bo`, "bo", 40],
    ])
    expect(bountiesA.doc().bounties[bounty.id]).toMatchObject({ state: "completed", winner: sub.id })
  })

  it("concurrent room posts from two offline peers: both kept, in the same order on every peer", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const c = await connectTestPeer(teardown, relay)
    await preload(a!)
    await preload(b!)
    const first = await postMessage(alice, "town_hall", { content: "before" })
    const rooms = (await find<RoomIndexDoc>(c!, c!.workspace.root.docs.rooms)).doc().rooms
    const handles = await Promise.all([a!, b!, c!, relay].map(p => find<RoomDoc>(p, rooms.town_hall!.url)))
    await converged(handles, "the room before")

    await goOffline(relay, [a!, b!])
    const posted: string[] = [first.id]
    for (let i = 0; i < 3; i++) {
      posted.push((await postMessage(alice, "town_hall", { content: `alice ${i}` })).id)
      posted.push((await postMessage(bob, "town_hall", { content: `bob ${i}`, ...(i === 0 ? { replyTo: first.id } : {}) })).id)
    }
    // C, online, sees neither yet.
    expect(handles[2]!.doc().messages.map(m => m.content)).toEqual(["before"])

    a!.repo.networkSubsystem.reconnect()
    b!.repo.networkSubsystem.reconnect()
    await converged(handles, "the room")
    const orders = handles.map(h => h.doc().messages.map(m => m.id))
    for (const order of orders) expect(order).toEqual(orders[0])
    expect(orders[0]!.slice().sort()).toEqual(posted.slice().sort())
    expect(orders[0]![0]).toBe(first.id)
    // Each peer's own posts keep their relative order.
    const contents = handles[0]!.doc().messages.map(m => m.content)
    for (const who of ["alice", "bob"]) expect(contents.filter(t => t.startsWith(who))).toEqual([0, 1, 2].map(i => `${who} ${i}`))
    expect(handles[0]!.doc().messages.find(m => m.content === "bob 0")!.replyTo).toBe(first.id)
  })
  it("two operators complete the same bounty offline with different winners: every peer resolves to the earliest completion and pays it alone", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    await forgeIdentity(alice, { name: "Ada" })
    await forgeIdentity(alice, { name: "Bo" })
    const bounty = await postBounty(alice, { title: "Cave map", reward: 40, slots: 2 })
    const byAda = await submitToBounty(a!.workspace, bounty.id, { identity: "ada", content: "a careful cave map with every exit marked" })
    const byBo = await submitToBounty(a!.workspace, bounty.id, { identity: "bo", content: "a quick sketch of the caves and two exits" })
    await preload(a!)
    await preload(b!)
    const handles = await Promise.all([a!, b!, relay].map(p => find<BountiesDoc>(p, p.workspace.root.docs.bounties)))
    await converged(handles, "bounties before the completions")

    await goOffline(relay, [a!, b!])
    // Bob completes later by the clock, with another winner.
    const first = await completeBounty({ ...alice, now: 1_000 }, bounty.id, { winner: byAda.id })
    const second = await completeBounty({ ...bob, now: 2_000 }, bounty.id, { winner: byBo.id })
    expect(first.payouts.map(p => p.member)).toEqual(["ada"])
    expect(second.payouts.map(p => p.member)).toEqual(["bo"])
    a!.repo.networkSubsystem.reconnect()
    b!.repo.networkSubsystem.reconnect()
    const wallets = await Promise.all([a!, b!, relay].map(p => find<WalletsDoc>(p, p.workspace.root.docs.wallets)))
    await converged(wallets, "wallets")
    await converged(handles, "bounties")

    for (const peer of [a!, b!, relay]) {
      const resolved = (await readFencedBounties(peer.workspace)).get(bounty.id)!
      expect(effectiveCompletion(resolved)).toMatchObject({ by: "alice", winner: byAda.id })
      const derived = await fencedWallets(peer.workspace)
      const places = [...derived.values()].flatMap(w => w.entries).filter(e => e.entry.key.startsWith(`bounty:${bounty.id}:`))
      expect(places.map(e => [e.entry.identity, e.status]).sort()).toEqual([
        ["ada", "applied"],
        ["bo", "voided"],
      ])
    }
  })

  it("an older offline cancel cannot undo an approved and paid task: every peer shows it approved, paid once", async () => {
    const relay = await startTestRelay(teardown, { economyTickMs: 100 })
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    await forgeIdentity(alice, { name: "Ada" })
    // A local task: with no worker online the relay neither leases nor blocks it.
    const task = await addTask(alice, { command: "ls caves", targetIdentity: "ada", maxBudgetUsd: 0.1 })
    await waitFor(() => relay.workspace.tasks.get(task.id) !== undefined, { events: [[relay.workspace.tasks, "change"]], message: "the relay to see the task" })
    // The relay's own writes stand in for the lease and a worker's run.
    relay.workspace.updateTask(task.id, d => {
      applyTransition(d, "claimed", SYSTEM, Date.now(), "lease granted", "lease-1")
      applyTransition(d, "running", WORKER, Date.now(), "started", "lease-1")
      d.result = { output: "mapped", model: "m", costUsd: 0.01, leaseId: "lease-1", worker: "w1", startedAt: 1, finishedAt: 2 }
      applyTransition(d, "pending_review", WORKER, Date.now(), "review", "lease-1")
      delete d.lease
    })
    await waitFor(() => b!.workspace.tasks.get(task.id)?.status === "pending_review", { events: [[b!.workspace.tasks, "change"]], message: "bob to see the review" })

    await goOffline(relay, [a!])
    await decideTask(alice, task.id, "cancel")
    expect(a!.workspace.tasks.get(task.id)!.status).toBe("cancelled")
    await decideTask(bob, task.id, "approve")
    const walletsRelay = await find<WalletsDoc>(relay, relay.workspace.root.docs.wallets)
    const reward = `reward:${task.id}:ada`
    await waitFor(() => !!ledgerEntry(walletsRelay.doc(), reward), { events: [[walletsRelay, "change"]], timeoutMs: 10_000, message: "the relay to pay the reward" })

    a!.repo.networkSubsystem.reconnect()
    await converged([a!.workspace.queueHandle, b!.workspace.queueHandle, relay.workspace.queueHandle] as DocHandle<unknown>[], "the queue")
    for (const peer of [a!, b!, relay]) {
      await waitFor(() => peer.workspace.tasks.get(task.id)?.status === "approved", { events: [[peer.workspace.tasks, "change"]], message: "approved everywhere" })
      expect(peer.workspace.tasks.get(task.id)!.history.map(h => h.to)).toContain("cancelled")
    }
    // The relay writes the resolution back, so the stored status agrees too; the reward stands.
    await waitFor(() => relay.workspace.queueHandle.doc().tasks[task.id]?.status === "approved", { events: [[relay.workspace.tasks, "change"]], message: "the stored status" })
    const derived = await fencedWallets(relay.workspace)
    expect(derived.get("ada")!.entries.filter(e => e.entry.key === reward).map(e => e.status)).toEqual(["applied"])
  })

  it("a spend voided by the merge does not deliver its mail", async () => {
    const relay = await startTestRelay(teardown, { economyTickMs: 100 })
    const [a, alice] = await operatorPeer(relay, "alice")
    await forgeIdentity(alice, { name: "Ada" })
    // A worker that plays Ada: the relay leases her to it once its record offers her.
    const b = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker") })
    const worker = b.identity.name
    b.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers[worker]!, { identities: ["ada"], lastSeen: Date.now() }))
    const leases = await find<IdentitiesDoc>(b, b.workspace.root.docs.identities)
    await waitFor(() => leases.doc().leases?.ada?.holder === worker, { events: [[leases, "change"]], timeoutMs: 10_000, message: "the worker to play Ada" })
    await preload(a!)
    await preload(b)
    const wallets = await Promise.all([a!, b, relay].map(p => find<WalletsDoc>(p, p.workspace.root.docs.wallets)))
    await waitFor(() => wallets.every(w => [...ledgerEntries(w.doc()).values()].some(e => e.key.startsWith("allowance:ada"))), {
      events: wallets.map(w => [w, "change"] as const),
      timeoutMs: 10_000,
      message: "Ada's allowance everywhere",
    })
    await converged(wallets, "wallets before the spends")
    const freeTime = walletOf(ledgerOf(wallets[0]!), "ada").freeTime
    const each = Math.ceil(freeTime / MAIL_SEND_COST / 2) + 1

    // Offline, Alice spends a little over half of Ada's free time and the worker writes Ada's
    // mail for a little over half: together they overdraw. Alice's spends come first.
    await goOffline(relay, [a!, b])
    const sent: string[] = []
    const t0 = Date.now()
    for (let n = 0; n < each; n++)
      expect(await spend(a!.workspace, await openWallets(a!.workspace), { key: `errand:ada:${n}`, identity: "ada", amount: MAIL_SEND_COST, bucket: "free_time", reason: "an errand", at: t0 + n }, alice.audit.signer)).toBe("written")
    const asWorker = { actor: { kind: "worker" as const, name: worker }, key: b.identity.key }
    for (let n = 0; n < each; n++) sent.push((await residentMessage(b.workspace, { resident: "ada", type: "message", content: `message ${n}` }, asWorker, t0 + 100 + n)).id)
    a!.repo.networkSubsystem.reconnect()
    b.repo.networkSubsystem.reconnect()
    const mailboxes = await Promise.all([a!, b, relay].map(p => find<MailboxDoc>(p, p.workspace.root.docs.mailbox!)))
    await converged(wallets, "wallets")
    await converged(mailboxes, "mailboxes")

    const delivered = await Promise.all([a!, b, relay].map(p => deliveredMail(p.workspace)))
    for (const d of delivered) {
      expect(d.messages.filter(m => m.resident === "ada").map(m => m.id).sort()).toEqual(delivered[0]!.messages.filter(m => m.resident === "ada").map(m => m.id).sort())
      expect(d.withheld.size).toBeGreaterThan(0)
      for (const reason of d.withheld.values()) expect(reason).toMatch(/below zero after merge/)
      // Delivered mail is exactly the mail whose spend counts.
      expect(d.messages.filter(m => m.resident === "ada").length * MAIL_SEND_COST).toBeLessThanOrEqual(freeTime)
      expect(d.messages.length + d.withheld.size).toBe(sent.length)
    }
  })
})
