/**
 * One bounty round in a real browser against the built app served by a real relay: the
 * operator forges two residents (a banned name is refused in plain words first), posts a
 * one-slot bounty, a resident's submission arrives from a Node peer and a second one is made
 * on behalf of the other resident (overflow: ×0.5), a duplicate is refused, and completing
 * the bounty pays winner and runner-up — once, under bounty:<id>:place:* keys — which the
 * Residents view's wallets show. Expected numbers come from the same core rules.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { BountiesDoc, Bounty, Identity, IdentitiesDoc, WalletsDoc } from "../../schemas/index.ts"
import { payoutKey, payoutPlan, rankSubmissions } from "../../src/domain/bounties/bounty.ts"
import { freeTimeShare } from "../../src/domain/wallets/economy.ts"
import { BANNED_NAME_WORDS } from "../../src/domain/residents/forge.ts"
import { UserError } from "../../src/core/errors.ts"
import { balanceOf, deriveWallets } from "../../src/domain/wallets/ledger.ts"
import { submitToBounty } from "../../src/domain/bounties/actions.ts"
import { readBounties, readIdentities, readLedger } from "../../src/workspace/documentReaders.ts"
import { go, joinAsOperator, joinLink, launchBrowser, openDevice, screenshot, screenshotsOnFailure } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { forgeResidentAt } from "../helpers/socialFixture.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const identitiesOf = (h: DocHandle<IdentitiesDoc>) => readIdentities(h.doc(), "identities", [])
const bountiesOf = (h: DocHandle<BountiesDoc>) => readBounties(h.doc(), "bounties", [])
const ledgerOf = (h: DocHandle<WalletsDoc>) => readLedger(h.doc(), "wallets", [])

async function forge(page: Page, name: string, summary: string): Promise<void> {
  await page.getByTestId("resident-name").fill(name)
  await page.getByTestId("resident-summary").fill(summary)
  await page.getByTestId("resident-traits").fill("curious, patient")
  await page.getByTestId("resident-submit").click()
}

describe("bounties in the browser", { timeout: 90_000 }, () => {
  it("forge two residents → post a one-slot bounty → two submissions (one overflow, a duplicate refused) → complete → the wallets show the payouts", async () => {
    const relay = await startTestRelay(teardown)
    const docs = relay.workspace.root.docs
    const identities = await relay.repo.find<IdentitiesDoc>(docs.identities as AutomergeUrl)
    const bounties = await relay.repo.find<BountiesDoc>(docs.bounties as AutomergeUrl)
    const wallets = await relay.repo.find<WalletsDoc>(docs.wallets as AutomergeUrl)
    const op = await openDevice(teardown, browser, "op")
    await screenshotsOnFailure("bounty", { op: () => op.page }, async () => {
      const page = op.page
      await joinAsOperator(page, relay, "Ada Operator")

      // A name with a banned word is refused in plain words, with what to do; the form keeps what was typed.
      await go(page, "residents")
      await forge(page, "Agent Smith", "A quiet cartographer of underground rivers.")
      const refusal = new UserError("name_banned_word", { name: "Agent Smith", word: "agent", banned: BANNED_NAME_WORDS })
      await expect.poll(() => page.getByTestId("resident-form-error").textContent()).toBe(`${refusal.message} ${refusal.next}`)
      await expect.poll(() => page.getByTestId("notice").textContent()).toContain(refusal.message)
      expect(await page.getByTestId("resident-name").inputValue()).toBe("Agent Smith")
      expect(await page.getByTestId("resident-summary").inputValue()).toBe("A quiet cartographer of underground rivers.")
      // The form checks its fields with the forge's own input (the CLI's flags use it too) before anything is written.
      await page.getByTestId("resident-seed").fill("not a seed")
      await page.getByTestId("resident-submit").click()
      await expect.poll(() => page.getByTestId("resident-form-error").textContent()).toBe("a creativity seed looks like AB-1234-CD (letters without I and O)")
      await screenshot(page, "resident-forge-input-refused")
      expect(identitiesOf(identities).size).toBe(0)
      await page.getByTestId("resident-seed").fill("")

      const forged = async (name: string): Promise<Identity> =>
        waitFor(() => [...identitiesOf(identities).values()].find(i => i.name === name) ?? false, {
          events: [[identities, "change"]],
          message: `${name} to reach the relay`,
        })
      await forge(page, "Mira Vale", "A quiet cartographer of underground rivers.")
      const mira = await forged("Mira Vale")
      await page.getByTestId(`resident-row-${mira.id}`).waitFor()
      expect(await page.getByTestId("resident-name").inputValue()).toBe("")
      await forge(page, "Tobin Reed", "Collects bird songs and turns them into sheet music.")
      const tobin = await forged("Tobin Reed")
      await page.getByTestId(`resident-row-${tobin.id}`).waitFor()
      expect([...identitiesOf(identities).values()].map(i => i.name).sort()).toEqual(["Mira Vale", "Tobin Reed"])

      // A bounty with one slot.
      await go(page, "bounties")
      await page.getByTestId("bounty-title").fill("Map the east cave")
      await page.getByTestId("bounty-description").fill("A map of the east cave with its water levels.")
      await page.getByTestId("bounty-reward").fill("100")
      await page.getByTestId("bounty-slots").fill("1")
      await page.getByTestId("bounty-submit").click()
      const posted = await waitFor(() => [...bountiesOf(bounties).values()].find(b => b.title === "Map the east cave") ?? false, {
        events: [[bounties, "change"]],
        message: "the bounty to reach the relay",
      })
      const id = posted.id
      expect(posted).toMatchObject({ reward: 100, slots: 1, state: "open" })
      await page.getByTestId(`bounty-toggle-${id}`).click()

      // The first submission comes from a Node peer, as a resident's worker would send it.
      const node = await connectTestPeer(teardown, relay)
      const nodeBounties = await node.repo.find<BountiesDoc>(node.workspace.root.docs.bounties as AutomergeUrl)
      const nodeIdentities = await node.repo.find<IdentitiesDoc>(node.workspace.root.docs.identities as AutomergeUrl)
      await waitFor(() => bountiesOf(nodeBounties).has(id) && identitiesOf(nodeIdentities).size === 2, {
        events: [
          [nodeBounties, "change"],
          [nodeIdentities, "change"],
        ],
        message: "the Node peer to see the bounty and both residents",
      })
      const firstText = "East cave map: three chambers, the lowest floods at high tide."
      const first = await submitToBounty(node.workspace, id, { identity: mira.id, content: firstText })
      await node.flushToRelay()
      const firstRow = page.getByTestId(`bounty-submission-${first.id}`)
      await expect.poll(() => firstRow.getAttribute("data-multiplier"), { timeout: 15_000 }).toBe("1")
      await expect.poll(() => page.getByTestId(`bounty-row-${id}`).getAttribute("data-state")).toBe("claimed")

      // The second, on behalf of the other resident, is past the one slot: overflow, ×0.5.
      await page.getByTestId(`bounty-submit-as-${id}`).selectOption(tobin.id)
      await page.getByTestId(`bounty-submit-content-${id}`).fill("East cave sketch with the water marks of the last three floods.")
      await page.getByTestId(`bounty-submit-send-${id}`).click()
      const second = await waitFor(() => Object.values(bountiesOf(bounties).get(id)?.submissions ?? {}).find(s => s.identity === tobin.id) ?? false, {
        events: [[bounties, "change"]],
        message: "the on-behalf submission to reach the relay",
      })
      const ranks = rankSubmissions(bountiesOf(bounties).get(id)!)
      expect(ranks.get(first.id)).toMatchObject({ slotIndex: 1, multiplier: 1, reason: "in_slot" })
      expect(ranks.get(second.id)).toMatchObject({ slotIndex: 2, multiplier: 0.5, reason: "overflow" })
      await expect.poll(() => page.getByTestId(`bounty-submission-${second.id}`).getAttribute("data-multiplier")).toBe(String(ranks.get(second.id)!.multiplier))

      // A duplicate of the first submission is refused, and nothing is added.
      await page.getByTestId(`bounty-submit-as-${id}`).selectOption(mira.id)
      await page.getByTestId(`bounty-submit-content-${id}`).fill(`  ${firstText.toUpperCase()}  `)
      await page.getByTestId(`bounty-submit-send-${id}`).click()
      await expect.poll(() => page.getByTestId("notice").textContent()).toContain(`The same submission is already in bounty ${id} (${first.id}).`)
      expect(Object.keys(bountiesOf(bounties).get(id)!.submissions)).toHaveLength(2)
      await expect.poll(() => page.getByTestId(`bounty-submissions-${id}`).locator("li").count()).toBe(2)

      // Complete: the winner reward defaults to the bounty's reward, the runner-up's to 0.
      expect(await page.getByTestId(`bounty-winner-reward-${id}`).inputValue()).toBe("100")
      await page.getByTestId(`bounty-winner-${id}`).selectOption(first.id)
      await page.getByTestId(`bounty-runnerup-${id}`).selectOption(second.id)
      expect(await page.getByTestId(`bounty-runnerup-reward-${id}`).inputValue()).toBe("0")
      await page.getByTestId(`bounty-runnerup-reward-${id}`).fill("40")
      await page.getByTestId(`bounty-complete-submit-${id}`).click()
      const completed: Bounty = await waitFor(() => (bountiesOf(bounties).get(id)?.state === "completed" ? bountiesOf(bounties).get(id)! : false), {
        events: [[bounties, "change"]],
        message: "the bounty to be completed on the relay",
      })
      expect(completed).toMatchObject({ winner: first.id, runnerUp: second.id, winnerReward: 100, runnerUpReward: 40 })

      // Exactly the payouts of the plan, under their bounty keys, in the relay's ledger.
      const plan = payoutPlan(completed, { winner: first.id, runnerUp: second.id, winnerReward: 100, runnerUpReward: 40 })
      expect(plan.map(p => [p.member, p.amount])).toEqual([
        [mira.id, 100 * ranks.get(first.id)!.multiplier],
        [tobin.id, 40 * ranks.get(second.id)!.multiplier],
      ])
      const expectedKeys = plan.map(p => payoutKey(id, p)).sort()
      const bountyKeys = () => [...ledgerOf(wallets).keys()].filter(k => k.startsWith("bounty:")).sort()
      await waitFor(() => bountyKeys().length === expectedKeys.length, { events: [[wallets, "change"]], message: "the payouts to reach the relay" })
      expect(bountyKeys()).toEqual(expectedKeys)
      expect(expectedKeys.every(k => k.startsWith(`bounty:${id}:place:`))).toBe(true)
      const derived = deriveWallets(ledgerOf(wallets).values())
      for (const p of plan) {
        const effect = balanceOf(derived, p.member).entries.find(e => e.entry.key === payoutKey(id, p))
        expect(effect).toMatchObject({ status: "applied", freeTime: freeTimeShare(p.amount), journal: p.amount - freeTimeShare(p.amount) })
      }
      for (const p of plan) await expect.poll(() => page.getByTestId(`bounty-payout-${payoutKey(id, p)}`).getAttribute("data-amount")).toBe(String(p.amount))
      await expect.poll(() => page.getByTestId(`bounty-payouts-${id}`).getByText("paid").count()).toBe(plan.length)
      await screenshot(page, "bounty-completed")

      // The Residents view shows the balances the relay derives (the allowance included).
      await go(page, "residents")
      for (const resident of [mira.id, tobin.id]) {
        const live = () => balanceOf(deriveWallets(ledgerOf(wallets).values()), resident)
        await expect
          .poll(async () => Number(await page.getByTestId(`wallet-${resident}-free_time`).getAttribute("data-value")) === live().freeTime, { timeout: 15_000 })
          .toBe(true)
        await expect.poll(async () => Number(await page.getByTestId(`wallet-${resident}-journal`).getAttribute("data-value")) === live().journal).toBe(true)
      }
      await page.getByTestId(`resident-open-${mira.id}`).click()
      const ledgerRow = page.getByTestId(`wallet-ledger-${mira.id}`).locator(`tr[data-key="${payoutKey(id, plan[0]!)}"]`)
      await expect.poll(() => ledgerRow.getAttribute("data-status")).toBe("applied")
      await screenshot(page, "residents")
      expect(op.unexpectedErrors()).toEqual([])
    })
  })

  it("a resident's worker answers a bounty: the operator asks in the browser, the worker's answer becomes the submission", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: () => "West cave map: two chambers and a dry passage to the north exit." })
    teardown.add(() => fake.close())
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100 })
    const { resident } = await forgeResidentAt(teardown, relay, "Wren Hollow")
    await startWorker(teardown, relay, "w1", { fake, identities: [resident.id] })
    await approveWorker(relay, "w1")
    const op = await openDevice(teardown, browser, "op")
    await screenshotsOnFailure("bounty-worker", { op: () => op.page }, async () => {
      const page = op.page
      await joinAsOperator(page, relay, "Ada")
      await go(page, "bounties")
      await page.getByTestId("bounty-title").fill("Map the west cave")
      await page.getByTestId("bounty-description").fill("A map of the west cave and its exits.")
      await page.getByTestId("bounty-submit").click()
      const bounties = await relay.repo.find<BountiesDoc>(relay.workspace.root.docs.bounties as AutomergeUrl)
      const id = (await waitFor(() => Object.values(bounties.doc().bounties).find(b => b.title === "Map the west cave") ?? false, { events: [[bounties, "change"]] })).id
      await page.getByTestId(`bounty-toggle-${id}`).click()
      await page.getByTestId(`bounty-submit-as-${id}`).selectOption(resident.id)
      await page.getByTestId(`bounty-ask-${id}`).click()
      // The worker playing Wren runs the bounty task; its answer is entered as Wren's submission.
      const submission = await waitFor(() => Object.values(bounties.doc().bounties[id]?.submissions ?? {})[0] ?? false, {
        events: [[bounties, "change"]],
        timeoutMs: 20_000,
        message: "the worker's submission",
      })
      expect(submission).toMatchObject({ identity: resident.id, content: "West cave map: two chambers and a dry passage to the north exit." })
      await expect.poll(() => page.getByTestId(`bounty-submission-${submission.id}`).getAttribute("data-multiplier")).toBe("1")
      const task = [...relay.workspace.tasks.entries.values()].find(t => t.link?.kind === "bounty" && t.link.id === id)
      expect(task).toMatchObject({ targetIdentity: resident.id })
      expect(fake.systems.get(task!.prompt!)).toContain("I am Wren Hollow")
      await screenshot(page, "bounty-worker-submission")
      expect(op.unexpectedErrors()).toEqual([])
    })
  })
})

