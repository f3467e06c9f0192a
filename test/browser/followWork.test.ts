/**
 * Following work in the panel, in real Chromium against a real relay and a real worker
 * running a real command: live output in the task view, the queue's filter in the URL
 * (kept on reload), deep links opened fresh, three results approved at once, Ctrl+K to a
 * task and to the kill switch, the activity feed and charts, at desktop and phone size; the
 * deep links again offline.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { AuditDoc } from "../../schemas/index.ts"
import { assignQuest } from "../../src/domain/quests/actions.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { go, joinAsOperator, launchBrowser, OFFLINE_NOISE, openDevice, screenshotBothSizes, screenshotsOnFailure, serviceWorkerActivated } from "../helpers/browser.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { startTickerWorker, TICKER_COMMAND } from "../helpers/ticker.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

/**
 * Whether a component of this part fits a phone on its own: squeezed to the width a 390 px
 * screen leaves it, nothing in it reaches past its edge. (Whether the whole page fits depends
 * on the shell around it too: the top bar and navigation, checked by the phone-layout tests.)
 */
const fitsPhone = (page: Page, testid: string) =>
  page
    .getByTestId(testid)
    .first()
    .evaluate((el: HTMLElement) => {
      const { width, maxWidth } = el.style
      Object.assign(el.style, { width: "350px", maxWidth: "350px" })
      const fits = el.scrollWidth <= 351
      Object.assign(el.style, { width, maxWidth })
      return fits
    })

describe("following work in the browser", { timeout: 180_000 }, () => {
  it("live output, a filtered queue in the URL, deep links, bulk approval, Ctrl+K, the activity feed and charts", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    const ticker = await startTickerWorker(teardown, relay)
    const node = await connectTestPeer(teardown, relay)
    const operator = await peerOperator(node)
    const resident = await forgeIdentity(operator, { name: "Moss Keeper" })
    const { quest } = await assignQuest(operator, { title: "Map the greenhouse", objective: "Every bed, every fern.", identity: resident.id })
    await node.flushToRelay()

    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("follow", { ada: () => ada.page }, async () => {
      let page = ada.page
      await page.setViewportSize(DESKTOP)
      await joinAsOperator(page, relay, "Ada")

      // ── Live output: the detail view waits, shows lines as they come (stderr marked), then the stored result.
      const tick = node.workspace.addTask({ command: TICKER_COMMAND, title: "Tick the moss clock" }, operatorOf(node))
      await until(relay, tick.id, "running", 20_000)
      await page.goto(`${relay.httpUrl}/tasks/${tick.id}`)
      await page.getByTestId("live-waiting").waitFor()
      await screenshotBothSizes(page, "follow-live-waiting")
      ticker.go()
      const lines = page.getByTestId("live-lines")
      await expect.poll(() => lines.textContent(), { timeout: 15_000 }).toContain("second line to stdout")
      expect(await lines.locator('[data-stream="stderr"]').textContent()).toContain("a warning to stderr")
      expect(await lines.locator('[data-stream="stderr"] .tag').textContent()).toBe("stderr")
      await screenshotBothSizes(page, "follow-live-output")
      expect(await fitsPhone(page, "live-output")).toBe(true)
      ticker.stop()
      await until(relay, tick.id, "pending_review", 20_000)
      await page.getByTestId("live-output").waitFor({ state: "detached" })
      await expect.poll(() => page.getByTestId("task-result").textContent()).toContain("stopping now")

      // ── Three more results to review (echo runs at once and waits for a human).
      const echoes = ["one", "two", "three"].map(n => node.workspace.addTask({ command: `echo moss ${n}`, title: `Echo moss ${n}` }, operatorOf(node)))
      for (const t of echoes) await until(relay, t.id, "pending_review", 20_000)

      // ── Filters live in the URL and survive a reload.
      await go(page, "queue")
      await page.getByTestId("queue-filter").fill("echo moss")
      await page.getByTestId("filter-status").selectOption("pending_review")
      await expect.poll(() => new URL(page.url()).search).toBe("?q=echo+moss&status=pending_review")
      await expect.poll(() => page.locator('[data-testid^="review-task-"]').count()).toBe(3)
      await page.reload()
      await expect.poll(() => page.getByTestId("queue-filter").inputValue()).toBe("echo moss")
      expect(await page.getByTestId("filter-status").inputValue()).toBe("pending_review")
      await expect.poll(() => page.locator('[data-testid^="review-task-"]').count()).toBe(3)
      expect(await page.getByTestId(`review-${tick.id}`).count()).toBe(0)
      expect(await page.getByTestId("open-tasks").count()).toBe(0)
      expect(await page.getByTestId("filter-summary").textContent()).toContain("3 tasks match")

      // ── Bulk approval: three selected, approved together, each signed into Ada's audit log.
      for (const t of echoes) await page.getByTestId(`select-${t.id}`).check()
      await expect.poll(() => page.getByTestId("bulk-review").textContent()).toContain("3 of 3 selected")
      await screenshotBothSizes(page, "follow-queue-filtered-selected")
      await page.getByTestId("bulk-approve").click()
      for (const t of echoes) await until(relay, t.id, "approved", 20_000)
      const me = relay.workspace.tasks.get(echoes[0]!.id)!.review!.decidedBy!
      for (const t of echoes) expect(relay.workspace.tasks.get(t.id)!.review?.decisionSig).toMatch(/^[0-9a-f]{128}$/)
      const log = await relay.repo.find<AuditDoc>(relay.workspace.root.peers[me]!.auditUrl as AutomergeUrl)
      await waitFor(() => echoes.every(t => auditEntries(log.doc()).some(e => e.kind === "approval" && e.subject === t.id)), { events: [[log, "change"]] })
      await expect.poll(() => page.getByTestId("notice").textContent()).toContain("3 of 3 results approved")
      await page.getByTestId("filter-clear").click()
      await expect.poll(() => new URL(page.url()).search).toBe("")

      // ── The approved post in #town_hall is one sentence with a link, no output.
      await page.goto(`${relay.httpUrl}/rooms/town_hall`)
      const post = page.getByTestId(`message-update-${echoes[0]!.id}`)
      await post.waitFor({ timeout: 15_000 })
      expect(await post.locator(".text").textContent()).toBe(`Approved: “Echo moss one” — /tasks/${echoes[0]!.id}`)
      await post.getByRole("link", { name: `/tasks/${echoes[0]!.id}` }).click()
      await expect.poll(() => page.url()).toBe(`${relay.httpUrl}/tasks/${echoes[0]!.id}`)

      // ── Deep links open on a fresh page: a quest, a resident, the queue filtered by quest and by resident.
      page = await ada.newPage()
      await page.setViewportSize(DESKTOP)
      await page.goto(`${relay.httpUrl}/quests/${quest.id}`)
      await expect.poll(() => page.getByTestId("quest-heading").textContent(), { timeout: 15_000 }).toBe("Map the greenhouse")
      page = await ada.newPage()
      await page.goto(`${relay.httpUrl}/residents/${resident.id}`)
      await page.getByTestId(`resident-profile-${resident.id}`).waitFor()
      await screenshotBothSizes(page, "follow-deeplink-resident")
      page = await ada.newPage()
      await page.goto(`${relay.httpUrl}/queue?quest=${quest.id}`)
      await expect.poll(() => page.getByTestId("filter-quest").inputValue()).toBe(quest.id)
      const questTask = relay.workspace.tasks.get(quest.taskId!)!
      await page.getByTestId(`task-row-${questTask.id}`).waitFor()
      await expect.poll(() => page.locator('[data-testid^="task-row-"]').count()).toBe(1)
      await page.goto(`${relay.httpUrl}/queue?resident=${resident.id}&status=nonsense`)
      await page.getByTestId(`task-row-${questTask.id}`).waitFor()
      expect(await page.getByTestId("filter-status").inputValue()).toBe("")

      // ── Ctrl+K: to a task by typing part of its title; the kill switch with a confirmation.
      await page.keyboard.press("Control+k")
      await page.getByTestId("palette").waitFor()
      await page.getByTestId("palette-input").fill("moss clock")
      await screenshotBothSizes(page, "follow-palette")
      expect(await fitsPhone(page, "palette")).toBe(true)
      await page.keyboard.press("Enter")
      await expect.poll(() => page.url()).toBe(`${relay.httpUrl}/tasks/${tick.id}`)
      expect(await page.getByTestId("palette").count()).toBe(0)
      await page.keyboard.press("Control+k")
      await page.getByTestId("palette-input").fill("halt")
      await page.keyboard.press("Enter")
      await page.getByTestId("palette-confirm").waitFor()
      expect(relay.workspace.root.controls.killSwitch.on).toBe(false)
      await page.getByTestId("palette-halt-reason").fill("checking the palette")
      await page.getByTestId("palette-confirm-yes").click()
      await waitFor(() => relay.workspace.root.controls.killSwitch.on, { events: [[relay.workspace.rootHandle, "change"]] })
      await page.getByTestId("halt-banner").waitFor()
      // On a phone, the button opens it; resume from there.
      await page.setViewportSize(PHONE)
      await page.getByTestId("palette-open").click()
      await page.getByTestId("palette-input").fill("resume")
      await page.keyboard.press("Enter")
      await page.getByTestId("palette-confirm-yes").click()
      await waitFor(() => !relay.workspace.root.controls.killSwitch.on, { events: [[relay.workspace.rootHandle, "change"]] })
      await page.keyboard.press("Control+k")
      await page.keyboard.press("Escape")
      expect(await page.getByTestId("palette").count()).toBe(0)
      await page.setViewportSize(DESKTOP)

      // ── The dashboard: the activity feed names who did what, and the charts show the hour's work.
      await go(page, "dashboard")
      const feed = page.getByTestId("activity-feed")
      await expect.poll(() => feed.textContent(), { timeout: 15_000 }).toContain("Ada approved “Echo moss three”")
      expect(await feed.textContent()).toContain("Ada resumed work")
      await feed.getByRole("button", { name: "Show more" }).click()
      await expect.poll(() => feed.textContent()).toContain("“Tick the moss clock” is waiting for review")
      expect(await feed.textContent()).toContain("New quest “Map the greenhouse”")
      expect(await feed.textContent()).not.toMatch(/task-[0-9a-z]+-[0-9a-f]{4}/)
      await expect.poll(() => page.getByTestId("chart-throughput").getAttribute("data-peak")).toBe("3")
      expect(Number(await page.getByTestId("chart-depth").getAttribute("data-peak"))).toBeGreaterThanOrEqual(1)
      await page.getByTestId("dash-link-approved").click()
      await expect.poll(() => new URL(page.url()).search).toBe("?status=approved")
      await expect.poll(() => page.locator('[data-testid^="task-row-"]').count()).toBe(3)
      await go(page, "dashboard")
      await feed.waitFor()
      await screenshotBothSizes(page, "follow-dashboard")

      // What this part added fits a phone's width.
      for (const testid of ["dash-throughput", "dash-spend", "dash-depth", "activity-feed"]) expect(await fitsPhone(page, testid), testid).toBe(true)
      await go(page, "queue")
      for (const testid of ["queue-filters", "bulk-review"]) expect(await fitsPhone(page, testid), testid).toBe(true)

      // Offline, after one sync: the same deep links open from the service worker and IndexedDB.
      await serviceWorkerActivated(page)
      await ada.context.setOffline(true)
      page = await ada.newPage()
      await page.goto(`${relay.httpUrl}/tasks/${tick.id}`)
      await expect.poll(() => page.getByTestId("task-detail").getAttribute("data-status"), { timeout: 15_000 }).toBe("pending_review")
      await page.goto(`${relay.httpUrl}/residents/${resident.id}`)
      await page.getByTestId(`resident-profile-${resident.id}`).waitFor()
      await page.goto(`${relay.httpUrl}/quests/${quest.id}`)
      await expect.poll(() => page.getByTestId("quest-heading").textContent(), { timeout: 15_000 }).toBe("Map the greenhouse")
      await page.goto(`${relay.httpUrl}/queue?quest=${quest.id}`)
      await page.getByTestId(`task-row-${questTask.id}`).waitFor()
      await ada.context.setOffline(false)
      expect(ada.unexpectedErrors(OFFLINE_NOISE)).toEqual([])
    })
  })
})
