/**
 * The quest loop in a real browser against the built app served by a real relay, with a
 * worker playing the resident (the real groq-sdk talking to the fake Groq server):
 * assign (upfront tip paid) → pause → resume → the worker runs the quest's task as the
 * resident → the task is approved from the mailbox notice → the relay moves the quest to
 * awaiting_approval → the operator approves the quest (completion reward paid once) →
 * approving again pays nothing and says so. Then the mailbox: a resident's question,
 * the operator's reply (+12) and a new message (+8), each queuing a task for the resident.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { IdentitiesDoc, JournalDoc, QuestDoc, QuestIndexDoc, WalletsDoc } from "../../schemas/index.ts"
import { ledgerKeys, MAIL_DM_GRANT, MAIL_REPLY_GRANT } from "../../src/domain/wallets/economy.ts"
import { residentMessage } from "../../src/domain/mailbox/actions.ts"
import { go, joinAsOperator, joinLink, launchBrowser, openDevice, reviewEverything, screenshot, screenshotBothSizes, screenshotsOnFailure } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, until, type TestRelay } from "../helpers/relay.ts"
import { forgeResidentAt } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"
import { ledgerEntries, ledgerEntry } from "../helpers/ledgerDoc.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

async function relayDoc<T>(relay: TestRelay, url: string) {
  return relay.repo.find<T>(url as AutomergeUrl)
}

const keysWith = (wallets: { doc(): WalletsDoc }, prefix: string) => [...ledgerEntries(wallets.doc()).keys()].filter(k => k.startsWith(prefix))

describe("quests and the mailbox in the browser", { timeout: 120_000 }, () => {
  it("one full quest: assign → pause → resume → the resident's worker runs it → approve the task → approve the quest, paid once", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: () => "I walked the north cave and mapped its three exits." })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const { resident } = await forgeResidentAt(teardown, relay, "Moss Keeper")
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("quest-loop", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada")

      // Every result waits for a human, so the quest task stops at pending_review.
      await reviewEverything(page, relay)

      // Assign the quest; no worker plays the resident yet, so its task waits in the queue.
      await go(page, "quests")
      await page.getByTestId("quest-resident").selectOption(resident.id)
      await page.getByTestId("quest-title").fill("Map the north cave")
      await page.getByTestId("quest-objective").fill("Find every exit of the north cave and name them.")
      await page.getByTestId("quest-tip").fill("10")
      await page.getByTestId("quest-reward").fill("30")
      await page.getByTestId("quest-submit").click()
      const questIndex = await relayDoc<QuestIndexDoc>(relay, relay.workspace.root.docs.quests)
      const entry = await waitFor(() => Object.values(questIndex.doc().quests).find(q => q.title === "Map the north cave") ?? false, {
        events: [[questIndex, "change"]],
        message: "the quest to reach the relay",
      })
      const questDoc = await relayDoc<QuestDoc>(relay, entry.url)
      const wallets = await relayDoc<WalletsDoc>(relay, relay.workspace.root.docs.wallets)
      await waitFor(() => ledgerEntry(wallets.doc(), ledgerKeys.questUpfront(entry.id)) ?? false, { events: [[wallets, "change"]], message: "the upfront tip" })
      expect(ledgerEntry(wallets.doc(), ledgerKeys.questUpfront(entry.id))).toMatchObject({ identity: resident.id, amount: 10, kind: "grant" })

      // Pause withdraws the queued task; resume queues a fresh one.
      await page.getByTestId(`quest-link-${entry.id}`).click()
      await expect.poll(() => page.getByTestId("quest-state").getAttribute("data-state")).toBe("active")
      await page.getByTestId("quest-paid-upfront").waitFor()
      const firstTask = await waitFor(() => questDoc.doc().taskId ?? false, { events: [[questDoc, "change"]] })
      await page.getByTestId("quest-pause").click()
      await waitFor(() => questDoc.doc().state === "paused", { events: [[questDoc, "change"]], message: "the quest to be paused" })
      expect((await until(relay, firstTask, "cancelled")).history.at(-1)?.reason).toContain("quest paused")
      await page.getByTestId("quest-resume").click()
      const taskId = await waitFor(() => (questDoc.doc().state === "active" && questDoc.doc().taskId !== firstTask ? questDoc.doc().taskId! : false), {
        events: [[questDoc, "change"]],
        message: "a fresh quest task after resume",
      })
      // The quest and the queue are separate documents: the task may reach the relay a moment later.
      const fresh = await waitFor(() => relay.workspace.tasks.get(taskId) ?? false, { events: [[relay.workspace.tasks, "change"]], message: "the fresh task at the relay" })
      expect(fresh).toMatchObject({ targetIdentity: resident.id, link: { kind: "quest", id: entry.id } })

      // Now a worker plays the resident and runs the quest's task.
      await startWorker(teardown, relay, "w1", { fake, identities: [resident.id] })
      await approveWorker(relay, "w1")
      await until(relay, taskId, "pending_review", 30_000)
      const prompts = [...fake.counts.keys()].filter(p => p.startsWith("Quest for Moss Keeper"))
      expect(prompts).toHaveLength(1)
      expect(prompts[0]).toContain("Find every exit of the north cave")

      // The worker played the resident: its journal has a note of the task.
      const identities = await relayDoc<IdentitiesDoc>(relay, relay.workspace.root.docs.identities)
      const journal = await relayDoc<JournalDoc>(relay, identities.doc().identities[resident.id]!.journalUrl!)
      const note = await waitFor(() => journal.doc().entries.find(e => e.kind === "task" && e.content.includes(`Task ${taskId}`)) ?? false, {
        events: [[journal, "change"]],
        message: "the worker's journal note for the quest task",
      })
      expect(note.content).toContain("mapped its three exits")

      // The task shows the exact context the resident was given, its open quest among it.
      await page.goto(`${relay.httpUrl}/tasks/${taskId}`)
      const context = page.getByTestId("task-context")
      await context.locator("summary").click()
      await expect.poll(() => context.textContent()).toContain(`I am ${resident.name} (${resident.id})`)
      expect(await context.textContent()).toContain('Quest "Map the north cave" (active, reward 30 tokens): Find every exit of the north cave and name them.')
      await screenshotBothSizes(page, "task-context")

      // The relay's "pending approval" notice reaches the mailbox; approve the task from it.
      await go(page, "quests")
      const approveTask = page.getByTestId(`mail-approve-${taskId}`)
      await approveTask.waitFor({ timeout: 15_000 })
      await expect.poll(() => page.getByTestId("mail-unread-total").getAttribute("data-count")).toBe("1")
      await expect.poll(() => page.getByTestId(`mail-thread-${resident.id}`).getAttribute("data-unread")).toBe("1")
      await screenshot(page, "quest-mailbox")
      await approveTask.click()
      await until(relay, taskId, "approved")
      await expect.poll(() => page.getByTestId("mail-unread-total").getAttribute("data-count")).toBe("0")
      await expect.poll(() => page.getByTestId(`mail-task-status-${taskId}`).getAttribute("data-status")).toBe("approved")

      // The relay moves the quest on; the operator approves it and the reward is paid.
      await page.getByTestId(`quest-link-${entry.id}`).click()
      await expect.poll(() => page.getByTestId("quest-state").getAttribute("data-state"), { timeout: 15_000 }).toBe("awaiting_approval")
      await expect.poll(() => page.getByTestId("quest-task-status").getAttribute("data-status")).toBe("approved")
      await page.getByTestId("quest-approve").click()
      const result = page.getByTestId("quest-approve-result")
      await expect.poll(() => result.getAttribute("data-paid")).toBe("true")
      expect(await result.textContent()).toContain("30 tokens")
      await expect.poll(() => page.getByTestId("quest-paid-completion").getAttribute("data-amount")).toBe("30")
      await expect.poll(() => page.getByTestId("quest-state").getAttribute("data-state")).toBe("completed")
      const completion = ledgerKeys.questCompletion(entry.id)
      await waitFor(() => ledgerEntry(wallets.doc(), completion) ?? false, { events: [[wallets, "change"]], message: "the completion reward at the relay" })
      expect(ledgerEntry(wallets.doc(), completion)).toMatchObject({ identity: resident.id, amount: 30, kind: "grant" })

      // Approving again pays nothing, and the page says so.
      await page.getByTestId("quest-approve").click()
      await expect.poll(() => result.textContent()).toContain("Already paid — nothing more was paid")
      expect(await result.getAttribute("data-paid")).toBe("false")
      expect(keysWith(wallets, completion)).toEqual([completion])
      expect(keysWith(wallets, `quest:${entry.id}:`).sort()).toEqual([completion, ledgerKeys.questUpfront(entry.id)].sort())
      expect(await page.getByTestId("quest-paid").getAttribute("data-total")).toBe("40")
      const approver = relay.workspace.tasks.get(taskId)!.review!.decidedBy
      await waitFor(() => questDoc.doc().state === "completed" && questDoc.doc().approvedBy === approver, { events: [[questDoc, "change"]], message: "the completed quest at the relay" })
      await screenshot(page, "quest-detail-paid")
      expect(ada.unexpectedErrors()).toEqual([])
    })
  })

  it("the mailbox: a resident's question is unread until answered; a reply grants +12, a new message +8, each queuing a task", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const { node, resident } = await forgeResidentAt(teardown, relay, "Fern Walker")
    // Writing to the human costs the resident 10 tokens: wait for its daily allowance.
    const nodeWallets = await node.repo.find<WalletsDoc>(node.workspace.root.docs.wallets as AutomergeUrl)
    await waitFor(() => keysWith(nodeWallets, `allowance:${resident.id}:`).length > 0, { events: [[nodeWallets, "change"]], message: "the daily allowance" })
    // The resident's question, written where no gate stands (the relay's own replica), paid from its wallet.
    const question = await residentMessage(relay.workspace, { resident: resident.id, type: "question", content: "May I map the south cave next?" }, relay.audit.signer)

    const op = await openDevice(teardown, browser, "op")
    await screenshotsOnFailure("mailbox", { op: () => op.page }, async () => {
      const page = op.page
      await joinAsOperator(page, relay, "Ada")
      await go(page, "quests")
      await page.getByTestId(`mail-message-${question.id}`).waitFor()
      await expect.poll(() => page.getByTestId("mail-unread-total").getAttribute("data-count")).toBe("1")
      expect(await page.getByTestId(`mail-message-${question.id}`).textContent()).toContain("May I map the south cave next?")

      await page.getByTestId(`mail-reply-${question.id}`).fill("Yes — take a lamp.")
      await page.getByTestId(`mail-reply-send-${question.id}`).click()
      await expect.poll(() => page.getByTestId("mail-unread-total").getAttribute("data-count")).toBe("0")
      const wallets = await relayDoc<WalletsDoc>(relay, relay.workspace.root.docs.wallets)
      const [replyKey] = await waitFor(() => (keysWith(wallets, "mail-reply:").length ? keysWith(wallets, "mail-reply:") : false), {
        events: [[wallets, "change"]],
        message: "the reply's grant at the relay",
      })
      expect(ledgerEntry(wallets.doc(), replyKey!)).toMatchObject({ identity: resident.id, amount: MAIL_REPLY_GRANT })
      await waitFor(() => [...relay.workspace.tasks.entries.values()].some(t => t.targetIdentity === resident.id && t.prompt?.includes("Yes — take a lamp.")), {
        events: [[relay.workspace.tasks, "change"]],
        message: "the reply's follow-up task",
      })

      await page.getByTestId("mail-new-resident").selectOption(resident.id)
      await page.getByTestId("mail-new-text").fill("Bring back a sketch of the entrance.")
      await page.getByTestId("mail-new-send").click()
      const [dmKey] = await waitFor(() => (keysWith(wallets, "mail-dm:").length ? keysWith(wallets, "mail-dm:") : false), {
        events: [[wallets, "change"]],
        message: "the new message's grant at the relay",
      })
      expect(ledgerEntry(wallets.doc(), dmKey!)).toMatchObject({ identity: resident.id, amount: MAIL_DM_GRANT })
      await waitFor(() => [...relay.workspace.tasks.entries.values()].some(t => t.targetIdentity === resident.id && t.prompt?.includes("Bring back a sketch")), {
        events: [[relay.workspace.tasks, "change"]],
        message: "the new message's task",
      })
      await expect.poll(() => page.getByTestId(`mail-thread-${resident.id}`).locator("[data-direction=from_human]").count()).toBe(2)
      await screenshot(page, "quest-mailbox-replied")
      expect(op.unexpectedErrors()).toEqual([])
    })
  })
})
