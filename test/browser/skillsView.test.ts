/**
 * Skills in the panel, in a real browser against the built app served by a real relay with a
 * lived-in workspace (test/helpers/panelFixture.ts): the view says there are no skills yet;
 * the relay proposes one (written into its own replica, as the economy does) and the table
 * follows, the proposal first; the operator approves it and the relay holds the decision
 * under the operator's name; the figures follow as the relay counts runs; retiring asks
 * first (keeping it changes nothing). On the skill's page the description is edited and
 * saved, and a template using an undeclared parameter is said live and never saved. A task
 * routed to a skill shows its route and hat, linked to the skill's page; a skill written in
 * the "New skill" form is refused live until its template and parameters agree.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { Skill, SkillsDoc, Task } from "../../schemas/index.ts"
import { SYSTEM } from "../../peer-server/scheduler.ts"
import { readSkills } from "../../src/workspace/documentReaders.ts"
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

const skillsAt = (h: DocHandle<SkillsDoc>) => readSkills(h.doc(), "skills", [])

/** The relay's skill `id` once `check` holds for it. */
const atRelay = (h: DocHandle<SkillsDoc>, id: string, check: (s: Skill) => boolean, what: string) =>
  waitFor(
    () => {
      const s = skillsAt(h).get(id)
      return s && check(s) ? s : false
    },
    { events: [[h, "change"]], timeoutMs: 15_000, message: what },
  )


const NO_USE = { uses: 0, successes: 0, costUsd: 0, latencyMs: 0, counted: [] }

describe("skills in the panel", { timeout: 120_000 }, () => {
  it("a proposal appears live, is approved and retired (asked first), edited on its page (a bad template refused live); a routed task links to its skill", async () => {
    // Simulated runs hold leases no worker renews: a long lease keeps the fixture as it is.
    const relay = await startTestRelay(teardown, { leaseMs: 600_000 })
    const fixture = await seedPanelFixture(teardown, relay)
    const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("skills", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada Operator")
      const operator = peerNamed(relay, "Ada Operator")
      const dorothy = peerNamed(relay, "Dorothy Vaughan")

      // No skills yet: the view says so, and how one comes.
      await go(page, "skills")
      await expect.poll(() => page.getByTestId("skills-empty").textContent()).toContain("No skills yet: the relay proposes one when three approved tasks share a pattern")
      expect(await page.getByTestId("nav-skills").getAttribute("aria-current")).toBe("page")

      // The relay writes two skills into its own replica, as the economy does: one in use, one proposed from a pattern.
      const now = Date.now()
      const approvedTask = fixture.tasks.approved
      const proposal: Skill = {
        id: "skill-summarise-humidity",
        name: "summarise-humidity",
        description: "summarise humidity: proposed from 3 approved tasks like “Summarise the humidity alarms of the north wing”",
        template: "Summarise the humidity alarms of {{subject}} for the weekly report to the gardeners.",
        params: [{ name: "subject", type: "string", description: "what this task is about (what the past prompts differed in)" }],
        preconditions: [],
        fromTasks: [fixture.tasks.pending_review, approvedTask, fixture.tasks.failed],
        state: "proposed",
        proposedBy: SYSTEM.name,
        proposedAt: now - 60_000,
        metrics: NO_USE,
      }
      const inUse: Skill = {
        id: "skill-check-checksum",
        name: "check-checksum",
        description: "Checks a backup's checksum against the one in the backup log.",
        template: "Check the checksum of {{backup}} against the backup log.",
        params: [{ name: "backup", type: "string", description: "the backup's file name" }],
        preconditions: ["the backup log is readable"],
        fromTasks: [],
        state: "approved",
        proposedBy: dorothy,
        proposedAt: now - 86_400_000,
        decidedBy: dorothy,
        decidedAt: now - 80_000_000,
        // The routed task below is counted already: the relay will not count it again.
        metrics: { uses: 4, successes: 3, costUsd: 0.01, latencyMs: 12_000, lastUsedAt: now - 90 * 60_000, counted: [approvedTask] },
      }
      skills.change(d => {
        d.skills[inUse.id] = inUse
        d.skills[proposal.id] = proposal
      })
      // The worker that ran the approved task routed it to the skill in use, wearing the builder's hat.
      relay.workspace.queueHandle.change(d => {
        const t = d.tasks[approvedTask] as Task
        t.route = { kind: "similar", skill: inUse.id, confidence: 0.82, note: "its title is like the skill's description (0.82)" }
        t.result!.hat = "builder"
      })

      // The table follows the relay: the proposal first, with its decision; the skill in use with its figures.
      const row = (id: string) => page.getByTestId(`skill-row-${id}`)
      await row(proposal.id).waitFor()
      expect(await page.locator('[data-testid="skills"] tbody tr').evaluateAll(rows => rows.map(r => r.getAttribute("data-testid")))).toEqual([
        `skill-row-${proposal.id}`,
        `skill-row-${inUse.id}`,
      ])
      expect(await page.getByTestId("skills-proposals").textContent()).toContain("One proposed skill waits for a decision")
      expect(await row(proposal.id).getAttribute("data-state")).toBe("proposed")
      expect(await row(inUse.id).locator("td.uses").textContent()).toBe("4")
      expect(await row(inUse.id).locator("td.success").textContent()).toBe("75 %")
      expect(await row(inUse.id).locator("td.cost").textContent()).toBe("$0.0025")
      expect(await row(inUse.id).locator("td.time").textContent()).toBe("3.0 s")
      expect((await row(inUse.id).locator("td.last").textContent())?.trim()).toBe("1 h ago")
      await screenshotFromTop(page, "skills-list")

      // Approve the proposal: the relay holds it approved, decided by this operator.
      await page.getByTestId(`skill-approve-${proposal.id}`).click()
      const approved = await atRelay(skills, proposal.id, s => s.state === "approved", "the approval to reach the relay")
      expect(approved.decidedBy).toBe(operator)
      await expect.poll(() => row(proposal.id).getAttribute("data-state")).toBe("approved")
      expect(await page.getByTestId("skills-proposals").count()).toBe(0)

      // The relay counts another run of the skill in use: the figures follow.
      skills.change(d => {
        const m = d.skills[inUse.id]!.metrics
        m.uses = 5
        m.successes = 4
        m.latencyMs = 15_000
        m.counted.push("task-counted-later")
      })
      await expect.poll(() => row(inUse.id).locator("td.uses").textContent()).toBe("5")
      expect(await row(inUse.id).locator("td.success").textContent()).toBe("80 %")

      // Retiring asks first: keeping it changes nothing; confirming retires it at the relay.
      await page.getByTestId(`skill-retire-${inUse.id}`).click()
      await page.getByTestId("confirm-dialog").getByText("Retire the skill “check-checksum”?").waitFor()
      await page.getByTestId("confirm-keep").click()
      await page.getByTestId("confirm-yes").waitFor({ state: "hidden" })
      expect(skillsAt(skills).get(inUse.id)?.state).toBe("approved")
      await page.getByTestId(`skill-retire-${inUse.id}`).click()
      await page.getByTestId("confirm-yes").click()
      const retired = await atRelay(skills, inUse.id, s => s.state === "retired", "the retirement to reach the relay")
      expect(retired.decidedBy).toBe(operator)
      await expect.poll(() => row(inUse.id).getAttribute("data-state")).toBe("retired")
      // Retired skills go last, each with the button that brings it back.
      await page.getByTestId(`skill-approve-${inUse.id}`).waitFor()

      // The skill's page: what it does, where it came from, who decided.
      await page.getByTestId(`skill-link-${proposal.id}`).click()
      await page.waitForURL(/\/skills\/skill-summarise-humidity$/)
      await page.getByTestId("skill-detail").waitFor()
      expect(await page.getByTestId("skill-template").textContent()).toBe(proposal.template)
      expect(await page.getByTestId("skill-params").textContent()).toContain("subject (string)")
      expect(await page.getByTestId(`skill-origin-${approvedTask}`).textContent()).toBe("Check the checksum of last night's backup")
      expect(await page.getByTestId("skill-provenance").textContent()).toMatch(/proposed by relay .* · approved by Ada Operator/i)
      expect(await page.getByTestId("nav-skills").getAttribute("aria-current")).toBe("page")

      // Edit the description and save: the relay has it.
      const description = page.getByTestId("skill-edit-description")
      expect(await description.inputValue()).toBe(proposal.description)
      await description.fill("Summarises a wing's humidity alarms for the gardeners' weekly report.")
      await page.getByTestId("skill-edit-save").click()
      const edited = await atRelay(skills, proposal.id, s => s.description === "Summarises a wing's humidity alarms for the gardeners' weekly report.", "the edited description to reach the relay")
      // Only the description changed: the parameters, preconditions and template are as they were.
      expect(edited).toMatchObject({ template: proposal.template, params: proposal.params, preconditions: proposal.preconditions, state: "approved" })
      await expect.poll(() => page.getByTestId("skill-description").textContent()).toBe("Summarises a wing's humidity alarms for the gardeners' weekly report.")
      await expect.poll(() => page.getByTestId("skill-edit-save").isDisabled()).toBe(true)
      await screenshotFromTop(page, "skill-detail")

      // A template with a parameter the skill does not declare: said as typed, and never saved.
      await page.getByTestId("skill-edit-template").fill("Do {{thing}}")
      await expect
        .poll(() => page.getByTestId("skill-edit-problem").textContent())
        .toContain("This skill cannot be used as it stands: the template uses {{thing}} but declares no such parameter.")
      expect(await page.getByTestId("skill-edit-save").isDisabled()).toBe(true)
      await page.getByTestId("skill-edit-template").evaluate(el => (el as HTMLTextAreaElement).form!.requestSubmit())
      expect(skillsAt(skills).get(proposal.id)?.template).toBe(proposal.template)
      await screenshotFromTop(page, "skill-detail-template-refused")
      await page.getByTestId("skill-edit-discard").click()
      expect(await page.getByTestId("skill-edit-template").inputValue()).toBe(proposal.template)

      // The routed task shows its route and hat, linked to the skill's page.
      await page.goto(`${relay.httpUrl}/tasks/${approvedTask}`)
      const route = page.getByTestId("task-route")
      await route.waitFor()
      expect(await route.getAttribute("data-kind")).toBe("similar")
      expect(await page.getByTestId("task-route-kind").textContent()).toBe("similar · by likeness to the skill's description")
      expect(await page.getByTestId("task-route-confidence").textContent()).toBe("82 %")
      expect(await page.getByTestId("task-route-note").textContent()).toBe("its title is like the skill's description (0.82)")
      expect(await page.getByTestId("task-route-hat").textContent()).toBe("Builder")
      // By its name once the skills document has loaded (its id until then).
      await expect.poll(() => page.getByTestId("task-route-skill").textContent()).toBe("check-checksum")
      await screenshotFromTop(page, "skill-task-route")
      await page.getByTestId("task-route-skill").click()
      await page.waitForURL(/\/skills\/skill-check-checksum$/)
      expect(await page.getByTestId("skill-state").textContent()).toBe("retired")

      // A new skill: its template and parameters must agree before it can be written.
      await go(page, "skills")
      await page.getByTestId("skill-new-name").fill("water-tray")
      await page.getByTestId("skill-new-description").fill("Waters one seedling tray.")
      await page.getByTestId("skill-new-template").fill("Water tray {{tray}} with {{litres}} litres.")
      await page.getByTestId("skill-new-params").fill("tray:number")
      await expect.poll(() => page.getByTestId("skill-new-problem").textContent()).toContain("the template uses {{litres}} but declares no such parameter")
      expect(await page.getByTestId("skill-new-submit").isDisabled()).toBe(true)
      await page.getByTestId("skill-new-params").fill("tray:number, litres:number")
      await expect.poll(() => page.getByTestId("skill-new-problem").textContent()).toBe("")
      await page.getByTestId("skill-new-submit").click()
      const written = await atRelay(skills, "skill-water-tray", () => true, "the new skill to reach the relay")
      expect(written).toMatchObject({ state: "proposed", proposedBy: operator, params: [{ name: "tray", type: "number" }, { name: "litres", type: "number" }] })
      await row("skill-water-tray").waitFor()
      expect(await page.getByTestId("skill-new-name").inputValue()).toBe("")
      expect(ada.unexpectedErrors()).toEqual([])
    })
  })
})
