/**
 * Proposals and loops in the panel, in a real browser against the built app served by a real
 * relay with a real worker (the fake Groq server answers): an operator starts a loop from the
 * form, its resident's proposal shows with the words before and after, approving applies it
 * at the relay, rolling back (after a confirmation) returns to the checkpoint, and the loop
 * goes on only when let; a high-risk proposal waits for a second operator.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { ProposalsDoc, SkillsDoc } from "../../schemas/index.ts"
import { DEFAULT_HATS } from "../../src/domain/hats/defaultHats.ts"
import { approveProposal, loopTaskId, propose, proposalsOf, targetValue } from "../../src/domain/proposals/index.ts"
import { decideTask } from "../../src/domain/tasks/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { relayWithWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const BUILDER = DEFAULT_HATS.find(h => h.id === "builder")!.prompt
const BETTER = "Build in small steps, and test each one before you take the next."

describe("proposals in the panel", { timeout: 120_000 }, () => {
  it("starts a loop, shows its proposal before and after, applies it, rolls it back, lets the loop go on; high risk waits for a second operator", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: prompt => (prompt.startsWith("Improve the hat builder's prompt") ? BETTER : "APPROVE: fine.") })
    teardown.add(() => fake.close())
    const { relay, ctx } = await relayWithWorker(teardown, fake)
    const proposalsDoc = await relay.repo.find<ProposalsDoc>(relay.workspace.root.docs.proposals as AutomergeUrl)
    const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    const builder = () => targetValue(skills.doc(), { kind: "hat", id: "builder", field: "prompt" })
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("proposals", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada Operator")
      await go(page, "proposals")
      await page.getByTestId("proposals-empty").waitFor()
      await page.getByTestId("loops-empty").waitFor()

      // A loop from the form: one iteration, medium risk.
      await page.getByTestId("loop-target").selectOption("hat:builder:prompt")
      await page.getByTestId("loop-goal").fill("shorter, and ask for a test with every step")
      await page.getByTestId("loop-iterations").fill("1")
      await page.getByTestId("loop-start").click()
      const loopId = await waitFor(() => Object.keys(proposalsDoc.doc().loops)[0] ?? false, { events: [[proposalsDoc, "change"]], timeoutMs: 10_000, message: "the loop at the relay" })
      const taskId = loopTaskId(loopId, 1)
      const status = () => relay.workspace.tasks.get(taskId)?.status
      await waitFor(() => status() === "pending_review" || status() === "approved", { timeoutMs: 30_000, events: [[relay.workspace.tasks, "change"]], message: "the loop's task to finish" })
      if (status() === "pending_review") {
        await waitFor(() => ctx.workspace.tasks.get(taskId)?.status === "pending_review", { events: [[ctx.workspace.tasks, "change"]] })
        await decideTask(ctx, taskId, "approve")
      }

      // The proposal at the checkpoint: before and after, and the loop waiting for a decision.
      const id = `${loopId}-1`
      const card = page.getByTestId(`proposal-${id}`)
      await card.waitFor({ timeout: 15_000 })
      expect(await card.getByTestId("proposal-before").textContent()).toBe(BUILDER)
      expect(await card.getByTestId("proposal-after").textContent()).toBe(BETTER)
      await page.locator(`[data-testid="loop-${loopId}"][data-state="at_checkpoint"]`).waitFor()
      expect(await page.getByTestId(`loop-continue-${loopId}`).isDisabled()).toBe(true)
      await screenshotFromTop(page, "proposals-review")

      // Approve and apply: the relay's hat holds the new words; a checkpoint is shown.
      await page.getByTestId(`proposal-approve-${id}`).click()
      await waitFor(() => builder() === BETTER, { timeoutMs: 15_000, events: [[skills, "change"]], message: "the applied hat at the relay" })
      await page.locator(`[data-testid="proposal-${id}"][data-state="applied"]`).waitFor()
      await card.getByTestId("proposal-checkpoint").waitFor()

      // Roll back, confirmed: the old words again, as a new change.
      await page.getByTestId(`proposal-rollback-${id}`).click()
      await page.getByRole("button", { name: "Roll back", exact: true }).last().click()
      await waitFor(() => builder() === BUILDER, { timeoutMs: 15_000, events: [[skills, "change"]], message: "the rolled-back hat at the relay" })
      await page.locator(`[data-testid="proposal-${id}"][data-state="rolled_back"]`).waitFor()

      // Let it go on: its one iteration made, the loop is done, and says why.
      await page.getByTestId(`loop-continue-${loopId}`).click()
      await page.locator(`[data-testid="loop-${loopId}"][data-state="done"]`).waitFor({ timeout: 15_000 })
      expect(await page.getByTestId(`loop-${loopId}`).getByTestId("loop-reason").textContent()).toContain("made its 1 iteration(s)")

      // High risk: Ada's approval is one of two; the second operator's applies it.
      const high = await propose(ctx, { target: { kind: "hat", id: "builder", field: "description" }, after: "Writes the code, in small tested steps.", reason: "say how it builds", risk: "high" })
      const highCard = page.getByTestId(`proposal-${high.id}`)
      await highCard.waitFor({ timeout: 15_000 })
      await page.getByTestId(`proposal-approve-${high.id}`).click()
      await expect.poll(() => highCard.getByTestId("proposal-approvals").textContent(), { timeout: 15_000 }).toContain("Approvals 1 of 2")
      expect(await page.getByTestId(`proposal-approve-${high.id}`).isDisabled()).toBe(true)
      await screenshotFromTop(page, "proposals-decided")
      await waitFor(async () => (await proposalsOf(ctx.workspace)).proposals.get(high.id)?.approvals.length === 1, { timeoutMs: 10_000 })
      await approveProposal(ctx, high.id)
      await page.locator(`[data-testid="proposal-${high.id}"][data-state="applied"]`).waitFor({ timeout: 15_000 })
    })
  })
})
