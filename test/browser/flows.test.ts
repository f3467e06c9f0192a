/**
 * The operator's loop in a real browser against the built app served by a real relay, with
 * a real worker and the real groq-sdk talking to the fake Groq server on loopback:
 * add a task → the worker runs it → review → approve (signed) → audit; two operators
 * editing one quest objective at once; the kill switch set in the browser stops the worker.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { AuditDoc, QuestDoc, QuestIndexDoc } from "../../schemas/index.ts"
import { verifyWorkspaceAudit } from "../../src/domain/audit/auditVerify.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { addLlmTask, go, joinAsOperator, joinLink, launchBrowser, openDevice, reviewEverything, screenshot, screenshotsOnFailure } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("control panel in the browser", { timeout: 90_000 }, () => {
  it("add a task → the worker runs it → the result appears → approve with a tip → the approval is signed in the audit log", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: prompt => `Moss answer to: ${prompt}` })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    await startWorker(teardown, relay, "w1", { fake })
    await approveWorker(relay, "w1")
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("loop", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada")

      // Route every result through a human, so this one waits for Ada's review.
      await reviewEverything(page, relay)

      const id = await addLlmTask(page, relay, "Write two lines about moss.")
      await until(relay, id, "pending_review", 20_000)
      const review = page.getByTestId(`review-${id}`)
      await expect.poll(() => review.textContent(), { timeout: 15_000 }).toContain("Moss answer to: Write two lines about moss.")
      await screenshot(page, "queue-pending-review")

      await page.getByTestId(`tip-${id}`).fill("5")
      await page.getByTestId(`feedback-${id}`).fill("Lovely, thank you")
      await page.getByTestId(`approve-${id}`).click()
      const approved = await until(relay, id, "approved")
      const me = approved.review?.decidedBy
      expect(me).toBeTruthy()
      expect(approved.review?.tip).toBe(5)
      expect(approved.review?.feedback).toBe("Lovely, thank you")
      expect(approved.history.at(-1)?.by).toEqual({ kind: "operator", name: me })
      expect(fake.counts.get("Write two lines about moss.")).toBe(1)

      // The approval is an entry in Ada's own signed audit log, and every chain verifies.
      const record = relay.workspace.root.peers[me!]!
      expect(record.role).toBe("operator")
      expect(record.displayName ?? me).toBe("Ada")
      const log = await relay.repo.find<AuditDoc>(record.auditUrl as AutomergeUrl)
      await waitFor(() => auditEntries(log.doc()).some(e => e.kind === "approval" && e.subject === id), { events: [[log, "change"]] })
      const reports = await verifyWorkspaceAudit(relay.repo, relay.workspace.root)
      expect(reports.filter(r => !r.ok)).toEqual([])

      // The browser shows the same: the approval entry and a valid chain, computed in the page.
      await go(page, "audit")
      await page.locator(`[data-testid="audit-entry"][data-kind="approval"][data-subject="${id}"]`).waitFor()
      await expect.poll(() => page.getByTestId(`audit-chain-${me}`).getAttribute("data-state"), { timeout: 15_000 }).toBe("valid")
      await screenshot(page, "audit")

      await page.goto(`${relay.httpUrl}/tasks/${id}`)
      await expect.poll(() => page.getByTestId("task-detail").getAttribute("data-status")).toBe("approved")
      await expect.poll(() => page.getByTestId("task-history").textContent()).toContain("pending_review")
      await page.locator(`[data-testid="task-audit"]`).getByText("approval").first().waitFor()
      await screenshot(page, "task-detail")

      // One picture of every main view, for people to look at.
      for (const view of ["dashboard", "queue", "workers", "runtime", "residents", "rooms", "quests", "bounties", "settings"]) {
        await go(page, view)
        await page.waitForLoadState("networkidle")
        await screenshot(page, `view-${view}`)
      }
      expect(ada.unexpectedErrors()).toEqual([])
    })
  })

  it("two operators typing in the same quest objective at once keep both edits, and a Node peer sees them", async () => {
    const relay = await startTestRelay(teardown)
    // A quest is assigned to a resident: forge one from a Node operator first.
    const forger = await connectTestPeer(teardown, relay)
    const resident = await forgeIdentity(await peerOperator(forger), { name: "Moss Keeper" })
    await forger.flushToRelay()
    const [a, b] = [await openDevice(teardown, browser, "a"), await openDevice(teardown, browser, "b")]
    await screenshotsOnFailure("quest-merge", { a: () => a.page, b: () => b.page }, async () => {
      await joinAsOperator(a.page, relay, "Ada")
      await joinAsOperator(b.page, relay, "Grace")
      await go(a.page, "quests")
      await a.page.getByTestId("quest-resident").selectOption(resident.id)
      await a.page.getByTestId("quest-title").fill("Map the greenhouse")
      await a.page.getByTestId("quest-objective").fill("[middle]")
      await a.page.getByTestId("quest-submit").click()
      const questIndex = await relay.repo.find<QuestIndexDoc>(relay.workspace.root.docs.quests as AutomergeUrl)
      const entry = await waitFor(() => Object.values(questIndex.doc().quests).find(q => q.title === "Map the greenhouse") ?? false, { events: [[questIndex, "change"]] })
      for (const page of [a.page, b.page]) await page.goto(`${relay.httpUrl}/quests/${entry.id}`)
      const editors = [a.page, b.page].map(p => p.getByTestId("quest-objective-editor"))
      for (const editor of editors) await expect.poll(() => editor.inputValue()).toBe("[middle]")

      // Ada types at the start, Grace at the end, at the same time.
      await editors[0]!.focus()
      await a.page.keyboard.press("Home")
      await editors[1]!.focus()
      await b.page.keyboard.press("End")
      await Promise.all([a.page.keyboard.type("Ada was here ", { delay: 15 }), b.page.keyboard.type(" and Grace too", { delay: 15 })])
      const expected = "Ada was here [middle] and Grace too"
      for (const editor of editors) await expect.poll(() => editor.inputValue(), { timeout: 15_000 }).toBe(expected)
      // Presence is resent every 2 s; a loaded machine may need a few rounds.
      await expect.poll(() => b.page.getByTestId("quest-viewers").textContent(), { timeout: 15_000 }).toContain("Ada")
      await screenshot(a.page, "quest-detail")

      const node = await connectTestPeer(teardown, relay)
      const quest = await node.repo.find<QuestDoc>(entry.url as AutomergeUrl)
      await waitFor(() => quest.doc().objective === expected, { events: [[quest, "change"]], message: "the Node peer to see both edits" })
      expect(a.unexpectedErrors()).toEqual([])
      expect(b.unexpectedErrors()).toEqual([])
    })
  })

  it("the kill switch set in the browser stops the worker: its running task is cancelled and nothing new starts", async () => {
    const fake = await startFakeGroq({ kind: "hang" })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    await startWorker(teardown, relay, "w1", { fake })
    await approveWorker(relay, "w1")
    const op = await openDevice(teardown, browser, "op")
    await screenshotsOnFailure("kill-switch", { op: () => op.page }, async () => {
      const page = op.page
      await joinAsOperator(page, relay, "Ada")
      await go(page, "queue")
      await page.getByTestId("task-mode").selectOption("llm")
      await page.getByTestId("task-text").fill("A long task that hangs.")
      await page.getByTestId("task-submit").click()
      const id = await waitFor(() => [...relay.workspace.tasks.entries.values()].find(t => t.prompt === "A long task that hangs.")?.id ?? false, {
        events: [[relay.workspace.tasks, "change"]],
      })
      await until(relay, id, "running")
      await waitFor(() => fake.hungCount() === 1)

      await go(page, "runtime")
      await page.getByTestId("halt-reason").fill("stop everything, checking costs")
      await page.getByTestId("halt-button").click()
      await page.getByTestId("confirm-yes").click()
      const cancelled = await until(relay, id, "cancelled", 5_000)
      expect(cancelled.history.at(-1)?.reason).toContain("stop everything, checking costs")
      await page.getByTestId("halt-banner").waitFor()
      expect(relay.workspace.root.controls.killSwitch).toMatchObject({ on: true, reason: "stop everything, checking costs" })

      await go(page, "queue")
      await page.getByTestId("task-mode").selectOption("llm")
      await page.getByTestId("task-text").fill("Must not run while halted.")
      await page.getByTestId("task-submit").click()
      const later = await waitFor(() => [...relay.workspace.tasks.entries.values()].find(t => t.prompt === "Must not run while halted.")?.id ?? false, {
        events: [[relay.workspace.tasks, "change"]],
      })
      const blocked = await until(relay, later, "blocked")
      expect(blocked.blocked?.kind).toBe("kill_switch")
      expect(fake.counts.get("Must not run while halted.")).toBeUndefined()
      await screenshot(page, "halted")

      // The halt is signed under the operator who pressed it.
      const setBy = relay.workspace.root.controls.killSwitch.setBy
      const log = await relay.repo.find<AuditDoc>(relay.workspace.root.peers[setBy]!.auditUrl as AutomergeUrl)
      await waitFor(() => auditEntries(log.doc()).some(e => e.kind === "kill_switch" && JSON.parse(e.data).on === true), { events: [[log, "change"]], message: "the signed halt" })
      fake.releaseHung()
    })
  })
})
