/**
 * The Audit view over a log kept in monthly segments, in a real browser: a Node operator's
 * entries live in its log's first document, February's segment (500) and March's (3); the
 * view shows the newest entries, read from the newest segments until they fill its page,
 * and checks their chain across the segments without loading the first document.
 */
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { addDueAuditSegments } from "../../src/domain/audit/index.ts"
import { openOwnAuditLog } from "../../src/domain/peers/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshot, screenshotsOnFailure } from "../helpers/browser.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

// Far ahead of any clock these tests run under, so the relay's own pass at start has added none of them.
const FEB_10 = Date.UTC(2099, 1, 10)
const MAR_2 = Date.UTC(2099, 2, 2)

describe("the Audit view over audit segments", { timeout: 150_000 }, () => {
  it("shows the newest months of a segmented log, checked across its segments", async () => {
    const relay = await startTestRelay(teardown)
    const bob = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "bob") })
    let now = Date.now()
    const log = await openOwnAuditLog(bob.repo, () => bob.workspace.root, bob.identity, { now: () => now })
    await log.append("controls", "before segments", {})
    const segmentsOf = () => (bob.workspace.root.peers.bob!.auditSegments ?? []).map(s => s.period)
    addDueAuditSegments(relay.workspace, FEB_10)
    await waitFor(() => segmentsOf()[0] === "2099-02", { events: [[bob.workspace.rootHandle, "change"]], message: "bob to hold February's segment" })
    for (let i = 0; i < 500; i++) {
      now = FEB_10 + i * 1000
      void log.append("controls", `february ${i}`, { i })
    }
    addDueAuditSegments(relay.workspace, MAR_2)
    await waitFor(() => segmentsOf()[0] === "2099-03", { events: [[bob.workspace.rootHandle, "change"]], message: "bob to hold March's segment" })
    await log.settled()
    for (let i = 0; i < 3; i++) {
      now = MAR_2 + i * 1000
      await log.append("approval", `march ${i}`, {})
    }
    await log.settled()

    const device = await openDevice(teardown, browser, "ada")
    const page = device.page
    await screenshotsOnFailure("audit-segments", { ada: () => page }, async () => {
      await joinAsOperator(page, relay, "Ada")
      await go(page, "audit")
      const chain = page.getByTestId("audit-chain-bob")
      await expect.poll(() => chain.getAttribute("data-state"), { timeout: 30_000 }).toBe("valid")
      expect(await chain.textContent()).toContain("valid (503 entries in its newest months)")
      await page.getByTestId("audit-filter-subject").fill("march 2")
      await expect.poll(() => page.getByTestId("audit-entry").count()).toBe(1)
      await page.getByTestId("audit-filter-subject").fill("before segments")
      await expect.poll(() => page.getByTestId("audit-entry").count()).toBe(0)
      await page.getByTestId("audit-filter-subject").fill("march")
      await expect.poll(() => page.getByTestId("audit-entry").count()).toBe(3)
      await screenshot(page, "audit-segments-desktop")
      // At phone size the navigation slides away behind the menu button: picture it once it has gone.
      await page.setViewportSize({ width: 390, height: 844 })
      await page.locator(".sidebar").waitFor({ state: "hidden" })
      await screenshot(page, "audit-segments-phone")
    })
  })
})
