/**
 * The control panel on phones and tablets, light and dark, against a lived-in workspace
 * (test/helpers/panelFixture.ts) served by a real relay: every view, the join, name and
 * waiting screens included, fits a 390×844 touch screen without sideways scrolling, every
 * touch target is at least 44×44 px, text keeps WCAG AA contrast in both colour schemes,
 * and the mobile navigation opens, marks the current view, works from the keyboard and
 * navigates. Screenshots of every view at 390×844 (light and dark), 768×1024 and 1280×800
 * land in test-artifacts/screenshots/ for people to look at.
 */
import type { Browser, BrowserContextOptions, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { SkillsDoc } from "../../schemas/index.ts"
import { addArtifact } from "../../src/domain/artifacts/index.ts"
import { foundGuild, requestToJoin } from "../../src/domain/guilds/index.ts"
import { approvePlan, planTask } from "../../src/domain/plans/index.ts"
import { approvedIdentity, decide, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { joinLink, launchBrowser, openDevice, screenshot, screenshotsOnFailure, touchScreenshot, type Device } from "../helpers/browser.ts"
import { layoutReport, type LayoutReport } from "../helpers/layoutReport.ts"
import { seedPanelFixture, type PanelFixture } from "../helpers/panelFixture.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"

const suite = useTeardown("all")
const teardown = useTeardown()
let browser: Browser
let relay: TestRelay
let fixture: PanelFixture
let plans: Plans

/** Two plans beside the panel fixture: one waiting for a decision (a long unbroken address in its steps), one approved (its subtasks queued). */
interface Plans {
  proposed: string
  approved: string
}

async function seedPlans(relay: TestRelay): Promise<Plans> {
  const node = await connectTestPeer(suite, relay, { identity: await approvedIdentity(relay, "operator", undefined, { displayName: "Annie Easley" }) })
  const ctx = await peerOperator(node)
  // No colon in it: the splitter cuts a request at colons.
  const address = "reports/greenhouse/north-wing/humidity-sensors/2025-11-24/export-of-every-sensor-reading.csv?columns=all&format=wide"
  const proposed = await planTask(ctx, {
    request: `Please design the export format of ${address}, then implement the exporter and the importer; review both for tampering, and finally document the file layout for the gardeners.`,
    maxBudgetUsd: 0.4,
  })
  const approved = await planTask(ctx, { request: "Research the watering schedules of the north wing, then implement the new schedule, then document how to tune it." })
  await approvePlan(ctx, approved.id)
  await node.flushToRelay()
  return { proposed: proposed.id, approved: approved.id }
}

/** Skills as the relay writes them (into its own replica): a proposal from a pattern, with a long name, and one in use with figures. */
async function seedSkills(relay: TestRelay, f: PanelFixture): Promise<string> {
  const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
  const now = Date.now()
  const proposed = "skill-summarise-humidity-alarms-of-the-north"
  skills.change(d => {
    d.skills[proposed] = {
      id: proposed,
      name: "summarise-humidity-alarms-of-the-north",
      description: "summarise humidity: proposed from 3 approved tasks like “Summarise the humidity alarms of the north wing for the weekly report to the gardeners”",
      template: "Summarise the humidity alarms of {{subject}} for the weekly report to the gardeners; link the raw export reports/greenhouse/north-wing/humidity-sensors/export-of-every-sensor-reading.csv",
      params: [{ name: "subject", type: "string", description: "what this task is about (what the past prompts differed in)" }],
      preconditions: [],
      fromTasks: [f.tasks.pending_review, f.tasks.approved, f.tasks.failed],
      state: "proposed",
      proposedBy: "relay",
      proposedAt: now - 60_000,
      metrics: { uses: 0, successes: 0, costUsd: 0, latencyMs: 0, counted: [] },
    }
    d.skills["skill-check-checksum"] = {
      id: "skill-check-checksum",
      name: "check-checksum",
      description: "Checks a backup's checksum against the one in the backup log.",
      template: "Check the checksum of {{backup}} against the backup log.",
      params: [{ name: "backup", type: "string", description: "the backup's file name" }],
      preconditions: ["the backup log is readable"],
      fromTasks: [],
      state: "approved",
      proposedBy: "relay",
      proposedAt: now - 86_400_000,
      decidedBy: "relay",
      decidedAt: now - 80_000_000,
      metrics: { uses: 12, successes: 11, costUsd: 0.0312, latencyMs: 61_000, lastUsedAt: now - 3_600_000, counted: [] },
    }
  })
  return proposed
}
let skill: string

interface Community {
  guild: string
  artifact: string
}

/** A guild with a long name and a waiting join request, and a Markdown artifact with a long unbroken path. */
async function seedCommunity(f: PanelFixture): Promise<Community> {
  const ctx = await peerOperator(await connectTestPeer(suite, relay))
  const guild = await foundGuild(ctx, { name: "Honourable Society of Greenhouse Cartographers", founder: f.residents.long, motto: "Every tray mapped, every hive heard." })
  await requestToJoin(ctx, guild.id, { applicant: f.residents.short, note: "I have listened to the bees near tray 14 every afternoon this month." })
  const body = "# Humidity report\n\nThe north wing ran wet all week; raw readings in reports/greenhouse/north-wing/humidity-sensors/export-of-every-sensor-reading.csv.\n\n- tray 14: 91 %\n- tray 15: 88 %\n"
  const artifact = await addArtifact(ctx, { fileName: "humidity-report.md", title: "Humidity report for the gardeners, north wing, week 48" }, new TextEncoder().encode(body))
  return { guild: guild.id, artifact: artifact.id }
}
let community: Community

beforeAll(async () => {
  browser = await launchBrowser(suite)
  // Simulated runs hold leases no worker renews: a long lease keeps them claimed and running.
  relay = await startTestRelay(suite, { leaseMs: 600_000 })
  fixture = await seedPanelFixture(suite, relay)
  plans = await seedPlans(relay)
  skill = await seedSkills(relay, fixture)
  community = await seedCommunity(fixture)
}, 60_000)

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true }
const TABLET: BrowserContextOptions = { viewport: { width: 768, height: 1024 }, hasTouch: true, isMobile: true }
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } }

interface View {
  name: string
  path: string
  /** Resolves once the view shows the fixture's data (and opens what a person would open). */
  ready(page: Page): Promise<unknown>
}

const text = (page: Page, testid: string, expected: string) => expect.poll(() => page.getByTestId(testid).first().textContent(), { timeout: 15_000 }).toContain(expected)

function views(f: PanelFixture, plan: Plans): View[] {
  return [
    { name: "dashboard", path: "/", ready: p => text(p, "dash-count-approved", "1") },
    { name: "queue", path: "/queue", ready: p => p.getByTestId(`review-${f.tasks.pending_review}`).waitFor() },
    { name: "plans", path: "/plans", ready: p => p.getByTestId(`plan-row-${plan.proposed}`).waitFor() },
    {
      name: "plan-detail",
      path: `/plans/${plan.proposed}`,
      // A step open for editing and the form for a new one: their fields fit too.
      ready: async p => {
        await p.getByTestId("step-edit-s2").click()
        await p.getByTestId("step-s2-title").waitFor()
        await p.getByTestId("step-add-open").click()
        await p.getByTestId("step-new-title").waitFor()
      },
    },
    { name: "plan-approved", path: `/plans/${plan.approved}`, ready: p => p.getByTestId("subtask-s1").waitFor() },
    { name: "skills", path: "/skills", ready: p => p.getByTestId(`skill-row-${skill}`).waitFor() },
    { name: "skill-detail", path: `/skills/${skill}`, ready: p => p.getByTestId("skill-edit").waitFor() },
    {
      name: "hats",
      path: "/hats",
      // A hat open for editing: its fields fit too.
      ready: async p => {
        await p.getByTestId("hat-edit-open-builder").click()
        await p.getByTestId("hat-edit-builder").waitFor()
      },
    },
    { name: "history", path: "/history", ready: p => p.getByTestId("travel-hint").waitFor() },
    { name: "proposals", path: "/proposals", ready: p => p.getByTestId(`proposal-${f.proposal}`).waitFor() },
    { name: "task-detail", path: `/tasks/${f.tasks.pending_review}`, ready: p => text(p, "task-result", "Checksum") },
    { name: "workers", path: "/workers", ready: p => p.getByTestId("worker-row-basement-raspberry-pi-waiting-for-approval").waitFor() },
    { name: "runtime", path: "/runtime", ready: p => p.getByTestId("halt-reason").waitFor() },
    {
      name: "residents",
      path: "/residents",
      ready: async p => {
        await p.getByTestId(`resident-open-${f.residents.long}`).click()
        await p.getByTestId(`wallet-ledger-${f.residents.long}`).waitFor()
      },
    },
    { name: "rooms", path: "/rooms/town_hall", ready: p => text(p, "room-messages", "raw humidity export") },
    { name: "quests", path: "/quests", ready: p => p.getByTestId(`quest-row-${f.questId}`).waitFor() },
    { name: "quest-detail", path: `/quests/${f.questId}`, ready: p => expect.poll(() => p.getByTestId("quest-objective-editor").inputValue(), { timeout: 15_000 }).toContain("Walk the tunnels") },
    {
      name: "bounties",
      path: "/bounties",
      ready: async p => {
        await p.getByTestId(`bounty-toggle-${f.bounties[1]}`).click()
        await p.getByTestId(`bounty-detail-${f.bounties[1]}`).waitFor()
      },
    },
    { name: "artifacts", path: "/artifacts", ready: p => p.getByTestId(`artifact-${community.artifact}`).waitFor() },
    { name: "artifact-detail", path: `/artifacts/${community.artifact}`, ready: p => p.getByTestId("artifact-markdown").locator("h1").waitFor() },
    { name: "community", path: "/community", ready: p => p.getByTestId(`guild-rank-${community.guild}`).waitFor() },
    { name: "audit", path: "/audit", ready: p => p.getByTestId("audit-entry").first().waitFor() },
    { name: "settings", path: "/settings", ready: p => p.getByTestId("settings-operator").waitFor() },
  ]
}

type Problems = Record<string, Partial<LayoutReport>>

/** The names the header shows beside the logo. */
const brand = (page: Page) => page.locator(".brand > span").evaluateAll(spans => spans.filter(s => s.checkVisibility()).map(s => s.textContent?.trim()))

/** What is wrong on the page shown now, keyed by `label` (empty when nothing is). */
async function check(page: Page, label: string, problems: Problems, widths: Record<string, number>, touch: boolean): Promise<void> {
  const report = await layoutReport(page)
  widths[label] = report.scrollWidth
  const found: Partial<LayoutReport> = {}
  if (report.scrollWidth > report.screenWidth) found.scrollWidth = report.scrollWidth
  if (report.innerWidth > report.screenWidth) found.innerWidth = report.innerWidth
  if (report.overflowing.length) found.overflowing = report.overflowing
  if (touch && report.smallTargets.length) found.smallTargets = report.smallTargets
  if (report.lowContrast.length) found.lowContrast = report.lowContrast
  if (Object.keys(found).length) problems[label] = found
}

/**
 * Joins as a new operator the way a person does on this device: the join screen (the link
 * pasted), the name, the wait for the owner, who approves; `look` sees each of those screens.
 */
async function join(page: Page, displayName: string, look: (label: string) => Promise<void> = async () => {}): Promise<void> {
  await page.goto(`${relay.httpUrl}/`)
  await page.getByTestId("join-input").waitFor()
  await look("join")
  await page.getByTestId("join-input").fill(joinLink(relay))
  await page.getByTestId("join-input").press("Enter")
  await page.getByTestId("operator-name").fill(displayName)
  await look("operator-setup")
  await page.getByTestId("operator-save").click()
  const name = await page.getByTestId("waiting-name").textContent()
  await look("waiting-approval")
  await decide(relay, name!, "approved")
  // The shell, or the reason the app could not open (said, rather than a bare timeout).
  await page.locator('[data-testid="me"], [data-testid="fatal"]').first().waitFor({ state: "attached" })
  const fatal = page.getByTestId("fatal")
  if (await fatal.count()) throw new Error(`the app did not open after the approval: ${await fatal.textContent()}`)
  expect(await brand(page), "the header names the product once").toEqual(["Vivarium"])
}

/** Joins as a new operator (checking and photographing each screen), then checks and photographs every view. */
async function tour(device: Device, displayName: string, shot: string, touch: boolean): Promise<{ problems: Problems; widths: Record<string, number> }> {
  const { page } = device
  const problems: Problems = {}
  const widths: Record<string, number> = {}
  const look = async (label: string) => {
    await check(page, label, problems, widths, touch)
    await touchScreenshot(page, `${shot}-${label}`)
  }
  await join(page, displayName, look)

  for (const view of views(fixture, plans)) {
    await page.goto(`${relay.httpUrl}${view.path}`)
    await view.ready(page)
    await look(view.name)
  }
  return { problems, widths }
}

describe("the control panel on phones and tablets", { timeout: 240_000 }, () => {
  it("every view fits a 390×844 touch screen in light mode: no sideways scrolling, 44 px touch targets, readable text", async () => {
    const phone = await openDevice(teardown, browser, "phone", { ...PHONE, colorScheme: "light" })
    await screenshotsOnFailure("phone-light", { phone: () => phone.page }, async () => {
      const { problems, widths } = await tour(phone, "Ada Lovelace-Byron of the Analytical Engine", "phone-light", true)
      console.info(`document scrollWidth at 390 px (light): ${JSON.stringify(widths)}`)
      expect(problems).toEqual({})
      expect(phone.unexpectedErrors()).toEqual([])
    })
  })

  it("the mobile navigation opens from a button, marks the current view, works from the keyboard and navigates", async () => {
    const phone = await openDevice(teardown, browser, "nav", PHONE)
    await screenshotsOnFailure("phone-nav", { phone: () => phone.page }, async () => {
      const page = phone.page
      // As in tour() and joinAsOperator(), the owner approves after the waiting screen has been
      // seen (here: photographed), as a person would.
      await join(page, "Grace Hopper", async label => void (await touchScreenshot(page, `phone-nav-${label}`)))
      expect(await page.evaluate(() => matchMedia("(pointer: coarse)").matches), "the phone emulates a touch screen").toBe(true)

      // A screen reader finds a "Menu" button that controls the "Views" navigation.
      const toggle = page.getByTestId("nav-toggle")
      expect(await page.getByRole("button", { name: "Menu" }).getAttribute("data-testid")).toBe("nav-toggle")
      expect(await page.getByRole("navigation", { name: "Views", includeHidden: true }).getAttribute("id")).toBe(await toggle.getAttribute("aria-controls"))

      // Closed: the views' links are out of sight and out of the tab order.
      expect(await toggle.getAttribute("aria-expanded")).toBe("false")
      expect(await page.getByTestId("nav-queue").isHidden()).toBe(true)

      // From the keyboard: Enter opens it with the focus inside, Escape closes it and gives the focus back.
      await toggle.focus()
      await page.keyboard.press("Enter")
      expect(await toggle.getAttribute("aria-expanded")).toBe("true")
      expect(await toggle.textContent(), "the open menu's button says it closes it").toContain("Close")
      await page.getByTestId("nav-queue").waitFor()
      const drawer = page.locator(`#${await toggle.getAttribute("aria-controls")}`)
      expect(await drawer.evaluate(el => el.contains(document.activeElement)), "the focus moves into the navigation").toBe(true)
      expect(await drawer.locator('[aria-current="page"]').getAttribute("data-testid"), "the current view is marked").toBe("nav-dashboard")
      // Once it has slid in: nothing sticks out, every link is a finger wide.
      await expect.poll(() => drawer.evaluate(el => el.getBoundingClientRect().left)).toBe(0)
      const problems: Problems = {}
      await check(page, "nav-open", problems, {}, true)
      expect(problems).toEqual({})
      await touchScreenshot(page, "phone-light-nav-open")
      await page.keyboard.press("Escape")
      expect(await toggle.getAttribute("aria-expanded")).toBe("false")
      expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("nav-toggle")

      // By touch: open, tap a view; the drawer closes on the new view, which is marked next time.
      await toggle.tap()
      await page.getByTestId("nav-queue").tap()
      await page.waitForURL(/\/queue$/)
      await page.getByTestId("nav-queue").waitFor({ state: "hidden" })
      expect(await toggle.getAttribute("aria-expanded")).toBe("false")
      await toggle.tap()
      expect(await page.getByTestId("nav-queue").getAttribute("aria-current")).toBe("page")
      // Tapping outside the drawer closes it too.
      await page.getByTestId("nav-backdrop").tap({ position: { x: 370, y: 600 } })
      await page.getByTestId("nav-queue").waitFor({ state: "hidden" })
      expect(phone.unexpectedErrors()).toEqual([])
    })
  })

  it("every view follows a dark system colour scheme at 390×844 and stays readable", async () => {
    const phone = await openDevice(teardown, browser, "dark", { ...PHONE, colorScheme: "dark" })
    await screenshotsOnFailure("phone-dark", { phone: () => phone.page }, async () => {
      const { problems, widths } = await tour(phone, "Katherine Johnson", "phone-dark", true)
      console.info(`document scrollWidth at 390 px (dark): ${JSON.stringify(widths)}`)
      // The page is really dark, not the light theme with passing contrast.
      const [r, g, b] = await phone.page.evaluate(() => getComputedStyle(document.body).backgroundColor.match(/[\d.]+/g)!.map(Number))
      expect(0.2126 * r! + 0.7152 * g! + 0.0722 * b!, "the page background in dark mode").toBeLessThan(60)
      expect(problems).toEqual({})
      expect(phone.unexpectedErrors()).toEqual([])
    })
  })

  it("a 768 px tablet and a 1280×800 desktop show every view without sideways scrolling", async () => {
    const tablet = await openDevice(teardown, browser, "tablet", TABLET)
    const desktop = await openDevice(teardown, browser, "desktop", DESKTOP)
    await screenshotsOnFailure("wide", { tablet: () => tablet.page, desktop: () => desktop.page }, async () => {
      const onTablet = await tour(tablet, "Hedy Lamarr", "tablet", true)
      const onDesktop = await tour(desktop, "Margaret Hamilton", "desktop", false)
      expect(onTablet.problems).toEqual({})
      expect(onDesktop.problems).toEqual({})

      // A workspace with a name of its own: beside the product's name on a wide screen, alone on a phone.
      relay.workspace.rootHandle.change(d => {
        d.name = "Greenhouse Lab, north wing"
      })
      await expect.poll(() => brand(desktop.page)).toEqual(["Vivarium", "Greenhouse Lab, north wing"])
      await screenshot(desktop.page, "desktop-named-workspace")
      await tablet.page.setViewportSize(PHONE.viewport!)
      await expect.poll(() => brand(tablet.page)).toEqual(["Greenhouse Lab, north wing"])
      await touchScreenshot(tablet.page, "phone-named-workspace")
      expect(tablet.unexpectedErrors()).toEqual([])
      expect(desktop.unexpectedErrors()).toEqual([])
    })
  })
})
