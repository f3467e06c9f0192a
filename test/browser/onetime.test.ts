/**
 * One-time tasks in the panel, in a real browser against a real relay: an operator adds one
 * with the form and claims it for a resident; once its task is approved the bonus is in the
 * ledger, the panel says who did it, and that resident can no longer be picked.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { WalletsDoc } from "../../schemas/index.ts"
import { claimTaskId } from "../../src/domain/onetime/index.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { decideTask } from "../../src/domain/tasks/index.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { ledgerEntries } from "../helpers/ledgerDoc.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { runToReviewAsRelay, startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("one-time tasks in the panel", { timeout: 120_000 }, () => {
  it("adds one, claims it for a resident, and shows it done once its task is approved", async () => {
    const relay = await startTestRelay(teardown)
    const ctx = await peerOperator(await connectTestPeer(teardown, relay))
    const ada = await forgeIdentity(ctx, { name: "Ada" })
    const ada2 = await forgeIdentity(ctx, { name: "Grace" })
    const dev = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("onetime", { ada: () => dev.page }, async () => {
      const page = dev.page
      await joinAsOperator(page, relay, "Ada Operator")
      await go(page, "bounties")
      await page.getByTestId("onetime-empty").waitFor()

      await page.getByTestId("onetime-id").fill("first-poem")
      await page.getByTestId("onetime-title").fill("Write your first poem")
      await page.getByTestId("onetime-prompt").fill("A poem of four lines about the greenhouse.")
      await page.getByTestId("onetime-bonus").fill("40")
      await page.getByTestId("onetime-add").click()
      const row = page.getByTestId("onetime-first-poem")
      await row.waitFor()

      await expect.poll(() => page.getByTestId("onetime-resident-first-poem").locator("option").allTextContents()).toEqual(["Choose a resident", "Ada", "Grace"])
      await page.getByTestId("onetime-resident-first-poem").selectOption(ada.id)
      await page.getByTestId("onetime-claim-first-poem").click()
      const id = claimTaskId("first-poem", ada.id)
      await waitFor(() => relay.workspace.tasks.get(id)?.bonus?.tokens === 40, { events: [[relay.workspace.tasks, "change"]], timeoutMs: 10_000, message: "the claim at the relay" })
      await expect.poll(() => row.textContent()).toContain("claimed by Ada")

      // Run and approved: the bonus is paid, the panel says who did it, and Ada is no longer offered.
      await runToReviewAsRelay(relay, id)
      await waitFor(() => ctx.workspace.tasks.get(id)?.status === "pending_review", { events: [[ctx.workspace.tasks, "change"]], timeoutMs: 10_000 })
      await decideTask(ctx, id, "approve")
      const wallets = await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)
      await waitFor(() => [...ledgerEntries(wallets.doc()).values()].some(e => e.key === ledgerKeys.bonus("first-poem", ada.id)), { events: [[wallets, "change"]], timeoutMs: 15_000, message: "the bonus" })
      await expect.poll(() => row.getByTestId("onetime-done").textContent(), { timeout: 15_000 }).toBe("done by Ada")
      expect(await page.getByTestId("onetime-resident-first-poem").locator("option").allTextContents()).toEqual(["Choose a resident", ada2.name])
      await row.scrollIntoViewIfNeeded()
      await screenshotFromTop(page, "onetime")
    })
  })
})
