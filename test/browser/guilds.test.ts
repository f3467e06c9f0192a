/**
 * Guilds in the panel, in a real browser against a real relay: an operator founds a guild for
 * a resident and asks for another to join; after one vote the request shows who voted and
 * "1 vote, 1 more needed", never how; the operator's own vote decides it, and the panel shows
 * it accepted with its tally and the new member on the leaderboard. A name already taken is
 * refused under the form. It fits a phone's width.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { CommunityDoc } from "../../schemas/index.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { layoutReport } from "../helpers/layoutReport.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("guilds in the panel", { timeout: 120_000 }, () => {
  it("founds a guild, asks to join, keeps the votes blind until the relay decides, then shows the new member", async () => {
    const relay = await startTestRelay(teardown)
    const ctx = await peerOperator(await connectTestPeer(teardown, relay))
    const [ada, bo, cy] = await Promise.all(["Ada", "Bo", "Cy"].map(name => forgeIdentity(ctx, { name })))
    const community = await relay.repo.find<CommunityDoc>(relay.workspace.root.docs.community as AutomergeUrl)
    const dev = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("guilds", { ada: () => dev.page }, async () => {
      const page = dev.page
      await joinAsOperator(page, relay, "Ada Operator")
      await go(page, "community")
      await page.getByTestId("guilds-empty").waitFor()

      // Founded for Ada, who becomes its first member.
      await page.getByTestId("guild-found-founder").selectOption(ada!.id)
      await page.getByTestId("guild-found-name").fill("The Gardeners")
      await page.getByTestId("guild-found-motto").fill("We grow what we eat")
      await page.getByTestId("guild-found-submit").click()
      const guildId = await waitFor(() => Object.keys(community.doc().guilds)[0] ?? false, { events: [[community, "change"]], timeoutMs: 10_000, message: "the guild at the relay" })
      const guild = page.getByTestId(`guild-${guildId}`)
      await expect.poll(() => guild.getByTestId("guild-members").textContent()).toContain("Ada")

      // Bo asks to join; after Ada's vote only the count and the voter show.
      await guild.getByTestId("guild-join-applicant").selectOption(bo!.id)
      await guild.getByTestId("guild-join-note").fill("Bo tends the tomatoes")
      await guild.getByTestId("guild-join-submit").click()
      const requestId = await waitFor(() => Object.keys(community.doc().requests)[0] ?? false, { events: [[community, "change"]], timeoutMs: 10_000, message: "the request at the relay" })
      const request = page.getByTestId(`guild-request-${requestId}`)
      await expect.poll(() => request.getByTestId("guild-request-progress").textContent()).toBe("0 votes, 2 more needed")
      await request.getByTestId("guild-vote-voter").selectOption(ada!.id)
      await request.getByTestId("guild-vote-choice").selectOption("accept")
      await request.getByTestId("guild-vote-reason").fill("a steady hand with seedlings")
      await request.getByTestId("guild-vote-submit").click()
      await expect.poll(() => request.getByTestId("guild-request-progress").textContent()).toBe("1 vote, 1 more needed · voted: Ada")
      await waitFor(() => Object.keys(community.doc().requests[requestId]?.votes ?? {}).length === 1, { events: [[community, "change"]], timeoutMs: 10_000, message: "the vote at the relay" })
      expect(await request.textContent()).not.toMatch(/steady hand|accepted|of 1/)
      expect(await request.getAttribute("data-status")).toBe("pending")
      expect(await page.getByTestId("guilds-pending").textContent()).toContain("1 join request waiting for votes")
      await screenshotFromTop(page, "guilds-waiting")

      // The operator's own vote is the second: the relay decides, and the panel follows.
      await request.getByTestId("guild-vote-voter").selectOption({ label: "Me (as operator)" })
      await request.getByTestId("guild-vote-choice").selectOption("accept")
      await request.getByTestId("guild-vote-reason").fill("seconded")
      await request.getByTestId("guild-vote-submit").click()
      await waitFor(() => community.doc().requests[requestId]?.decision?.outcome === "accepted", { events: [[community, "change"]], timeoutMs: 15_000, message: "the relay's decision" })
      await expect.poll(() => request.getAttribute("data-status"), { timeout: 15_000 }).toBe("accepted")
      expect(await request.getByTestId("guild-request-tally").textContent()).toContain("2 of 2 accepted (at least 60 %)")
      expect(await request.textContent()).toContain("a steady hand with seedlings")
      expect(await request.textContent()).toContain("Ada Operator (operator) — accept: seconded")
      await expect.poll(() => guild.getByTestId("guild-members").textContent()).toMatch(/Ada.*Bo/)
      expect(await page.getByTestId(`guild-rank-${guildId}`).locator("td").nth(2).textContent()).toBe("2")
      expect(await page.getByTestId("guilds-pending").textContent()).toContain("No join requests waiting.")

      // The leaderboard's sort switch says which ranking is shown.
      await page.getByTestId("guild-sort-members").click()
      expect(await page.getByTestId("guild-sort-members").getAttribute("aria-pressed")).toBe("true")
      await screenshotFromTop(page, "guilds")

      // At a phone's width nothing reaches past the screen's edges.
      await page.setViewportSize({ width: 390, height: 844 })
      // The navigation becomes a drawer that slides away: measure once it has.
      await page.waitForFunction(() => document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState !== "running"))
      const report = await layoutReport(page)
      expect(report.scrollWidth).toBeLessThanOrEqual(report.screenWidth)
      expect(report.overflowing).toEqual([])

      // A name in use is refused under the form, in the catalogue's words; Bo, a member now, cannot found one.
      expect(await page.getByTestId("guild-found-founder").locator("option").allTextContents()).toEqual(["Choose a resident", "Cy"])
      await page.getByTestId("guild-found-founder").selectOption(cy!.id)
      await page.getByTestId("guild-found-name").fill("the gardeners")
      await expect.poll(() => page.getByTestId("guild-found").locator(".form-problem").textContent()).toContain("a guild named the gardeners exists already")
      expect(dev.unexpectedErrors()).toEqual([])
    })
  })
})
