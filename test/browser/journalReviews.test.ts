/**
 * Journal reviews in the panel, in a real browser against a real relay: an operator submits a
 * resident's entry with the form; the waiting review shows its excerpt with the names taken
 * out and never its author (every resident is offered as a voter, the author too, whose vote
 * is refused without being named); the operator rates it for a resident and as itself; a
 * third rating from another peer and the relay decides: the panel shows it accepted, with its
 * average and reward. Screenshots at desktop and phone size, waiting and decided.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { CommunityDoc, WalletsDoc } from "../../schemas/index.ts"
import { rateJournalEntry, reviewIdOf } from "../../src/domain/journalReviews/index.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { relayJournalEntry } from "../helpers/journalFixture.ts"
import { ledgerEntries } from "../helpers/ledgerDoc.ts"
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

describe("journal reviews in the panel", { timeout: 120_000 }, () => {
  it("submits an entry, shows it blind and anonymous, rates it, shows the relay's decision with its reward; the journal's roll-ups kept as an artifact", async () => {
    const relay = await startTestRelay(teardown, { economyTickMs: 100 })
    const peer = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(peer)
    const [ada, mira, bo] = await Promise.all(["Ada Lovelace", "Mira", "Bo"].map(name => forgeIdentity(ctx, { name })))
    const entry = await relayJournalEntry(relay, peer, ada!.id, "Walking the garden with Mira I realized Ada Lovelace would have loved the moss: a pattern in the rows, a breakthrough.")
    const wallets = await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)
    await waitFor(() => [...ledgerEntries(wallets.doc()).values()].some(e => e.key.startsWith(`allowance:${ada!.id}:`)), { events: [[wallets, "change"]], timeoutMs: 10_000, message: "Ada's allowance" })

    const dev = await openDevice(teardown, browser, "operator")
    await screenshotsOnFailure("journal-reviews", { operator: () => dev.page }, async () => {
      const page = dev.page
      await joinAsOperator(page, relay, "Olga Operator")
      await go(page, "community")
      const card = page.getByTestId("journal-reviews")
      await card.getByTestId("reviews-waiting-empty").waitFor()
      await card.getByTestId("reviews-decided-empty").waitFor()

      // Submit Ada's entry: pick her, then the entry.
      await card.getByTestId("review-author").selectOption(ada!.id)
      await card.getByTestId("review-entry").selectOption(entry.id)
      await card.getByTestId("review-submit").click()
      const id = await reviewIdOf(ada!.id, entry.id)
      const community = await relay.repo.find<CommunityDoc>(relay.workspace.root.docs.community as AutomergeUrl)
      await waitFor(() => !!community.doc().reviews[id], { events: [[community, "change"]], timeoutMs: 10_000, message: "the submission at the relay" })
      // The form is cleared, so the author's name does not stand next to the anonymous review; the entry is not offered again.
      await expect.poll(() => card.getByTestId("review-author").inputValue()).toBe("")
      await card.getByTestId("review-author").selectOption(ada!.id)
      await card.getByTestId("review-no-entries").waitFor()
      // Another resident's (empty) journal, so the picture does not show the author beside the review.
      await card.getByTestId("review-author").selectOption(mira!.id)
      await expect.poll(() => card.getByTestId("review-author").inputValue()).toBe(mira!.id)
      await card.getByTestId("review-no-entries").waitFor()

      // Waiting: the excerpt without names, the votes still needed, no author anywhere in it.
      const row = card.getByTestId(`review-${id}`)
      expect(await row.getByTestId("review-excerpt").textContent()).toBe("Walking the garden with [resident] I realized [resident] would have loved the moss: a pattern in the rows, a breakthrough.")
      expect(await row.getByTestId("review-progress").textContent()).toBe("0 of 3 votes · 3 more needed")
      // Every resident may be picked as the voter, the author too: the list does not give the author away.
      const voterSelect = row.getByTestId("review-voter")
      expect(await voterSelect.locator("option").allTextContents()).toEqual(["Who votes?", "Me (as operator)", "Ada Lovelace", "Bo", "Mira"])
      const rowText = (await row.textContent())!.replace((await voterSelect.textContent())!, "")
      expect(rowText).not.toMatch(/Ada|Lovelace/)
      await screenshotFromTop(page, "journal-reviews-waiting")

      const rate = async (voter: string, choice: string, reason: string) => {
        await voterSelect.selectOption(voter)
        await row.getByTestId("review-choice").selectOption(choice)
        await row.getByTestId("review-reason").fill(reason)
        await row.getByTestId("review-rate").click()
      }
      // The author's own vote is refused next to the form, without naming the author.
      await rate(ada!.id, "exceptional", "my best entry")
      const refusal = row.locator("[data-code=review_refused]")
      await expect.poll(() => refusal.textContent()).toContain("this voter may not rate this entry")
      expect(await refusal.textContent()).not.toMatch(/Ada|Lovelace/)

      await rate(mira!.id, "accept", "honest about the moss")
      await expect.poll(() => row.getByTestId("review-progress").textContent()).toBe("1 of 3 votes · 2 more needed")
      await rate("operator:", "exceptional", "sharp noticing")
      await expect.poll(() => row.getByTestId("review-progress").textContent()).toBe("2 of 3 votes · 1 more needed")
      // Voters who voted are no longer offered.
      expect(await voterSelect.locator("option").allTextContents()).toEqual(["Who votes?", "Ada Lovelace", "Bo"])
      expect(await refusal.count()).toBe(0)

      // The third rating, from another operator's device: the relay decides (average 5/3, 14 tokens back).
      await waitFor(() => Object.keys(community.doc().reviews[id]?.votes ?? {}).length === 2, { events: [[community, "change"]], timeoutMs: 10_000, message: "the panel's votes at the relay" })
      const mine = await peer.repo.find<CommunityDoc>(peer.workspace.root.docs.community as AutomergeUrl)
      await waitFor(() => Object.keys(mine.doc().reviews[id]?.votes ?? {}).length === 2, { events: [[mine, "change"]], timeoutMs: 10_000, message: "the votes at the other operator" })
      await rateJournalEntry(ctx, id, { voter: bo!.id, voterKind: "resident", choice: "exceptional", reason: "a real pattern" })
      await waitFor(() => community.doc().reviews[id]?.reward === 14, { events: [[community, "change"]], timeoutMs: 15_000, message: "the relay's decision" })

      await expect.poll(() => row.getByTestId("review-outcome").textContent(), { timeout: 15_000 }).toBe("accepted")
      expect(await row.getByTestId("review-score").textContent()).toBe("average 1.67")
      expect(await row.getByTestId("review-reward").textContent()).toBe("14 tokens back to its author")
      await card.getByTestId("reviews-waiting-empty").waitFor()
      await screenshotFromTop(page, "journal-reviews-decided")

      // Ada's journal, kept as a roll-up artifact from her page, opens in the artifact viewer.
      await go(page, "residents")
      await page.getByTestId(`resident-open-${ada!.id}`).click()
      const journal = page.getByTestId(`resident-journal-${ada!.id}`)
      await journal.getByTestId("journal-keep-rollup").click()
      await journal.getByTestId("journal-rollup-link").click()
      await expect.poll(() => page.getByTestId("artifact-markdown").locator("h1").textContent(), { timeout: 15_000 }).toBe("Journal of Ada Lovelace")
      expect(await page.getByTestId("artifact-markdown").textContent()).toContain("themes: breakthrough")
      await screenshotFromTop(page, "journal-rollup-artifact")
      expect(dev.unexpectedErrors()).toEqual([])
    })
  })
})
