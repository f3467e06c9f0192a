/**
 * A room of several segments in real Chromium against a real relay: it opens at its newest
 * messages having read only its newest segments (the older ones are not even in the page's
 * IndexedDB), and scrolling to the top loads older ones, down to "Beginning of the room";
 * at desktop and phone size.
 */
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { addDueSegments, postMessage, roomSegments, rooms } from "../../src/domain/rooms/index.ts"
import { joinAsOperator, launchBrowser, openDevice, screenshot, screenshotsOnFailure } from "../helpers/browser.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const HOUR = 3600_000
/** Messages per period: the first document (before January), January, February, March. */
const PLAN: [string, number, number][] = [
  ["first", Date.UTC(2026, 11, 20), 120],
  ["jan", Date.UTC(2027, 0, 2), 150],
  ["feb", Date.UTC(2027, 1, 2), 150],
  ["mar", Date.UTC(2027, 2, 2), 60],
]

/** town_hall with a segment for each of January to March, each with its messages, written as the relay's owner. */
async function seedRoom(relay: TestRelay): Promise<void> {
  const ctx = { workspace: relay.workspace, actor: { kind: "operator" as const, name: relay.owner.name } }
  for (const [name, start, count] of PLAN) {
    if (name !== "first") await addDueSegments(relay.workspace, start)
    for (let i = 0; i < count; i++) await postMessage({ ...ctx, now: start + i * HOUR }, "town_hall", { content: `${name} message ${i}`, importance: i % 10 })
  }
}

/** The document ids the page keeps in IndexedDB (the Repo's storage keys start with one). */
const storedDocuments = (page: Page, workspaceId: string): Promise<string[]> =>
  page.evaluate(
    name =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open(name)
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          try {
            const keys = open.result.transaction("documents").objectStore("documents").getAllKeys()
            keys.onsuccess = () => resolve([...new Set((keys.result as string[][]).map(k => k[0]!))])
            keys.onerror = () => reject(keys.error)
          } catch (error) {
            reject(error as Error)
          }
        }
      }),
    `vivarium-${workspaceId}`,
  )

const idOf = (url: string) => url.replace(/^automerge:/, "")

/**
 * Screenshots at desktop (1280×800) and phone (390×844) size with the messages scrolled to
 * `end`: a new size reflows the list and slides the navigation drawer, so each picture
 * waits for the page's transitions to finish and puts the scroll position back first.
 */
async function shots(page: Page, name: string, end: "top" | "bottom"): Promise<void> {
  for (const [suffix, size] of [["", { width: 1280, height: 800 }], ["-phone", { width: 390, height: 844 }]] as const) {
    await page.setViewportSize(size)
    await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== "running"))
    await page.getByTestId("room-messages").evaluate((el: HTMLElement, top) => (el.scrollTop = top ? 0 : el.scrollHeight), end === "top")
    await screenshot(page, `${name}${suffix}`)
  }
}

describe("a room of several segments in the browser", { timeout: 180_000 }, () => {
  it("opens at its newest messages and loads older ones as the reader scrolls up", async () => {
    const relay = await startTestRelay(teardown)
    await seedRoom(relay)
    const segments = roomSegments((await rooms(relay.workspace)).get("town_hall")!)
    expect(segments.map(s => s.period ?? "first")).toEqual(["2027-03", "2027-02", "2027-01", "first"])

    const ada = await openDevice(teardown, browser, "ada")
    const page = ada.page
    await screenshotsOnFailure("room-segments", { ada: () => page }, async () => {
      await joinAsOperator(page, relay, "Ada")
      await page.goto(`${relay.httpUrl}/rooms/town_hall`)
      const box = page.getByTestId("room-messages")
      await box.getByText("mar message 59", { exact: true }).waitFor()
      // The newest page: March's 60 and the newest of February's, nothing older read.
      await box.getByText("feb message 10", { exact: true }).waitFor()
      expect(await box.locator("article.message").count()).toBe(200)
      await expect(box.getByText("jan message 149", { exact: true }).count()).resolves.toBe(0)
      const stored = await storedDocuments(page, relay.workspace.root.workspaceId)
      expect(stored).toContain(idOf(segments[0]!.url))
      expect(stored).not.toContain(idOf(segments[2]!.url))
      expect(stored).not.toContain(idOf(segments[3]!.url))
      await shots(page, "room-segments-newest", "bottom")
      await page.setViewportSize({ width: 1280, height: 860 })

      // Scrolling to the top, again and again, down to the room's first message.
      const toTop = () => box.evaluate((el: HTMLElement) => (el.scrollTop = 0))
      await toTop()
      await box.getByText("jan message 149", { exact: true }).waitFor()
      await waitFor(
        async () => {
          if (await page.getByTestId("room-beginning").isVisible()) return true
          await toTop()
          return false
        },
        { timeoutMs: 60_000, intervalMs: 250, message: "scrolling up to reach the beginning of the room" },
      )
      await box.getByText("first message 0", { exact: true }).waitFor()
      expect(await box.locator("article.message").count()).toBe(480)
      expect(await storedDocuments(page, relay.workspace.root.workspaceId)).toContain(idOf(segments[3]!.url))
      // Every message once, oldest first.
      const texts = await box.locator("article.message .text").allTextContents()
      expect(texts.map(t => t.trim())).toEqual(PLAN.flatMap(([name, , count]) => Array.from({ length: count }, (_, i) => `${name} message ${i}`)))
      await shots(page, "room-segments-beginning", "top")
      expect(ada.unexpectedErrors()).toEqual([])
    })
  })
})
