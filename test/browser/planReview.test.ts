/**
 * Plans in the panel, in a real browser against the built app served by a real relay: a
 * compound request typed into the queue's form is planned ("Plan it"), its steps are
 * reviewed on the plan's page (facets and the hats they pick), one is dropped and one moved,
 * an order that cannot run is said live before anything is saved, the edit is saved and the
 * plan approved; the subtasks appear with their live status, and the relay holds exactly
 * those subtasks, once each, and the approved plan with the edited steps. A request that
 * reads as one task is refused with the catalogue's sentence and planned anyway; a plan is
 * rejected through the confirmation dialog, cancelling its task.
 */
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { Task } from "../../schemas/index.ts"
import { planTask, subtaskIdOf } from "../../src/domain/plans/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshot, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const COMPOUND = "Please design the export format, then implement the exporter and the importer; review both for tampering, and finally document the file layout."
/** One signal of the gut-check (a connector): one task, though the splitter can cut it in two. */
const SIMPLE = "Fix the login bug and then update the docs"

/** The relay's task `id` once `check` holds for it. */
const atRelay = (relay: TestRelay, id: string, check: (t: Task) => boolean, what: string) =>
  waitFor(
    () => {
      const t = relay.workspace.tasks.get(id)
      return t && check(t) ? t : false
    },
    { events: [[relay.workspace.tasks, "change"]], timeoutMs: 15_000, message: what },
  )

/** The steps' keys in the order the page shows them. */
const shownKeys = (page: Page) => page.locator('[data-testid="plan-steps"] > li').evaluateAll(items => items.map(li => li.getAttribute("data-key")))
const step = (page: Page, key: string) => page.getByTestId(`plan-step-${key}`)


/** Types a request into the queue's form and chooses "Plan it"; answers the hint's data-compound. */
async function typeRequest(page: Page, request: string): Promise<string | null> {
  await go(page, "queue")
  await page.getByTestId("task-mode").selectOption("llm")
  await page.getByTestId("task-text").fill(request)
  const hint = page.getByTestId("task-plan-hint")
  await hint.waitFor()
  return hint.getAttribute("data-compound")
}

/** The plan page's task id, once the page is on it. */
async function planPage(page: Page): Promise<string> {
  await page.waitForURL(/\/plans\/task-[^/]+$/)
  await page.getByTestId("plan-detail").waitFor()
  return decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1)!)
}

describe("plans in the panel", { timeout: 120_000 }, () => {
  it("plan a compound request from the queue, edit its steps (drop, move, a live order problem), save, approve; the subtasks appear once each", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("plan-review", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada")

      // The form says the request reads as compound and offers to plan it.
      expect(await typeRequest(page, COMPOUND)).toBe("true")
      expect(await page.getByTestId("task-plan-hint").textContent()).toContain("This reads as 4 pieces of work")
      await screenshotFromTop(page, "plan-it-offered")
      await page.getByTestId("task-plan").click()
      const id = await planPage(page)
      const planned = await atRelay(relay, id, t => t.plan?.state === "proposed", "the proposed plan to reach the relay")
      expect(planned.prompt).toBe(COMPOUND)
      expect(await page.getByTestId("plan-state").getAttribute("data-state")).toBe("proposed")
      expect(await page.getByTestId("plan-request").textContent()).toBe(COMPOUND)
      expect(await page.getByTestId("plan-source").textContent()).toContain("the deterministic splitter")

      // The steps, with their facets and the hats those pick, and what each waits for.
      expect(await shownKeys(page)).toEqual(["s1", "s2", "s3", "s4"])
      const facets = await page.locator('[data-testid="plan-steps"] [data-testid="step-facet"]').allTextContents()
      const hats = await page.locator('[data-testid="plan-steps"] [data-testid="step-hat"]').allTextContents()
      expect(facets).toEqual(["strategy", "build", "review", "document"])
      expect(hats.map(h => h.replace(/\s+/g, " ").trim())).toEqual(["hat Strategist", "hat Builder", "hat Reviewer", "hat Documenter"])
      expect(await step(page, "s4").getByTestId("step-waits").textContent()).toContain("2. Implement the exporter and the importer")
      await screenshotFromTop(page, "plan-proposed")

      // Drop the review: it is gone, and nothing waits for it.
      await page.getByTestId("step-drop-s3").click()
      await expect.poll(() => shownKeys(page)).toEqual(["s1", "s2", "s4"])
      expect(await page.getByTestId("plan-unsaved").isVisible()).toBe(true)

      // Move the documentation above the build it waits for: the page says why that cannot run, before saving.
      await page.getByTestId("step-up-s4").click()
      await expect.poll(() => shownKeys(page)).toEqual(["s1", "s4", "s2"])
      const problem = page.getByTestId("plan-problem")
      await expect.poll(() => problem.textContent()).toContain("This plan cannot run as it stands: step 2 (“Document the file layout”) waits for s2, which is not a step above it.")
      expect(await problem.getAttribute("data-code")).toBe("plan_step_invalid")
      expect(await step(page, "s4").getAttribute("class")).toContain("invalid")
      expect(await step(page, "s4").getByTestId("step-problem").textContent()).toContain("waits for s2, which is not a step above it")
      expect(await page.getByTestId("plan-save").isDisabled()).toBe(true)
      expect(await page.getByTestId("plan-approve").isDisabled()).toBe(true)
      await screenshotFromTop(page, "plan-invalid-order")

      // Open the step: it waits for the design instead, and gets a sharper title.
      await page.getByTestId("step-edit-s4").click()
      await page.getByTestId("step-s4-waits-s2").uncheck()
      await page.getByTestId("step-s4-waits-s1").check()
      await page.getByTestId("step-s4-title").fill("Document the export file layout")
      await page.getByTestId("step-s4-facet").selectOption("document")
      await expect.poll(() => problem.textContent()).toBe("")
      await screenshotFromTop(page, "plan-step-editing")
      await page.getByTestId("step-edit-s4").click()
      expect(await step(page, "s4").getByTestId("step-title").textContent()).toBe("Document the export file layout")

      // Save: the relay holds the edited steps; the page has nothing unsaved.
      // The task changes under the draft (its priority, here): the draft stays, and no one else is said to have edited the plan.
      relay.workspace.updateTask(id, d => {
        d.priority = 3
      })
      await expect.poll(() => page.getByTestId("plan-priority").textContent()).toBe("priority 3")
      expect(await shownKeys(page)).toEqual(["s1", "s4", "s2"])
      expect(await page.getByTestId("plan-changed-elsewhere").count()).toBe(0)
      await page.getByTestId("plan-save").click()
      const saved = await atRelay(relay, id, t => t.plan?.steps.map(s => s.key).join() === "s1,s4,s2", "the edited steps to reach the relay")
      expect(saved.plan!.state).toBe("proposed")
      await page.getByTestId("plan-unsaved").waitFor({ state: "detached" })

      // Approve: one subtask per step, in the relay's queue, shown with its live status.
      await page.getByTestId("plan-approve").click()
      const approved = await atRelay(relay, id, t => t.plan?.state === "approved", "the approved plan to reach the relay")
      await page.getByTestId("plan-approved").waitFor()
      for (const key of ["s1", "s4", "s2"]) {
        const sub = page.getByTestId(`subtask-${key}`)
        await expect.poll(() => sub.getAttribute("data-status")).not.toBe("missing")
        expect(await sub.getByTestId("subtask-status").textContent()).toMatch(/^(queued|blocked)$/)
      }
      expect((await step(page, "s4").getByTestId("subtask-hat").textContent())?.replace(/\s+/g, " ").trim()).toBe("will wear Documenter")
      // The first step is ready and no worker has an LLM key: the relay blocks it, and the page follows.
      await expect.poll(() => page.getByTestId("subtask-s1").getAttribute("data-status"), { timeout: 15_000 }).toBe("blocked")
      await screenshotFromTop(page, "plan-approved")

      // Through the relay: exactly those subtasks, once each, waiting as the edited plan says; the parent waits for them.
      const subtaskIds = ["s1", "s4", "s2"].map(k => subtaskIdOf(id, k))
      await waitFor(() => subtaskIds.every(s => !!relay.workspace.tasks.get(s)), { events: [[relay.workspace.tasks, "change"]], message: "the subtasks at the relay" })
      const children = [...relay.workspace.tasks.entries.values()].filter(t => t.parent === id || t.id.startsWith(`${id}.`))
      expect(children.map(t => t.id).sort()).toEqual([...subtaskIds].sort())
      expect(Object.fromEntries(children.map(t => [t.id, { title: t.title, facet: t.facet, dependsOn: t.dependsOn, parent: t.parent }]))).toEqual({
        [subtaskIds[0]!]: { title: "Design the export format", facet: "strategy", dependsOn: [], parent: id },
        [subtaskIds[1]!]: { title: "Document the export file layout", facet: "document", dependsOn: [subtaskIds[0]], parent: id },
        [subtaskIds[2]!]: { title: "Implement the exporter and the importer", facet: "build", dependsOn: [subtaskIds[0]], parent: id },
      })
      const parent = relay.workspace.tasks.get(id)!
      expect(parent.plan).toMatchObject({ state: "approved", source: "splitter", decidedBy: expect.any(String) })
      expect(parent.plan!.steps.map(s => [s.key, s.title, s.facet, s.dependsOn])).toEqual([
        ["s1", "Design the export format", "strategy", []],
        ["s4", "Document the export file layout", "document", ["s1"]],
        ["s2", "Implement the exporter and the importer", "build", ["s1"]],
      ])
      expect(parent.dependsOn).toEqual(subtaskIds)
      expect(approved.plan!.decidedBy).toBe(parent.plan!.decidedBy)

      // The subtask's page links to its parent's plan; the parent's page to its plan; the list shows it decided.
      await page.getByTestId("subtask-link-s4").click()
      await page.getByTestId("task-parent-plan").waitFor()
      expect(await page.getByTestId("task-parent-plan").textContent()).toContain("Step 2 of the plan")
      await page.getByTestId("task-parent-plan").getByRole("link").click()
      await planPage(page)
      await page.getByTestId("plan-parent-link").click()
      await page.getByTestId("task-plan-link").waitFor()
      expect(await page.getByTestId("task-plan-link").textContent()).toContain("This task holds a plan of 3 steps (approved)")
      await go(page, "plans")
      const row = page.getByTestId(`plan-row-${id}`)
      await row.waitFor()
      expect(await row.getAttribute("data-state")).toBe("approved")
      expect(await row.textContent()).toContain("Ada")
      await screenshotFromTop(page, "plans-list")
      expect(ada.unexpectedErrors()).toEqual([])
    })
  })

  it("a request that reads as one task is refused with the catalogue's sentence, planned anyway, then rejected with a reason", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const bea = await openDevice(teardown, browser, "bea")
    await screenshotsOnFailure("plan-anyway", { bea: () => bea.page }, async () => {
      const page = bea.page
      await joinAsOperator(page, relay, "Bea")

      expect(await typeRequest(page, SIMPLE)).toBe("false")
      await page.getByTestId("task-plan").click()
      const refusal = page.getByTestId("task-plan-refusal")
      await refusal.waitFor()
      expect(await refusal.locator(".form-problem").getAttribute("data-code")).toBe("plan_not_compound")
      expect(await refusal.textContent()).toContain("This request stays one task: it reads as one piece of work (1 of the 2 signals needed).")
      expect([...relay.workspace.tasks.entries.values()].some(t => t.prompt === SIMPLE), "nothing was written").toBe(false)
      await screenshot(page, "plan-anyway-refused")

      await page.getByTestId("task-plan-force").click()
      const id = await planPage(page)
      await atRelay(relay, id, t => t.plan?.state === "proposed", "the forced plan to reach the relay")
      expect(await shownKeys(page)).toEqual(["s1", "s2"])

      // Rejecting asks first; keeping it changes nothing, confirming cancels the task.
      await page.getByTestId("plan-reject-reason").fill("the docs change waits for the next release")
      await page.getByTestId("plan-reject").click()
      await page.getByTestId("confirm-keep").click()
      expect(relay.workspace.tasks.get(id)!.plan!.state).toBe("proposed")
      await page.getByTestId("plan-reject").click()
      expect(await page.getByTestId("confirm-dialog").textContent()).toContain("Reject the plan")
      await page.getByTestId("confirm-yes").click()
      const rejected = await atRelay(relay, id, t => t.plan?.state === "rejected", "the rejected plan to reach the relay")
      expect(rejected.status).toBe("cancelled")
      expect(rejected.history.at(-1)?.reason).toBe("the docs change waits for the next release")
      await expect.poll(() => page.getByTestId("plan-state").getAttribute("data-state")).toBe("rejected")
      expect(await page.getByTestId("plan-decide").count()).toBe(0)
      expect([...relay.workspace.tasks.entries.values()].filter(t => t.id.startsWith(`${id}.`))).toEqual([])
      expect(bea.unexpectedErrors()).toEqual([])
    })
  })

  it("a plan a worker's model is drafting shows the splitter's steps meanwhile, cannot be edited or approved, and can be rejected", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    // Planned from a terminal (vivarium plan add --draft model); no worker with a model key is online to draft it.
    const node = await connectTestPeer(teardown, relay)
    const drafting = await planTask(await peerOperator(node), { request: COMPOUND, draft: "model" })
    await node.flushToRelay()
    const cy = await openDevice(teardown, browser, "cy")
    await screenshotsOnFailure("plan-drafting", { cy: () => cy.page }, async () => {
      const page = cy.page
      await joinAsOperator(page, relay, "Cy")
      await go(page, "plans")
      await page.getByTestId(`plan-link-${drafting.id}`).click()
      await planPage(page)
      expect(await page.getByTestId("plan-state").getAttribute("data-state")).toBe("drafting")
      expect(await page.getByTestId("plan-drafting").textContent()).toContain("A worker's model is drafting this plan")
      expect(await shownKeys(page)).toEqual(["s1", "s2", "s3", "s4"])
      for (const control of ["step-edit-s1", "step-add-open", "plan-save", "plan-approve"]) expect(await page.getByTestId(control).count(), control).toBe(0)
      await screenshotFromTop(page, "plan-drafting")

      await page.getByTestId("plan-reject").click()
      await page.getByTestId("confirm-yes").click()
      const rejected = await atRelay(relay, drafting.id, t => t.plan?.state === "rejected", "the rejected draft to reach the relay")
      expect(rejected.status).toBe("cancelled")
      await expect.poll(() => page.getByTestId("plan-state").getAttribute("data-state")).toBe("rejected")
      expect(cy.unexpectedErrors()).toEqual([])
    })
  })
})
