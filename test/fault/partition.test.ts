/**
 * Fault: a worker playing a resident is cut off from the relay mid-run. The relay expires its
 * lease and another worker (the rescuer) runs the task. The cut-off worker finishes anyway on
 * its own replica — a result, a journal note, paid mail, a bounty submission — and comes back.
 * Exactly one result is accepted (the rescuer's), on the relay and on every other peer: the
 * relay refuses the stale result and side effects when they arrive, so none is paid,
 * delivered or entered.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { BountiesDoc, IdentitiesDoc, JournalDoc, MailboxDoc, WalletsDoc } from "../../schemas/index.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import { askResidentForBounty, postBounty, readFencedBounties } from "../../src/domain/bounties/actions.ts"
import { deliveredMail, fencedWallets } from "../../src/workspace/fencedReaders.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"
import { ledgerEntries, ledgerEntry } from "../helpers/ledgerDoc.ts"

const teardown = useTeardown()
const LEASE_MS = 1_500

describe("a worker partitioned from the relay while running", () => {
  it("comes back with a stale result and side effects: only the rescuer's result counts, the stale ones are not paid, delivered or entered", async () => {
    let speaker = "island"
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { leaseMs: LEASE_MS, schedulerTickMs: 50, economyTickMs: 100, onlineWindowMs: 1_000 })
    const op = await connectTestPeer(teardown, relay)
    const alice = await peerOperator(op)
    const ada = await forgeIdentity(alice, { name: "Ada", statement: "I map caves carefully and write down what I learn." })
    const bounty = await postBounty(alice, { title: "Cave map", reward: 40, slots: 2 })
    await op.flushToRelay()

    const island = await startWorker(teardown, relay, "island", { fake, identities: [ada.id], leaseMs: LEASE_MS })
    await approveWorker(relay, "island")
    // The worker opens the workspace once it sees its approval.
    if (!island.approved) await new Promise<void>(resolve => island.once("approved", () => resolve()))
    const identities = await relay.repo.find<IdentitiesDoc>(relay.workspace.root.docs.identities as AutomergeUrl)
    await waitFor(() => identities.doc().leases?.[ada.id]?.holder === "island", { events: [[identities, "change"]], message: "Ada's resident lease to the island" })
    // Every document the island's follow-ups write is on its replica before the partition.
    const docs = island.workspace.root.docs
    for (const url of [docs.mailbox!, docs.bounties, docs.wallets, ada.journalUrl!]) await island.workspace.repo.find(url as AutomergeUrl)

    const task = await askResidentForBounty(alice, bounty.id, ada.id)
    await op.flushToRelay()
    await waitFor(() => relay.workspace.tasks.get(task.id)?.status === "running" && fake.hungCount() === 1, {
      events: [[relay.workspace.tasks, "change"]],
      timeoutMs: 15_000,
      message: "the island to run the task",
    })
    const staleLease = relay.workspace.tasks.get(task.id)!.lease!.leaseId

    // The partition: the island's call returns while it is cut off, and it finishes locally.
    island.workspace.repo.networkSubsystem.disconnect()
    fake.behaviour = { kind: "answer", text: () => `The ${speaker} map of every cave exit, drawn carefully.\nMESSAGE TO HUMAN: the ${speaker} says hello` }
    const finished = new Promise(resolve => island.once("task-finished", resolve))
    fake.releaseHung()
    expect(await finished).toMatchObject({ taskId: task.id, status: "approved" })
    const islandMailbox = await island.workspace.repo.find<MailboxDoc>(docs.mailbox as AutomergeUrl)
    const islandBounties = await island.workspace.repo.find<BountiesDoc>(docs.bounties as AutomergeUrl)
    const islandJournal = await island.workspace.repo.find<JournalDoc>(ada.journalUrl as AutomergeUrl)
    await waitFor(
      () =>
        Object.values(islandMailbox.doc().messages).some(m => m.content === "the island says hello") &&
        Object.keys(islandBounties.doc().bounties[bounty.id]!.submissions).length === 1 &&
        islandJournal.doc().entries.some(e => e.content.startsWith(`Task ${task.id}`)),
      { events: [[islandMailbox, "change"], [islandBounties, "change"], [islandJournal, "change"]], message: "the island's follow-ups on its own replica" },
    )

    // The relay expires the lease; the rescuer plays Ada and runs the task.
    speaker = "rescuer"
    const rescuer = await startWorker(teardown, relay, "rescuer", { fake, identities: [ada.id], leaseMs: LEASE_MS })
    await approveWorker(relay, "rescuer")
    await waitFor(() => relay.workspace.tasks.get(task.id)?.result?.worker === "rescuer" && relay.workspace.tasks.get(task.id)?.status === "approved", {
      events: [[relay.workspace.tasks, "change"]],
      timeoutMs: 20_000,
      message: "the rescuer's result",
    })
    const rescued = relay.workspace.tasks.get(task.id)!
    const mailbox = await relay.repo.find<MailboxDoc>(docs.mailbox as AutomergeUrl)
    await waitFor(() => Object.values(mailbox.doc().messages).some(m => m.content === "the rescuer says hello"), { events: [[mailbox, "change"]], message: "the rescuer's mail" })

    // The island comes back: the relay refuses its stale run (the lease moved on) and every
    // side effect of it (the resident is the rescuer's now), naming each.
    const reloaded = new Promise<{ documents: string[]; at: number }>(resolve => island.once("reloaded", ({ documents }) => resolve({ documents, at: Date.now() })))
    island.workspace.repo.networkSubsystem.reconnect()
    const refusals = [`which island does not hold`, `island does not play ${ada.id}`]
    const refusedAt = (what: string | RegExp) => relay.logs.some(l => l.startsWith("refused a change from island") && (typeof what === "string" ? l.includes(what) : what.test(l)))
    // Each document syncs on its own: wait until every stale write has arrived and been refused.
    const stalePaths = [`at tasks.${task.id}`, "at messages.", /at days\.\d{2}\.mail-send:/, `at bounties.${bounty.id}`]
    await waitFor(() => refusals.every(r => relay.logs.some(l => l.startsWith("refused a change from island") && l.includes(r))) && stalePaths.every(refusedAt), {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: "the relay to refuse the island's stale changes",
    })
    expect(refusedAt(`at tasks.${task.id}`)).toBe(true)
    expect(refusedAt("at messages.")).toBe(true)
    expect(refusedAt(/at days\.\d{2}\.mail-send:/)).toBe(true)
    expect(refusedAt(`at bounties.${bounty.id}`)).toBe(true)
    await op.flushToRelay()

    // Exactly one result, the rescuer's, under the lease that is current: on the relay and on the operator's peer.
    for (const ws of [relay.workspace, op.workspace]) {
      await waitFor(() => ws.tasks.get(task.id)?.result?.worker === "rescuer" && ws.tasks.get(task.id)?.status === "approved", {
        events: [[ws.tasks, "change"]],
        message: "every peer to hold the rescuer's result",
      })
      const t = ws.tasks.get(task.id)!
      expect(t.result!.leaseId).toBe(rescued.result!.leaseId)
      expect(t.result!.leaseId).not.toBe(staleLease)
      expect(t.result!.output).toContain("rescuer")
      expect(ws.queueHandle.doc().tasks[task.id]!.result!.worker).toBe("rescuer")

      // The stale run's mail never arrived; the rescuer's is delivered and paid once.
      const mail = await deliveredMail(ws)
      expect(mail.messages.map(m => m.content).filter(c => c.endsWith("says hello"))).toEqual(["the rescuer says hello"])
      expect(mail.withheld.size).toBe(0)
      const wallets = await fencedWallets(ws)
      const spends = wallets.get(ada.id)!.entries.filter(e => e.entry.key.startsWith("mail-send:"))
      expect(spends.map(e => [e.entry.run?.leaseId === staleLease, e.status])).toEqual([[false, "applied"]])

      // The bounty has one submission: the rescuer's.
      const submissions = Object.values((await readFencedBounties(ws)).get(bounty.id)!.submissions)
      expect(submissions.map(s => s.content)).toEqual([expect.stringContaining("rescuer")])
    }

    // The rescuer's approval was paid once; the stale run earned nothing.
    const wallets = await relay.repo.find<WalletsDoc>(docs.wallets as AutomergeUrl)
    expect([...ledgerEntries(wallets.doc()).keys()].filter(k => k === ledgerKeys.reward(task.id, ada.id))).toHaveLength(1)

    // Every later change of the island would build on its refused ones: it drops its copies of
    // those documents and connects again. Then it works as before: with the rescuer gone, the
    // next task is leased to it, and its result reaches the relay.
    const reload = await reloaded
    expect(reload.documents).toContain(relay.workspace.queueHandle.documentId)
    if (!island.approved) await new Promise<void>(resolve => island.once("approved", () => resolve()))
    // A whole lease after the reload: the disconnect of the connection it closed must not count
    // as being cut off from the relay (that would make the island give up every run it starts).
    await waitFor(() => Date.now() - reload.at > LEASE_MS, { intervalMs: 100, timeoutMs: 5_000, message: "a lease to pass since the reload" })
    await rescuer.stop()
    const next = op.workspace.addTask({ command: "echo back on the mainland" }, operatorOf(op))
    await op.flushToRelay()
    await waitFor(() => relay.workspace.tasks.get(next.id)?.result?.worker === "island", {
      events: [[relay.workspace.tasks, "change"]],
      timeoutMs: 20_000,
      message: "the island's result for a new task to reach the relay",
    })
    expect(relay.workspace.tasks.get(next.id)!.result!.output).toContain("back on the mainland")
  }, 90_000)
})
