/**
 * One person, one name, in a real browser: Ada joins the panel as "Ada Lovelace", pairs a
 * terminal from Settings with the code `vivarium pair` shows, and works from both. Presence,
 * the task page and the audit view show "Ada Lovelace" and task titles, never the terminal's
 * or the tasks' ids (those only on hover); the audit view hides the relay's lease entries by
 * default, says how many it hides, and groups entries by person.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { AuditDoc } from "../../schemas/index.ts"
import { go, joinAsOperator, launchBrowser, openDevice, screenshotBothSizes, screenshotsOnFailure } from "../helpers/browser.ts"
import { spawnCli } from "../helpers/child.ts"
import { runCli } from "../helpers/cli.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()
const suite = useTeardown("all")
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

const DESKTOP = { width: 1280, height: 800 }

describe("names in the control panel", { timeout: 150_000 }, () => {
  it("the panel and a paired terminal show as one person; presence and audit show names and titles; lease entries are hidden by default", async () => {
    const relay = await startTestRelay(teardown, { schedulerTickMs: 50 })
    await startWorker(teardown, relay, "w1")
    await approveWorker(relay, "w1")
    const ada = await openDevice(teardown, browser, "ada")
    const grace = await openDevice(teardown, browser, "grace")
    await screenshotsOnFailure("names", { ada: () => ada.page, grace: () => grace.page }, async () => {
      const page = ada.page
      await page.setViewportSize(DESKTOP)
      await joinAsOperator(page, relay, "Ada Lovelace")
      await expect.poll(() => page.getByTestId("me").textContent()).toBe("Ada Lovelace")

      // The terminal: `vivarium pair` on a machine without the relay's data directory.
      const cwd = makeTempDir(teardown, "vivarium-names-terminal-")
      const env = { VIVARIUM_HOME: makeTempDir(teardown, "vivarium-names-home-"), VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: relay.token }
      const pair = spawnCli(["pair", "--json"], { cwd, env })
      teardown.add(() => pair.stop("SIGKILL"))
      const offerLine = await waitFor(() => pair.stdout().split("\n").find(l => l.startsWith("{")) ?? false, {
        timeoutMs: 20_000,
        events: [[pair.child.stdout!, "data"]],
        message: "vivarium pair to print its code",
      })
      const offer = JSON.parse(offerLine) as { code: string; link: string; terminal: string }

      // A wrong code first: a clear refusal in the card, nothing paired.
      await go(page, "settings")
      await page.getByTestId("pair-code").fill("ZZZZ-ZZZZ")
      await page.getByTestId("pair-submit").click()
      await expect.poll(() => page.getByTestId("pair-error").textContent()).toMatch(/no terminal is waiting with the code ZZZZ-ZZZZ/)

      // The link the terminal printed opens this card with the code filled in.
      await page.goto(offer.link)
      await expect.poll(() => page.getByTestId("pair-code").inputValue()).toBe(offer.code)
      await page.getByTestId("pair-submit").click()
      await page.getByTestId(`terminal-${offer.terminal}`).waitFor()
      expect(await pair.exited).toEqual({ code: 0, signal: null })
      expect(pair.stdout()).toContain('"operator":"Ada Lovelace"')
      await screenshotBothSizes(page, "names-settings-paired", "names-settings-paired-desktop")

      // Ada works from the terminal: a task, run by the worker (lease entries in the relay's log), approved there.
      const terminal = (args: string[]) => runCli(args, { cwd, env })
      const added = await terminal(["task", "add", "--command", "echo hello from the terminal", "--title", "Terminal greeting"])
      expect(added.code, added.stderr).toBe(0)
      const id = added.stdout.trim()
      await until(relay, id, "pending_review", 20_000)
      const approved = await terminal(["task", "approve", id, "--feedback", "from my terminal"])
      expect(approved.code, approved.stderr).toBe(0)
      await until(relay, id, "approved")
      const relayLog = await relay.repo.find<AuditDoc>(relay.workspace.root.peers.relay!.auditUrl as AutomergeUrl)
      await waitFor(() => auditEntries(relayLog.doc()).some(e => e.kind === "lease"), { events: [[relayLog, "change"]], message: "the relay to audit a lease" })

      // Grace opens the task; Ada's presence list names her and the task by its title.
      await joinAsOperator(grace.page, relay, "Grace Hopper")
      await grace.page.goto(`${relay.httpUrl}/tasks/${id}`)
      // (Grace's page load before it may linger a moment as a second entry.)
      const gracePresence = page.getByTestId("presence-Grace-Hopper").filter({ hasText: "Terminal greeting" }).first()
      await gracePresence.waitFor({ timeout: 20_000 })
      expect(await gracePresence.textContent()).toMatch(/^\s*Grace Hopper\s*·\s*Terminal greeting\s*$/)
      expect(await gracePresence.locator("a").getAttribute("title")).toBe(id)
      await expect.poll(() => grace.page.getByTestId("presence").textContent(), { timeout: 20_000 }).toContain("Ada Lovelace")
      await screenshotBothSizes(page, "names-presence", "names-presence-desktop")

      // The task page: created and decided by Ada, by name.
      await page.goto(`${relay.httpUrl}/tasks/${id}`)
      const created = page.locator(`[data-actor="${offer.terminal}"]`).first()
      await expect.poll(() => created.textContent()).toBe("Ada Lovelace")
      expect(await created.getAttribute("title")).toContain(offer.terminal)
      expect(await page.locator("main").textContent()).not.toContain(`by ${offer.terminal}`)

      // The audit view: names and titles; lease entries hidden and counted; Ada's browser and terminal grouped as one person.
      await go(page, "audit")
      const added_ = page.locator(`[data-testid="audit-entry"][data-kind="task_added"][data-subject="${id}"]`)
      await added_.waitFor()
      expect(await added_.locator("[data-actor]").textContent()).toBe("Ada Lovelace")
      expect(await added_.getByTestId("audit-about").textContent()).toContain("Terminal greeting")
      expect(await page.locator('[data-testid="audit-entry"][data-kind="lease"]').count()).toBe(0)
      await expect.poll(() => page.getByTestId("audit-hidden").textContent()).toMatch(/^\d+ lease entr(y|ies) hidden$/)
      const ids = page.locator("main table").first()
      expect(await ids.textContent()).not.toContain(offer.terminal)
      await page.getByTestId("audit-person-Ada-Lovelace").waitFor()
      expect(await page.getByTestId(`audit-person-${offer.terminal}`).count()).toBe(0)
      await screenshotBothSizes(page, "names-audit", "names-audit-desktop")

      await page.getByTestId("audit-person-Ada-Lovelace").click()
      const peers = await page.locator('[data-testid="audit-entry"]').evaluateAll(rows => rows.map(r => r.getAttribute("data-peer")))
      expect(new Set(peers)).toEqual(new Set(["Ada-Lovelace", offer.terminal]))
      await page.getByTestId("audit-person-Ada-Lovelace").click()
      await page.getByTestId("audit-show-leases").check()
      await page.locator('[data-testid="audit-entry"][data-kind="lease"]').first().waitFor()
      expect(await page.getByTestId("audit-hidden").count()).toBe(0)
      await screenshotBothSizes(page, "names-audit-with-leases", "names-audit-with-leases-desktop")

      // Chromium logs the relay's 404 for the wrong code; nothing else went wrong.
      expect(ada.unexpectedErrors([/404 \(Not Found\) \(http:\/\/127\.0\.0\.1:\d+\/api\/pair\/claim\)/])).toEqual([])
      expect(grace.unexpectedErrors()).toEqual([])
    })
  })
})
