/**
 * The collaboration request in the panel, in a real browser against a real relay: an operator
 * asks the residents for help (its suggestion task reaches the relay), replaces the request,
 * marks it done, and sees both in the finished list; an empty request is refused as typed.
 */
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { suggestionTaskId } from "../../src/domain/collaboration/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("the collaboration request in the panel", { timeout: 120_000 }, () => {
  it("asks, replaces and finishes a request; the suggestion task reaches the relay", async () => {
    const relay = await startTestRelay(teardown)
    const dev = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("collab-request", { ada: () => dev.page }, async () => {
      const page = dev.page
      await joinAsOperator(page, relay, "Ada Operator")
      await go(page, "quests")
      const card = page.getByTestId("collab-request")
      await card.getByTestId("collab-none").waitFor()

      await card.getByTestId("collab-input").fill("x")
      await card.getByTestId("collab-submit").click()
      await expect.poll(() => card.locator(".form-problem").textContent()).toContain("say what you ask for, in a few words")

      await card.getByTestId("collab-input").fill("Map which trays flood after rain, and say which drains are blocked.")
      await card.getByTestId("collab-submit").click()
      await expect.poll(() => card.getByTestId("collab-text").textContent()).toBe("Map which trays flood after rain, and say which drains are blocked.")
      const taskPath = await card.getByTestId("collab-task").getAttribute("href")
      const taskId = taskPath!.split("/").at(-1)!
      expect(taskId.startsWith("suggestion-")).toBe(true)
      await waitFor(() => relay.workspace.tasks.get(taskId)?.maxBudgetUsd === 0.4, { events: [[relay.workspace.tasks, "change"]], timeoutMs: 10_000, message: "the suggestion task at the relay" })
      expect(await card.getByTestId("collab-input").inputValue()).toBe("")
      await screenshotFromTop(page, "collab-request-active")

      await card.getByTestId("collab-input").fill("Find the leak above tray 14.")
      await card.getByTestId("collab-submit").click()
      await expect.poll(() => card.getByTestId("collab-text").textContent()).toBe("Find the leak above tray 14.")
      const second = (await card.getByTestId("collab-task").getAttribute("href"))!.split("/").at(-1)!
      expect(second).not.toBe(taskId)
      expect(second).toBe(suggestionTaskId(second.slice("suggestion-".length)))

      await card.getByTestId("collab-done").click()
      await card.getByTestId("collab-none").waitFor()
      const finished = card.getByTestId("collab-finished")
      await finished.locator("summary").click()
      await expect.poll(() => finished.locator("li .status").allTextContents()).toEqual(["done", "replaced"])
      await screenshotFromTop(page, "collab-request-finished")
      expect(dev.unexpectedErrors()).toEqual([])
    })
  })
})
