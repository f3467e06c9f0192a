/**
 * Hats in the panel, in a real browser against the built app served by a real relay with a
 * lived-in workspace (test/helpers/panelFixture.ts): the view lists the six default hats under
 * the hattery rules; the Builder's prompt is edited (an empty one is said as typed and never
 * saved) and the relay holds the edit under "builder", signed with the operator's name, shown
 * as edited; a cancelled edit changes nothing; a new hat for review steps is refused live until it has a prompt, then added: the
 * relay holds it, the Reviewer says review steps wear it instead, and a task that wore it
 * shows its name.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { HatRecord, SkillsDoc, Task } from "../../schemas/index.ts"
import { DEFAULT_HATS, HATTERY_RULES } from "../../src/domain/hats/index.ts"
import { readHatRecords } from "../../src/workspace/documentReaders.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { seedPanelFixture } from "../helpers/panelFixture.ts"
import { peerNamed, startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const hatsAt = (h: DocHandle<SkillsDoc>) => readHatRecords(h.doc(), "skills", [])

const BUILDER_PROMPT = "Keep the change small. List the files you changed, the tests you ran and what they said."

describe("hats in the panel", { timeout: 120_000 }, () => {
  it("lists the default hats, edits the Builder's prompt and adds a review hat (empty prompts refused live); the relay holds both under the operator's name", async () => {
    // Simulated runs hold leases no worker renews: a long lease keeps the fixture as it is.
    const relay = await startTestRelay(teardown, { leaseMs: 600_000 })
    const fixture = await seedPanelFixture(teardown, relay)
    const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("hats", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada Operator")
      const operator = peerNamed(relay, "Ada Operator")
      const card = (id: string) => page.getByTestId(`hat-${id}`)

      // The six default hats, in order, each as every workspace starts; the hattery rules once.
      await go(page, "hats")
      await page.getByTestId("hats").waitFor()
      expect(await page.getByTestId("nav-hats").getAttribute("aria-current")).toBe("page")
      expect(await page.getByTestId("hat-name").allTextContents()).toEqual(DEFAULT_HATS.map(h => h.name))
      expect(await page.locator('[data-testid="hats"] > li').evaluateAll(items => items.map(li => li.getAttribute("data-origin")))).toEqual(DEFAULT_HATS.map(() => "default"))
      expect(await page.getByTestId("hattery-rules").locator("pre").textContent()).toBe(HATTERY_RULES)
      expect(await page.getByText("1. A hat never changes who you are.").count()).toBe(1)
      expect(await card("builder").getByTestId("hat-facet").textContent()).toBe("build")
      expect(await card("builder").getByTestId("hat-worn").textContent()).toBe("Worn by build steps of a plan.")
      expect(await card("hatter").getByTestId("hat-facet").count()).toBe(0)
      expect(await card("builder").getByTestId("hat-prompt").textContent()).toBe(DEFAULT_HATS.find(h => h.id === "builder")!.prompt)
      await screenshotFromTop(page, "hats-list")

      // Edit the Builder: an empty prompt is said as typed, and never saved.
      await page.getByTestId("hat-edit-open-builder").click()
      const prompt = page.getByTestId("hat-edit-builder-prompt")
      expect(await prompt.inputValue()).toBe(DEFAULT_HATS.find(h => h.id === "builder")!.prompt)
      await prompt.fill("  ")
      await expect.poll(() => page.getByTestId("hat-edit-builder-problem").textContent()).toBe("Prompt: the hat's prompt is empty. Correct it and try again.")
      expect(await page.getByTestId("hat-edit-builder-save").isDisabled()).toBe(true)
      await prompt.evaluate(el => (el as HTMLTextAreaElement).form!.requestSubmit())
      await screenshotFromTop(page, "hats-edit-refused")
      expect(hatsAt(skills).has("builder")).toBe(false)

      // A prompt with words: saved, and the relay holds the Builder under its id, edited by this operator.
      await prompt.fill(BUILDER_PROMPT)
      await expect.poll(() => page.getByTestId("hat-edit-builder-problem").textContent()).toBe("")
      await page.getByTestId("hat-edit-builder-save").click()
      const builder = await waitFor(() => hatsAt(skills).get("builder") ?? false, { events: [[skills, "change"]], timeoutMs: 15_000, message: "the Builder's edit to reach the relay" })
      expect(builder).toMatchObject({ id: "builder", name: "Builder", facet: "build", prompt: BUILDER_PROMPT, editedBy: operator })
      await expect.poll(() => card("builder").getAttribute("data-origin")).toBe("edited")
      expect(await card("builder").getByTestId("hat-prompt").textContent()).toBe(BUILDER_PROMPT)
      expect(await card("builder").getByTestId("hat-edited-by").textContent()).toBe("Ada Operator")
      expect(await card("builder").getByTestId("hat-provenance").textContent()).toMatch(/^builder · edited by Ada Operator \d+ s ago$/)
      expect(await page.getByTestId("hat-edit-builder").count()).toBe(0)

      // Cancel closes an edit and drops what was typed.
      await page.getByTestId("hat-edit-open-reviewer").click()
      await page.getByTestId("hat-edit-reviewer-name").fill("Critic")
      await page.getByTestId("hat-edit-reviewer-discard").click()
      expect(await page.getByTestId("hat-edit-reviewer").count()).toBe(0)
      expect(await card("reviewer").getByTestId("hat-name").textContent()).toBe("Reviewer")

      // A new hat for review steps: refused live until it has a prompt, then added.
      await page.getByTestId("hat-new-name").fill("Security Reviewer")
      await page.getByTestId("hat-new-description").fill("Reads every change as an attacker would.")
      await page.getByTestId("hat-new-facet").selectOption("review")
      await expect.poll(() => page.getByTestId("hat-new-problem").textContent()).toBe("Prompt: the hat's prompt is empty. Correct it and try again.")
      expect(await page.getByTestId("hat-new-save").isDisabled()).toBe(true)
      await page.getByTestId("hat-new-name").evaluate(el => (el as HTMLInputElement).form!.requestSubmit())
      expect(hatsAt(skills).size).toBe(1)
      await page.getByTestId("hat-new-prompt").fill("Look for injection, leaked secrets and missing checks of who may do what. Quote the lines.")
      await expect.poll(() => page.getByTestId("hat-new-problem").textContent()).toBe("")
      await page.getByTestId("hat-new-save").click()
      const added = await waitFor(() => hatsAt(skills).get("security-reviewer") ?? false, { events: [[skills, "change"]], timeoutMs: 15_000, message: "the new hat to reach the relay" })
      expect(added).toMatchObject({ name: "Security Reviewer", facet: "review", editedBy: operator } satisfies Partial<HatRecord>)

      // Listed last, as added; review steps wear it now instead of the Reviewer.
      await card("security-reviewer").waitFor()
      expect(await card("security-reviewer").getAttribute("data-origin")).toBe("added")
      expect(await page.getByTestId("hat-name").last().textContent()).toBe("Security Reviewer")
      expect(await card("security-reviewer").getByTestId("hat-worn").textContent()).toBe("Worn by review steps of a plan.")
      expect(await card("reviewer").getByTestId("hat-worn").textContent()).toBe("Not worn: review steps wear Security Reviewer instead (an operator's hat goes before a default one).")
      expect(await page.getByTestId("hat-new-name").inputValue()).toBe("")
      await screenshotFromTop(page, "hats-edited")

      // A task that wore the new hat shows it by its name.
      relay.workspace.queueHandle.change(d => {
        const t = d.tasks[fixture.tasks.approved] as Task
        t.result!.hat = "security-reviewer"
      })
      await page.goto(`${relay.httpUrl}/tasks/${fixture.tasks.approved}`)
      await expect.poll(() => page.getByTestId("task-route-hat").textContent()).toBe("Security Reviewer")
      expect(ada.unexpectedErrors()).toEqual([])
    })
  })
})
