/**
 * Time travel in the panel, in a real browser against the built app served by a real relay:
 * an operator takes a snapshot, a hat is edited afterwards, the History view shows the skills
 * document as it was at the snapshot with the change since, and a confirmed restore writes it
 * back: the relay holds the old prompt again and the operator's audit log names the restore.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { SkillsDoc } from "../../schemas/index.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"
import { readHatRecords } from "../../src/workspace/documentReaders.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotFromTop, screenshotsOnFailure } from "../helpers/browser.ts"
import { runCli } from "../helpers/cli.ts"
import { peerNamed, startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

describe("history in the panel", { timeout: 120_000 }, () => {
  it("takes a snapshot, shows a document as it was with the change since, and restores it after a confirmation", async () => {
    const relay = await startTestRelay(teardown)
    const skills = await relay.repo.find<SkillsDoc>(relay.workspace.root.docs.skills as AutomergeUrl)
    const builderPrompt = () => readHatRecords(skills.doc(), "skills", []).get("builder")?.prompt
    expect((await runCli(["hat", "edit", "builder", "--prompt", "Small steps, each tested.", "--data", relay.dataDir], { timeoutMs: 60_000 })).code).toBe(0)
    const ada = await openDevice(teardown, browser, "ada")
    await screenshotsOnFailure("history", { ada: () => ada.page }, async () => {
      const page = ada.page
      await joinAsOperator(page, relay, "Ada Operator")
      const operator = peerNamed(relay, "Ada Operator")
      await go(page, "history")
      await page.getByTestId("snapshots-empty").waitFor()
      await page.getByTestId("travel-hint").waitFor()
      await screenshotFromTop(page, "history-empty")

      // A snapshot, named; it lists at once (from Ada's signed audit log).
      await page.getByTestId("snapshot-name").fill("before the big rewrite")
      await page.getByTestId("snapshot-take").click()
      const listed = page.locator('[data-testid^="snapshot-snap-"]')
      await listed.first().waitFor()
      expect(await listed.first().textContent()).toContain("before the big rewrite")

      // Someone edits the hat afterwards.
      expect((await runCli(["hat", "edit", "builder", "--prompt", "Rewrite everything at once.", "--data", relay.dataDir], { timeoutMs: 60_000 })).code).toBe(0)
      await waitFor(() => builderPrompt() === "Rewrite everything at once.", { events: [[skills, "change"]] })

      // The snapshot just taken is picked; the skills document as it was, and the change since.
      await expect.poll(() => page.getByTestId("travel-summary").textContent(), { timeout: 15_000 }).toMatch(/Skills and hats at snapshot “before the big rewrite”: \d+ change\(s\) since then\./)
      expect(await page.getByTestId("travel-value").textContent()).toContain("Small steps, each tested.")
      await page.getByTestId("travel-changes").locator("summary").click()
      expect(await page.getByTestId("travel-changes").textContent()).toContain("hats.builder.prompt")
      await screenshotFromTop(page, "history-snapshot")

      // Restore, confirmed: the relay holds the old prompt again, and Ada's log names the restore.
      await page.getByTestId("travel-restore").click()
      await page.getByRole("button", { name: "Restore", exact: true }).click()
      await waitFor(() => builderPrompt() === "Small steps, each tested.", { timeoutMs: 15_000, events: [[skills, "change"]], message: "the restore at the relay" })
      await expect.poll(() => page.getByTestId("travel-summary").textContent(), { timeout: 15_000 }).toContain("unchanged since then")
      expect(await page.getByTestId("travel-restore").isDisabled()).toBe(true)
      const log = await relay.repo.find<unknown>(relay.workspace.root.peers[operator]!.auditUrl as AutomergeUrl)
      await waitFor(() => auditEntries(log.doc()).some(e => e.kind === "restore"), { timeoutMs: 10_000, events: [[log, "change"]], message: "the restore in Ada's audit log" })

      // A time before anything was written: said plainly.
      await page.getByTestId("travel-point").selectOption("time")
      await page.getByTestId("travel-when").fill("2001-01-01T00:00:00")
      await page.getByTestId("travel-error").waitFor()
      expect(await page.getByTestId("travel-error").textContent()).toContain("holds no record of skills at that point")
      await screenshotFromTop(page, "history-no-record")
    })
  })
})
