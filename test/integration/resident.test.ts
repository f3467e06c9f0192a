/**
 * A worker playing a resident, through a real relay and the real groq-sdk against the fake
 * Groq server: the relay leases the resident to one worker, the task's prompt carries the
 * resident's wake-up context, the answer's message to the human reaches the mailbox (paid
 * for by the resident), the task lands in the resident's journal, and after approval the
 * relay posts the update, pays the reward and the tip once, and counts the task.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { IdentitiesDoc, JournalDoc, MailboxDoc, RoomDoc, RoomIndexDoc, WalletsDoc } from "../../schemas/index.ts"
import { DAILY_ALLOWANCE, MAIL_SEND_COST, ledgerKeys } from "../../src/domain/wallets/economy.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { sendMail } from "../../src/domain/mailbox/actions.ts"
import { SYSTEM_PROMPT } from "../../worker/llm.ts"
import { runMain } from "../helpers/cli.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { updateControls } from "../../src/domain/peers/actions.ts"
import { openWallets, walletOf } from "../../src/domain/wallets/actions.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"
import { ledgerEntries, ledgerEntry } from "../helpers/ledgerDoc.ts"

const teardown = useTeardown()

describe("a worker playing a resident", () => {
  it("wakes up as the resident, writes to the human and its journal, and is paid once after approval", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: () => "The north cave is mapped.\nMESSAGE TO HUMAN: [question] Shall I map the west cave next?" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const op = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(op)
    const mira = await forgeIdentity(ctx, { name: "Mira Vale", statement: "I map caves carefully and write down what I learn." })
    await op.flushToRelay()

    const w1 = await startWorker(teardown, relay, "w1", { fake, identities: [mira.id] })
    await startWorker(teardown, relay, "w2", { fake, identities: [mira.id] })
    await approveWorker(relay, "w1")
    await approveWorker(relay, "w2")
    const identities = await relay.repo.find<IdentitiesDoc>(relay.workspace.root.docs.identities as AutomergeUrl)
    // One worker at a time plays Mira: the relay leases her to the smallest name.
    await waitFor(() => identities.doc().leases?.[mira.id]?.holder === w1.name, { events: [[identities, "change"]], message: "Mira's lease" })
    expect(identities.doc().identities[mira.id]!.continuity.sessions).toBe(1)

    // Every result waits for a human, so the approval (and its tip) is the operator's.
    await updateControls(ctx, { reviewEverything: true })
    // Mail to every resident that she has not answered reaches her context.
    await sendMail(ctx, { content: "Could you check the east cave for water too?" })
    const bonus = { id: "one-time-crystallize", tokens: 25 }
    const task = op.workspace.addTask({ prompt: "Map the north cave.", targetIdentity: mira.id, maxBudgetUsd: 0.1, bonus }, ctx.actor)
    await until(relay, task.id, "pending_review", 20_000)
    expect(relay.workspace.tasks.get(task.id)!.result!.worker).toBe(w1.name)
    const system = fake.systems.get("Map the north cave.")!
    expect(system).toContain("I am Mira Vale (mira-vale)")
    expect(system).toContain(`Wallet: ${DAILY_ALLOWANCE - Math.ceil(DAILY_ALLOWANCE * 0.3)}`)
    expect(system).toContain("UNANSWERED MAIL FROM THE HUMANS")
    expect(system).toContain(`${ctx.actor.name} (to everyone): Could you check the east cave for water too?`)
    // The task keeps the exact context the model was given, for the panel and `task context`.
    expect(system).toBe(`${SYSTEM_PROMPT}\n\n${relay.workspace.tasks.get(task.id)!.result!.context}`)
    const shown = await runMain(["task", "context", task.id, "--json", "--data", relay.dataDir])
    expect(JSON.parse(shown.stdout), shown.stdout).toEqual({ id: task.id, context: system.slice(SYSTEM_PROMPT.length + 2) })

    // The answer's message to the human is in the mailbox, paid for by Mira.
    const mailbox = await relay.repo.find<MailboxDoc>(relay.workspace.root.docs.mailbox as AutomergeUrl)
    const question = await waitFor(() => Object.values(mailbox.doc().messages).find(m => m.direction === "to_human" && m.type === "question") ?? false, {
      events: [[mailbox, "change"]],
      message: "Mira's question in the mailbox",
    })
    expect(question).toMatchObject({ resident: mira.id, content: "Shall I map the west cave next?", taskId: task.id })
    const wallets = await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)
    await waitFor(() => !!ledgerEntry(wallets.doc(), ledgerKeys.mailSend(question.id)), { events: [[wallets, "change"]] })
    expect(ledgerEntry(wallets.doc(), ledgerKeys.mailSend(question.id))).toMatchObject({ kind: "spend", amount: MAIL_SEND_COST, identity: mira.id })
    // …and the relay left one review notice for the task.
    await waitFor(() => !!mailbox.doc().messages[`pending-${task.id}`], { events: [[mailbox, "change"]] })

    // Her journal remembers the task.
    const journal = await relay.repo.find<JournalDoc>(mira.journalUrl as AutomergeUrl)
    await waitFor(() => journal.doc().entries.some(e => e.kind === "task" && e.content.includes(task.id)), { events: [[journal, "change"]] })

    // Approval with a tip: the relay posts the update and pays reward and tip, once.
    await waitFor(() => op.workspace.tasks.get(task.id)?.status === "pending_review", { events: [[op.workspace.tasks, "change"]] })
    await decideTask(ctx, task.id, "approve", { tip: 7, feedback: "Lovely map" })
    await until(relay, task.id, "approved")
    await waitFor(() => !!ledgerEntry(wallets.doc(), ledgerKeys.reward(task.id, mira.id)) && !!ledgerEntry(wallets.doc(), ledgerKeys.tip(task.id)), {
      events: [[wallets, "change"]],
      message: "reward and tip",
    })
    expect(ledgerEntry(wallets.doc(), ledgerKeys.tip(task.id))!.amount).toBe(7)
    const rooms = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
    const hall = await relay.repo.find<RoomDoc>(rooms.doc().rooms.town_hall!.url as AutomergeUrl)
    await waitFor(() => hall.doc().messages.some(m => m.id === `update-${task.id}`), { events: [[hall, "change"]] })
    await waitFor(() => identities.doc().identities[mira.id]!.continuity.tasksCompleted === 1, { events: [[identities, "change"]] })

    // The counter moved after the update was posted: a later pass finds the post and pays nothing more.
    expect([...ledgerEntries(wallets.doc()).values()].filter(e => e.key.includes(task.id)).map(e => e.key).sort()).toEqual([ledgerKeys.reward(task.id, mira.id), ledgerKeys.tip(task.id)].sort())
    expect(ledgerEntry(wallets.doc(), ledgerKeys.bonus(bonus.id, mira.id))).toMatchObject({ amount: 25, identity: mira.id })

    // The same one-time bonus on a second task is not paid again.
    const again = op.workspace.addTask({ prompt: "Map the south cave.", targetIdentity: mira.id, maxBudgetUsd: 0.1, bonus }, ctx.actor)
    await until(relay, again.id, "pending_review", 20_000)
    // The second task remembers the first (her journal) and sees the town hall's post about it.
    const second = fake.systems.get("Map the south cave.")!
    expect(second).toContain(`Task ${task.id} (`)
    expect(second).toContain("RECENT ROOM MESSAGES")
    await waitFor(() => op.workspace.tasks.get(again.id)?.status === "pending_review", { events: [[op.workspace.tasks, "change"]] })
    await decideTask(ctx, again.id, "approve")
    await until(relay, again.id, "approved")
    await waitFor(() => hall.doc().messages.some(m => m.id === `update-${again.id}`), { events: [[hall, "change"]] })
    expect([...ledgerEntries(wallets.doc()).values()].filter(e => e.key.startsWith("bonus:"))).toHaveLength(1)
    expect(hall.doc().messages.filter(m => m.id === `update-${task.id}`)).toHaveLength(1)
    const wallet = await walletOf(op.workspace, await openWallets(op.workspace), mira.id)
    expect(wallet.entries.filter(e => e.status === "voided")).toEqual([])
  }, 60_000)

  it("a worker that plays every resident (as vivarium start's does) takes up one forged while it runs, with no restart", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: () => "The river is charted from source to sea." })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const op = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(op)
    const worker = await startWorker(teardown, relay, "w1", { fake, playAllResidents: true })
    await approveWorker(relay, "w1")
    await waitFor(() => worker.approved, { events: [[worker, "approved"]], message: "the worker to open the workspace" })

    const noor = await forgeIdentity(ctx, { name: "Noor Atlas", statement: "I chart rivers and keep my notes tidy." })
    await op.flushToRelay()
    const identities = await relay.repo.find<IdentitiesDoc>(relay.workspace.root.docs.identities as AutomergeUrl)
    await waitFor(() => identities.doc().leases?.[noor.id]?.holder === "w1", { events: [[identities, "change"]], message: "Noor's lease to the running worker" })
    expect(relay.workspace.root.peers.w1!.identities).toEqual([noor.id])

    const task = op.workspace.addTask({ prompt: "Chart the river.", targetIdentity: noor.id, maxBudgetUsd: 0.1 }, ctx.actor)
    await until(relay, task.id, "approved", 20_000)
    expect(relay.workspace.tasks.get(task.id)!.result!.worker).toBe("w1")
  }, 60_000)
})
