/**
 * Disputes in the panel, in a real browser against a real relay: the applicant of an accepted
 * guild join disputes it from the panel's form; the open dispute shows its reason, its room
 * and that it awaits a mediator; the mediator is picked from the third parties only (the
 * applicant and the voters are not offered); once the mediation's UPHOLD is approved the panel
 * shows the dispute resolved with the suspension's end. It fits a phone's width.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { CommunityDoc } from "../../schemas/index.ts"
import { disputeId, mediationTaskId } from "../../src/domain/disputes/index.ts"
import { castGuildVote, foundGuild, requestToJoin } from "../../src/domain/guilds/index.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { decideTask } from "../../src/domain/tasks/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { layoutReport } from "../helpers/layoutReport.ts"
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

describe("disputes in the panel", { timeout: 120_000 }, () => {
  it("opens a dispute, assigns a third-party mediator, and shows the upheld outcome with the suspension", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const ctx = await peerOperator(await connectTestPeer(teardown, relay))
    const [ada, ben, mira] = await Promise.all(["Ada Lovelace-Byron of the Northern Greenhouse", "Ben", "Mira"].map(name => forgeIdentity(ctx, { name })))
    const community = await relay.repo.find<CommunityDoc>(relay.workspace.root.docs.community as AutomergeUrl)
    // Ada joined Ben's guild by Ben's vote and the operator's.
    const guild = await foundGuild(ctx, { name: "Gardeners", founder: ben!.id })
    const request = await requestToJoin(ctx, guild.id, { applicant: ada!.id })
    // The gate judges a vote against the guild and request it holds: they reach it first.
    await waitFor(() => !!community.doc().requests[request.id], { events: [[community, "change"]], timeoutMs: 10_000, message: "the request at the relay" })
    await castGuildVote(ctx, request.id, { voter: ben!.id, voterKind: "resident", choice: "accept", reason: "a steady hand with seedlings" })
    await castGuildVote(ctx, request.id, { voter: ctx.actor.name, voterKind: "operator", choice: "accept", reason: "seconded" })
    await waitFor(() => !!community.doc().requests[request.id]?.decision, { events: [[community, "change"]], timeoutMs: 15_000, message: "the relay's decision" })
    const id = disputeId({ kind: "guild_join", id: request.id }, 0)

    const dev = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("disputes", { ada: () => dev.page }, async () => {
      const page = dev.page
      await joinAsOperator(page, relay, "Ada Operator")
      await go(page, "community")
      await page.getByTestId("disputes-empty").waitFor()

      // Disputed by the applicant, from the form: only the round's participants are offered.
      await page.getByTestId("dispute-open-target").selectOption(`guild_join:${request.id}`)
      const requesters = await page.getByTestId("dispute-open-requester").locator("option").allTextContents()
      expect(requesters).toEqual(["Who took part and disputes it?", `${ada!.name} (applicant)`, "Ben (voter)"])
      await page.getByTestId("dispute-open-requester").selectOption(`resident:${ada!.id}`)
      await page.getByTestId("dispute-open-reason").fill("my note about the tomatoes was never read")
      await page.getByTestId("dispute-open-submit").click()
      await waitFor(() => !!community.doc().disputes[id], { events: [[community, "change"]], timeoutMs: 10_000, message: "the dispute at the relay" })
      const entry = page.getByTestId(`dispute-${id}`)
      await entry.waitFor()
      expect(await entry.getByTestId("dispute-status").textContent()).toBe("awaiting a mediator")
      expect(await entry.getByTestId("dispute-requester").textContent()).toBe(ada!.name)
      expect(await entry.getByTestId("dispute-reason").textContent()).toBe("my note about the tomatoes was never read")
      expect(await entry.getByTestId("dispute-room").getAttribute("href")).toBe(`/rooms/${id}`)
      // The round is disputed once: it is no longer offered.
      await page.getByTestId("dispute-open-none").waitFor()

      // Only a third party is offered as mediator.
      expect(await entry.getByTestId("dispute-mediator-pick").locator("option").allTextContents()).toEqual(["Choose a mediator", "Mira"])
      await screenshotFromTop(page, "disputes-open")
      await entry.getByTestId("dispute-mediator-pick").selectOption(mira!.id)
      await entry.getByTestId("dispute-assign").click()
      const task = mediationTaskId(id)
      await waitFor(() => relay.workspace.tasks.get(task)?.facet === "mediation", { events: [[relay.workspace.tasks, "change"]], timeoutMs: 15_000, message: "the mediation task queued" })
      await expect.poll(() => entry.getByTestId("dispute-mediator").textContent(), { timeout: 15_000 }).toMatch(/^Mira mediates, wearing the Hat of Objectivity · waiting for a worker that plays Mira/)
      expect(await entry.getByTestId("dispute-task").getAttribute("href")).toBe(`/tasks/${task}`)

      // The mediator upholds it; an operator approves the answer; the panel shows the outcome.
      await runToReviewAsRelay(relay, task, "UPHOLD: both votes gave reasons that hold, and the note was read aloud.")
      await expect.poll(() => entry.getByTestId("dispute-mediator").textContent(), { timeout: 15_000 }).toContain("the answer waits for an operator's review")
      await waitFor(() => ctx.workspace.tasks.get(task)?.status === "pending_review", { events: [[ctx.workspace.tasks, "change"]], timeoutMs: 10_000 })
      await decideTask(ctx, task, "approve")
      const resolved = page.getByTestId("disputes-resolved").getByTestId(`dispute-${id}`)
      await expect.poll(() => resolved.getAttribute("data-outcome"), { timeout: 15_000 }).toBe("uphold")
      expect(await resolved.getByTestId("dispute-outcome").textContent()).toContain("upheld")
      expect(await resolved.getByTestId("dispute-resolution").textContent()).toMatch(/Upheld .*: the decision stands\..* gets no daily allowance\s+until /s)
      const until = community.doc().disputes[id]!.resolution!.suspendedUntil!
      expect(await resolved.getByTestId("dispute-suspension").textContent()).toContain(String(new Date(until).getFullYear()))
      expect(await resolved.textContent()).toContain("both votes gave reasons that hold")
      await screenshotFromTop(page, "disputes-resolved")

      // At a phone's width nothing reaches past the screen's edges.
      await page.setViewportSize({ width: 390, height: 844 })
      const report = await layoutReport(page)
      expect(report.scrollWidth).toBeLessThanOrEqual(report.screenWidth)
      expect(report.overflowing).toEqual([])
      expect(dev.unexpectedErrors()).toEqual([])
    })
  })
})
