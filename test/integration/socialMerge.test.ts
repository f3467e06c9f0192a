/**
 * Issue 5 merge cases of the social plane, between real peers of a real relay: two
 * operators approve the same quest offline (paid once after the merge), two operators
 * complete the same bounty offline (each member paid once), and concurrent room posts
 * (both kept, in the same order everywhere).
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { Actor, BountiesDoc, LedgerEntry, QuestDoc, RoomDoc, RoomIndexDoc, WalletsDoc } from "../../schemas/index.ts"
import { deriveWallets } from "../../src/core/ledger.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { applyTransition } from "../../src/core/taskMachine.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { completeBounty, postBounty, submitToBounty } from "../../src/workspace/bountyActions.ts"
import { forgeIdentity } from "../../src/workspace/identityActions.ts"
import { decideTask, type OperatorContext } from "../../src/workspace/operatorActions.ts"
import { approveQuest, assignQuest, followQuestTask } from "../../src/workspace/questActions.ts"
import { readQuest } from "../../src/workspace/documentReaders.ts"
import { registerPeer } from "../../src/workspace/registerPeer.ts"
import { postMessage, questRef } from "../../src/workspace/socialActions.ts"
import { connectTestPeers } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const SYSTEM: Actor = { kind: "system", name: "relay" }
const WORKER: Actor = { kind: "worker", name: "w1" }

async function operatorOn(peer: NodePeer, name: string): Promise<OperatorContext> {
  const pair = await generateSigningKey()
  const key = await importPrivateKey(pair.privateKeyPkcs8)
  const audit = await registerPeer(peer.repo, peer.workspace, { name, role: "operator", publicKeyHex: pair.publicKeyHex, key }, "approved")
  return { workspace: peer.workspace, audit, actor: { kind: "operator", name } }
}

const find = <T>(peer: { repo: NodePeer["repo"] }, url: string): Promise<DocHandle<T>> => peer.repo.find<T>(url as AutomergeUrl)

/** Loads the documents an offline operator writes to, so they are at hand without the relay. */
async function preload(peer: NodePeer): Promise<void> {
  const docs = peer.workspace.root.docs
  for (const url of [docs.identities, docs.wallets, docs.quests, docs.bounties, docs.rooms, docs.mailbox!]) await find(peer, url)
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

const ledgerOf = (handle: DocHandle<WalletsDoc>): LedgerEntry[] => Object.values(handle.doc().entries)
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
  await waitFor(() => relay.workspace.tasks.get(task.id) !== undefined, { events: [[relay.workspace.tasks, "change"]], message: "the relay to see the quest's task" })
  relay.workspace.updateTask(task.id, d => {
    // The relay blocks an LLM task while no worker with a key is online: unblock it first.
    if (d.status === "blocked") applyTransition(d, "queued", SYSTEM, Date.now())
    if (d.status !== "claimed") applyTransition(d, "claimed", SYSTEM, Date.now())
    delete d.lease
    applyTransition(d, "running", WORKER, Date.now())
    applyTransition(d, "pending_review", WORKER, Date.now())
  })
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
    const [a, b] = await connectTestPeers(teardown, relay, 2)
    const alice = await operatorOn(a!, "alice")
    const bob = await operatorOn(b!, "bob")
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

    a!.repo.networkSubsystem.reconnect()
    b!.repo.networkSubsystem.reconnect()
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
    expect(alice.audit.handle.doc().entries.filter(e => e.kind === "payout" && e.subject === quest.id)).toHaveLength(1)
    expect(bob.audit.handle.doc().entries.filter(e => e.kind === "payout" && e.subject === quest.id)).toHaveLength(1)

    // Online, a further approval knows: it pays nothing and says so.
    expect(await approveQuest(bob, quest.id)).toEqual({ paid: false, reason: "already paid" })
    expect(await approveQuest(alice, quest.id)).toEqual({ paid: false, reason: "already paid" })
    expect(ledgerOf(walletsA).filter(e => e.key === key)).toHaveLength(1)
  })

  it("a second online approval, once the first has synced, says 'already paid'", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b] = await connectTestPeers(teardown, relay, 2)
    const alice = await operatorOn(a!, "alice")
    const bob = await operatorOn(b!, "bob")
    const quest = await questAwaitingApproval(relay, a!, alice)
    expect(await approveQuest(alice, quest.id)).toEqual({ paid: true, amount: 30 })
    await preload(b!)
    const walletsB = await find<WalletsDoc>(b!, b!.workspace.root.docs.wallets)
    await waitFor(() => !!walletsB.doc().entries[`quest:${quest.id}:completion`], { events: [[walletsB, "change"]], timeoutMs: 10_000, message: "bob to see the reward" })
    expect(await approveQuest(bob, quest.id)).toEqual({ paid: false, reason: "already paid" })
    expect(bob.audit.handle.doc().entries.filter(e => e.kind === "payout")).toEqual([])
  })

  it("two operators complete the same bounty offline with the same winner: each member paid once", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b] = await connectTestPeers(teardown, relay, 2)
    const alice = await operatorOn(a!, "alice")
    const bob = await operatorOn(b!, "bob")
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
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)
    const alice = await operatorOn(a!, "alice")
    const bob = await operatorOn(b!, "bob")
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
})
