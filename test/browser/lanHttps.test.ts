/**
 * An operator on another LAN machine: Chromium opens the panel at https://vivarium.test
 * (mapped to 127.0.0.1 by --host-resolver-rules; nothing leaves loopback) and trusts only
 * the workspace's certificate (--ignore-certificate-errors-spki-list with the hash of the
 * workspace CA's key, as installing the CA would). There, as on localhost: a secure context,
 * an operator key made with WebCrypto, the service worker, a signed approval, and an edit
 * made offline after a reload that syncs once back online. Plus the trust page and the
 * Settings card, looked at on a desktop and a phone.
 */
import { createHash, X509Certificate } from "node:crypto"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Page } from "playwright-core"
import { describe, expect, it } from "vitest"
import type { AuditDoc } from "../../schemas/index.ts"
import { workspaceCredentials } from "../../peer-server/tls/credentials.ts"
import { verifyWorkspaceAudit } from "../../src/domain/audit/auditVerify.ts"
import { addLlmTask, go, joinAsOperator, launchBrowser, OFFLINE_NOISE, openDevice, reviewEverything, screenshotBothSizes, screenshotsOnFailure, serviceWorkerActivated } from "../helpers/browser.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { startTestRelay, until } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()
const NAMES = { dns: ["localhost", "vivarium.test"], ips: ["127.0.0.1"] }

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what Chromium's SPKI list names. */
function spkiHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" })
  return createHash("sha256").update(spki).digest("base64")
}

/** Waits until the connection badge shows `connected` with nothing (or something) waiting. */
async function connection(page: Page, connected: boolean, pending: "none" | "some"): Promise<void> {
  await page.locator(`[data-testid="connection"][data-connected="${connected}"]`).waitFor({ timeout: 20_000 })
  const count = expect.poll(async () => Number(await page.getByTestId("connection").getAttribute("data-pending")), { timeout: 20_000 })
  if (pending === "none") await count.toBe(0)
  else await count.toBeGreaterThan(0)
}

describe("the panel over HTTPS on the LAN", { timeout: 120_000 }, () => {
  it("at https://vivarium.test, trusting only the workspace CA: secure context, operator key, service worker, signed approval, offline edit that syncs", async () => {
    const fake = await startFakeGroq({ kind: "answer", text: prompt => `Moss answer to: ${prompt}` })
    teardown.add(() => fake.close())
    const dataDir = makeTempDir(teardown, "vivarium-lan-https-")
    const credentials = await workspaceCredentials(dataDir, { names: NAMES })
    const relay = await startTestRelay(teardown, { dataDir, schedulerTickMs: 50, tls: { credentials, host: "127.0.0.1", port: 0, helperPort: 0 } })
    await startWorker(teardown, relay, "w1", { fake })
    await approveWorker(relay, "w1")
    const origin = `https://vivarium.test:${new URL(relay.httpsUrl!).port}`
    const helper = `http://vivarium.test:${new URL(relay.trustHelperUrl!).port}`

    const browser = await launchBrowser(teardown, [
      "--host-resolver-rules=MAP vivarium.test 127.0.0.1",
      `--ignore-certificate-errors-spki-list=${spkiHash(credentials.trust!.pem)}`,
    ])
    const ada = await openDevice(teardown, browser, "ada")
    const sockets: string[] = []
    ada.page.on("websocket", ws => sockets.push(ws.url()))

    await screenshotsOnFailure("lan-https", { ada: () => ada.page }, async () => {
      const page = ada.page
      // Before trusting anything: the plain helper's steps page, on a desktop and a phone.
      await page.goto(`${helper}/`)
      await expect.poll(() => page.getByTestId("ca-fingerprint").textContent()).toContain(credentials.trust!.fingerprint.slice(0, 23))
      expect(await page.getByTestId("panel-link").getAttribute("href")).toBe(`${origin}/`)
      await screenshotBothSizes(page, "lan-trust-page")

      await joinAsOperator(page, { ...relay, httpUrl: origin }, "Ada")
      expect(await page.evaluate(() => ({ secure: isSecureContext, origin: location.origin, webCrypto: !!crypto.subtle }))).toEqual({ secure: true, origin, webCrypto: true })
      expect(sockets.length, "the app syncs over a WebSocket").toBeGreaterThan(0)
      expect(sockets.every(url => url.startsWith(`wss://vivarium.test:${new URL(origin).port}/`)), sockets.join(", ")).toBe(true)
      await serviceWorkerActivated(page)

      // A signed approval from this machine reaches the relay and verifies.
      await reviewEverything(page, relay)
      const id = await addLlmTask(page, relay, "Write one line about lichen.")
      await until(relay, id, "pending_review", 20_000)
      await page.getByTestId(`approve-${id}`).click()
      const approved = await until(relay, id, "approved")
      const me = approved.review!.decidedBy!
      const log = await relay.repo.find<AuditDoc>(relay.workspace.root.peers[me]!.auditUrl as AutomergeUrl)
      await waitFor(() => auditEntries(log.doc()).some(e => e.kind === "approval" && e.subject === id), { events: [[log, "change"]], message: "the signed approval" })
      expect((await verifyWorkspaceAudit(relay.repo, relay.workspace.root)).filter(r => !r.ok)).toEqual([])

      // The Settings card: HTTPS on, the CA's fingerprint, the steps page (not the app shell).
      await go(page, "settings")
      const card = page.locator('[data-testid="settings-trust"][data-state="on"]')
      await card.waitFor()
      expect(await page.getByTestId("trust-fingerprint").textContent()).toBe(credentials.trust!.fingerprint)
      expect(await page.getByTestId("trust-secure").textContent()).toContain("over HTTPS")
      await card.scrollIntoViewIfNeeded()
      await screenshotBothSizes(page, "lan-settings-trust")
      const steps = await ada.context.newPage()
      await steps.goto(`${origin}/trust`)
      await expect.poll(() => steps.title()).toBe("Trust this Vivarium workspace")
      await steps.close()

      // Offline: a reload starts from the service worker, an edit waits, and syncs once back.
      await connection(page, true, "none")
      await ada.context.setOffline(true)
      await page.reload()
      await expect.poll(() => page.getByTestId("workspace-name").textContent()).toBe(relay.workspace.root.name)
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe("activated")
      await go(page, "runtime")
      await page.getByTestId("halt-reason").fill("lan drill")
      await page.getByTestId("halt-button").click()
      await page.getByTestId("confirm-yes").click()
      await expect.poll(() => page.getByTestId("halt-banner").textContent()).toContain("lan drill")
      await connection(page, false, "some")
      expect(relay.workspace.root.controls.killSwitch.on, "nothing reached the relay while offline").toBe(false)

      await ada.context.setOffline(false)
      await waitFor(() => relay.workspace.root.controls.killSwitch.on, { timeoutMs: 20_000, events: [[relay.workspace.rootHandle, "change"]], message: "the offline halt to reach the relay" })
      expect(relay.workspace.root.controls.killSwitch).toMatchObject({ on: true, reason: "lan drill", setBy: "Ada" })
      await connection(page, true, "none")
    })
    expect(ada.unexpectedErrors(OFFLINE_NOISE)).toEqual([])
  })
})
