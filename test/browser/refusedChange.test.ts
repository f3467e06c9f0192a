/**
 * A change the relay refuses, as an operator on a train meets it: an edit made offline to a
 * task that a worker took meanwhile. The relay refuses it; the panel names the document and
 * the reason, and the operator discards this browser's copy of it (after a confirmation):
 * the app reloads it from the relay, and the next change syncs again.
 */
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { QueueDoc } from "../../schemas/index.ts"
import { SYSTEM } from "../../peer-server/scheduler.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import { joinAsOperator, launchBrowser, OFFLINE_NOISE, openDevice, screenshot, screenshotsOnFailure } from "../helpers/browser.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const browserTeardown = useTeardown("all")
const teardown = useTeardown()
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(browserTeardown)
})

const connectedBadge = (page: Page, connected: boolean) => page.locator(`[data-testid="connection"][data-connected="${connected}"]`).waitFor({ timeout: 20_000 })

describe("a change the relay refuses", { timeout: 90_000 }, () => {
  it("is named with its reason, and discarding the browser's copy of the document lets later changes sync again", async () => {
    const relay = await startTestRelay(teardown, { leaseMs: 600_000 })
    const node = await connectTestPeer(teardown, relay)
    const task = node.workspace.addTask({ command: "cat notes.txt", title: "Summarise notes" }, operatorOf(node))
    await node.flushToRelay()
    const a = await openDevice(teardown, browser, "a")
    await screenshotsOnFailure("refused-change", { a: () => a.page }, async () => {
      const before = new Set(relay.adapter.joinedSockets().keys())
      await joinAsOperator(a.page, relay, "Ada")
      await a.page.goto(`${relay.httpUrl}/queue`)
      await a.page.getByTestId(`edit-${task.id}`).waitFor()
      await connectedBadge(a.page, true)
      const mine = await waitFor(() => {
        const added = [...relay.adapter.joinedSockets().keys()].filter(peer => !before.has(peer))
        return added.length === 1 && added[0]!
      }, { message: "the browser's one sync connection" })

      // Offline, Ada retitles the task; meanwhile the relay leases it to a worker.
      await a.context.setOffline(true)
      // The browser drops it itself on going offline; a socket still open is cut here.
      relay.adapter.joinedSockets().get(mine)?.terminate()
      await connectedBadge(a.page, false)
      await a.page.getByTestId(`edit-${task.id}`).click()
      await a.page.locator(`#edit-title-${task.id}`).fill("Summarise the notes (edited on the train)")
      await a.page.getByTestId(`edit-save-${task.id}`).click()
      await a.page.getByTestId(`edit-form-${task.id}`).waitFor({ state: "detached" })
      relay.workspace.queueHandle.change((d: QueueDoc) => {
        const t = d.tasks[task.id]!
        applyTransition(t, "claimed", SYSTEM, Date.now(), "lease granted to w1")
        t.lease = { leaseId: `${task.id}.lease1`, holder: "w1", grantedAt: Date.now(), expiresAt: Date.now() + 600_000, renewals: 0 }
      })

      // Back online: the relay refuses the edit (a worker holds the task) and says why.
      await a.context.setOffline(false)
      const banner = a.page.getByTestId("refused-banner")
      await banner.waitFor({ timeout: 20_000 })
      expect(await banner.textContent()).toMatch(/The relay refused your change to the task queue:.*claimed/)
      expect(relay.workspace.tasks.get(task.id)?.title).toBe("Summarise notes")
      await screenshot(a.page, "refused-change-banner")
      await a.page.setViewportSize({ width: 390, height: 844 })
      await screenshot(a.page, "refused-change-banner-phone")
      await a.page.setViewportSize({ width: 1280, height: 800 })

      // Discarding asks first, then reloads the queue from the relay.
      await a.page.getByTestId("refused-discard").click()
      await expect.poll(() => a.page.getByTestId("confirm-dialog").textContent()).toContain("Discard your unsynced changes to the task queue?")
      await screenshot(a.page, "refused-change-confirm")
      // Listening before the click: the reload can finish before a later listener would start.
      await Promise.all([a.page.waitForEvent("load"), a.page.getByTestId("confirm-yes").click()])
      await a.page.getByTestId(`task-row-${task.id}`).or(a.page.getByText("Summarise notes")).first().waitFor({ timeout: 20_000 })
      await connectedBadge(a.page, true)
      expect(await a.page.getByTestId("refused-banner").count()).toBe(0)
      await expect.poll(() => a.page.getByText("Summarise notes", { exact: true }).count()).toBeGreaterThan(0)
      expect(await a.page.getByText("edited on the train").count()).toBe(0)

      // The queue syncs again: a task Ada adds now reaches the relay.
      await a.page.getByTestId("task-text").fill("Draft the weekly update")
      await a.page.getByTestId("task-title").fill("Weekly update")
      await a.page.getByTestId("task-submit").click()
      await waitFor(() => [...relay.workspace.tasks.entries.values()].some(t => t.title === "Weekly update"), {
        timeoutMs: 20_000,
        events: [[relay.workspace.tasks, "change"]],
        message: "the task Ada added after discarding to reach the relay",
      })
      await screenshot(a.page, "refused-change-recovered")
    })
    expect(a.unexpectedErrors([...OFFLINE_NOISE, /the relay refused a change/])).toEqual([])
  })
})
