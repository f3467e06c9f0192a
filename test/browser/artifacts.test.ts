/**
 * The Artifacts view in a real browser, against the built app served by a real relay: the
 * list narrows by kind; a Markdown artifact is rendered, and the `<script>`, `onerror=` and
 * `javascript:` link in it stay text (nothing runs, no such element reaches the page); an
 * image artifact shows as an image decoded from its stored bytes; two versions show the lines
 * the second added and removed; a task's page lists its artifacts. Screenshots at desktop and
 * phone size.
 */
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { addArtifact, operatorFileId } from "../../src/domain/artifacts/index.ts"
import { go, joinAsOperator, joinLink, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { layoutReport } from "../helpers/layoutReport.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { decide, startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const NOTES = [
  "# Field notes",
  "",
  "The **north** cave is mapped; the [survey](https://example.org/survey) has the rest.",
  "",
  "<script>window.__pwned = 'script'</script>",
  "",
  '<img src="x" onerror="window.__pwned = \'onerror\'">',
  "",
  "[press here](javascript:window.__pwned='link')",
  "",
  "- water: yes",
  "- bats: a few",
  "",
].join("\n")
const NOTES_2 = NOTES.replace("- bats: a few", "- bats: hundreds\n- depth: 40 m")
const bytes = (text: string) => new TextEncoder().encode(text)

describe("artifacts in the panel", { timeout: 120_000 }, () => {
  it("lists artifacts, renders Markdown without running what a peer wrote in it, shows an image and a diff between versions", async () => {
    const relay = await startTestRelay(teardown)
    const op = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(op)
    const dev = await openDevice(teardown, browser, "ada")
    const phone = await openDevice(teardown, browser, "phone", { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true })
    await screenshotsOnFailure("artifacts", { ada: () => dev.page, phone: () => phone.page }, async () => {
      const page = dev.page
      await joinAsOperator(page, relay, "Ada Operator")
      await go(page, "artifacts")
      await page.getByTestId("artifacts-empty").waitFor()

      // Two versions of a Markdown file, for a task; an image (a real PNG: a picture of the page).
      const task = op.workspace.addTask({ title: "Survey the north cave", prompt: "Survey the north cave." }, ctx.actor)
      const image = await page.screenshot({ clip: { x: 0, y: 0, width: 240, height: 120 } })
      await addArtifact(ctx, { fileName: "notes.md", title: "Field notes", task: task.id }, bytes(NOTES))
      await addArtifact(ctx, { fileName: "notes.md", task: task.id }, bytes(NOTES_2))
      await addArtifact(ctx, { fileName: "cave.png", title: "Cave photo" }, image)
      await op.flushToRelay()
      const notesId = operatorFileId(ctx.actor.name, "notes.md", task.id)
      const photoId = operatorFileId(ctx.actor.name, "cave.png")

      const list = page.getByTestId("artifacts")
      await expect.poll(() => list.getByTestId("artifact-link").allTextContents(), { timeout: 15_000 }).toEqual(["Cave photo", "Field notes"])
      await expect.poll(() => page.getByTestId(`artifact-${notesId}`).textContent()).toContain("version 2 · text/markdown")
      await page.getByTestId("artifact-filter-kind").selectOption("file")
      await page.getByTestId("artifacts-none-match").waitFor()
      await page.getByTestId("artifact-filter-clear").click()
      await page.getByTestId("artifact-filter-task").selectOption(task.id)
      await expect.poll(() => list.getByTestId("artifact-link").allTextContents()).toEqual(["Field notes"])
      await page.getByTestId("artifact-filter-clear").click()
      await expect.poll(() => list.getByTestId("artifact-link").count()).toBe(2)
      await screenshotFromTop(page, "artifacts-list")

      // The Markdown is rendered; what a peer wrote as HTML stays text and nothing of it runs.
      await page.getByTestId(`artifact-${notesId}`).getByTestId("artifact-link").click()
      const markdown = page.getByTestId("artifact-markdown")
      await markdown.waitFor()
      expect(await markdown.locator("h1").textContent()).toBe("Field notes")
      expect(await markdown.locator("strong").textContent()).toBe("north")
      expect(await markdown.locator("a").evaluateAll(links => links.map(a => [a.textContent, a.getAttribute("href"), a.getAttribute("rel")]))).toEqual([["survey", "https://example.org/survey", "noopener noreferrer nofollow"]])
      expect(await markdown.locator("script, img, iframe, [onerror]").count()).toBe(0)
      expect(await markdown.textContent()).toContain("<script>window.__pwned = 'script'</script>")
      expect(await markdown.textContent()).toContain(`<img src="x" onerror="window.__pwned = 'onerror'">`)
      expect(await markdown.textContent()).toContain("[press here](javascript:window.__pwned='link')")
      expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined()
      expect(await page.getByTestId("artifact-version-meta").textContent()).toContain("Version 2 of 2")
      await screenshotFromTop(page, "artifacts-markdown")

      // Version 1, then the changes from version 1 to version 2.
      await page.getByTestId("artifact-version").selectOption("1")
      await expect.poll(() => markdown.locator("li").allTextContents()).toEqual(["water: yes", "bats: a few"])
      await page.getByTestId("artifact-version").selectOption("2")
      await page.getByTestId("artifact-diff-from").selectOption("1")
      const diff = page.getByTestId("artifact-diff")
      await diff.waitFor()
      expect(await page.getByTestId("artifact-diff-summary").textContent()).toContain("2 lines added, 1 line removed.")
      expect(await diff.locator('[data-kind="removed"]').allTextContents()).toEqual(["− - bats: a few"])
      expect(await diff.locator('[data-kind="added"]').allTextContents()).toEqual(["+ - bats: hundreds", "+ - depth: 40 m"])
      // Added and removed lines are coloured apart.
      const colours = await diff.locator(".line").evaluateAll(lines => [...new Set(lines.map(l => `${l.getAttribute("data-kind")}:${getComputedStyle(l).backgroundColor}`))])
      expect(new Set(colours.map(c => c.split(":")[1])).size).toBe(3)
      await screenshotFromTop(page, "artifacts-diff")

      // The task's page lists its artifact.
      await page.getByTestId("artifact-task").click()
      await page.getByTestId(`task-artifact-${notesId}`).waitFor()
      expect(await page.getByTestId(`task-artifact-${notesId}`).textContent()).toContain("Field notes · document · version 2")

      // The image, decoded from its stored bytes.
      await go(page, "artifacts")
      await page.getByTestId(`artifact-${photoId}`).getByTestId("artifact-link").click()
      const img = page.getByTestId("artifact-image")
      await img.waitFor()
      await expect.poll(() => img.evaluate(el => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth)).toBe(240)
      expect(await img.getAttribute("src")).toMatch(/^data:image\/png;base64,iVBORw0KGgo/)
      expect(await page.getByTestId("artifact-version-meta").textContent()).toContain("image/png")
      await screenshotFromTop(page, "artifacts-image")

      expect(dev.unexpectedErrors()).toEqual([])

      // On a phone's touch screen: nothing scrolls sideways or sticks out, every target takes a finger, all text is readable.
      // Joined as joinAsOperator does, but the name in the header is tucked away on a phone: attached is enough.
      await phone.page.goto(joinLink(relay))
      await phone.page.getByTestId("operator-name").fill("Bo Operator")
      await phone.page.getByTestId("operator-save").click()
      await decide(relay, (await phone.page.getByTestId("waiting-name").textContent())!, "approved")
      await phone.page.getByTestId("me").waitFor({ state: "attached" })
      const open = async (path: string, ready: string) => {
        await phone.page.goto(`${relay.httpUrl}${path}`)
        await phone.page.getByTestId(ready).waitFor({ state: "attached" })
      }
      const fits = async (label: string) => {
        const report = await layoutReport(phone.page)
        expect({ label, scrollWidth: report.scrollWidth, overflowing: report.overflowing, smallTargets: report.smallTargets, lowContrast: report.lowContrast }).toEqual({ label, scrollWidth: 390, overflowing: [], smallTargets: [], lowContrast: [] })
      }
      await open("/artifacts", "artifacts")
      await fits("list")
      await open(`/artifacts/${notesId}`, "artifact-markdown")
      await fits("markdown")
      await phone.page.getByTestId("artifact-diff-from").selectOption("1")
      await phone.page.getByTestId("artifact-diff").waitFor()
      await fits("diff")
      await open(`/artifacts/${photoId}`, "artifact-image")
      await expect.poll(() => phone.page.getByTestId("artifact-image").evaluate(el => (el as HTMLImageElement).naturalWidth)).toBe(240)
      await fits("image")
      await open(`/tasks/${task.id}`, `task-artifact-${notesId}`)
      await fits("task")
      expect(phone.unexpectedErrors()).toEqual([])
    })
  })
})
