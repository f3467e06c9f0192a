/**
 * Starting from this device's last view, in real Chromium with real IndexedDB against a real
 * relay: after a visit the panel keeps what its shell and dashboard showed; reloaded while the
 * relay's port accepts connections but never answers (a relay that hangs), it paints that view
 * at once, marked as this device's and catching up, and its kill switch can be pressed: the
 * halt is queued and shown as such. Once the relay is back the live documents replace the
 * kept view and the halt is written and reaches the relay.
 */
import { createServer, type Server, type Socket } from "node:net"
import type { Browser, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import { joinAsOperator, launchBrowser, OFFLINE_NOISE, openDevice, screenshotBothSizes, screenshotsOnFailure, serviceWorkerActivated } from "../helpers/browser.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const suite = useTeardown("all")
const teardown = useTeardown()
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(suite)
})

/** The keys this browser keeps for itself (session/localStore.ts), read from its IndexedDB. */
function localKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open("vivarium-local")
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const keys = open.result.transaction("kv").objectStore("kv").getAllKeys()
          keys.onsuccess = () => {
            open.result.close()
            resolve(keys.result.map(String))
          }
          keys.onerror = () => reject(keys.error)
        }
      }),
  )
}

/** One value this browser keeps for itself, as JSON. */
function localValue(page: Page, key: string): Promise<string> {
  return page.evaluate(
    key =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open("vivarium-local")
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const value = open.result.transaction("kv").objectStore("kv").get(key)
          value.onsuccess = () => {
            open.result.close()
            resolve(JSON.stringify(value.result))
          }
          value.onerror = () => reject(value.error)
        }
      }),
    key,
  )
}

/** Takes the relay's port and holds every connection without a byte of answer; `release` drops them. */
async function hangingPort(port: number): Promise<{ release(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer(socket => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve))
  const release = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  teardown.add(release)
  return { release }
}

describe("painting from this device's last view", { timeout: 180_000 }, () => {
  it("paints the kept view at once while the relay hangs, queues a halt pressed meanwhile, and writes it once the relay is back", async () => {
    const relay = await startTestRelay(teardown)
    const node = await connectTestPeer(teardown, relay)
    const ctx = await peerOperator(node)
    node.workspace.addTask({ title: "Sort the seed bank", command: "echo seeds" }, ctx.actor)
    node.workspace.addTask({ title: "Water the ferns", command: "echo ferns" }, ctx.actor)
    await node.flushToRelay()
    await node.close()

    const device = await openDevice(teardown, browser, "cached")
    let page = device.page
    await screenshotsOnFailure("paint-from-cache", { cached: () => page }, async () => {
      await joinAsOperator(page, relay, "Fern Keeper")
      await serviceWorkerActivated(page)
      await expect.poll(() => page.getByTestId("dash-count-queued").textContent(), { timeout: 20_000 }).toBe("2")
      const workspaceId = relay.workspace.root.workspaceId
      // The view is kept a moment after the last change.
      await waitFor(async () => (await localKeys(page)).includes(`view:${workspaceId}`), { timeoutMs: 20_000, intervalMs: 200, message: "the kept view in IndexedDB" })
      // What the shell showed, never the join secret.
      const kept = await localValue(page, `view:${workspaceId}`)
      expect(kept).toContain(relay.workspace.root.name)
      expect(kept).not.toContain(relay.token)

      // The relay hangs: its port takes connections and never answers.
      await relay.close()
      const hanging = await hangingPort(relay.port)
      page = await device.newPage()
      await page.setViewportSize({ width: 1280, height: 800 })
      await page.goto(`${relay.httpUrl}/`)

      // The kept view, marked as this device's and catching up; never the live test ids.
      await page.getByTestId("catching-up").waitFor()
      expect(await page.getByTestId("catching-up").textContent()).toMatch(/From this device, as of .* catching up/)
      expect(await page.getByTestId("workspace-name").textContent()).toBe(relay.workspace.root.name)
      expect(await page.getByTestId("dash-cached-count-queued").textContent()).toBe("2")
      expect(await page.getByTestId("dash-count-queued").count()).toBe(0)
      expect(await page.locator('section[data-source="cached"]').count()).toBe(1)
      expect(await page.getByTestId("me").textContent()).toBe("Fern Keeper")
      await screenshotBothSizes(page, "catching-up-dashboard")

      // Views that need the documents say so.
      await page.getByTestId("nav-queue").click()
      await page.getByTestId("view-catching-up").waitFor()

      // The kill switch works at once: the halt is queued, shown, and kept.
      await page.getByTestId("nav-runtime").click()
      await page.getByTestId("halt-reason").fill("the greenhouse is flooding")
      await page.getByTestId("halt-button").click()
      await page.getByTestId("confirm-yes").click()
      await page.getByTestId("halt-queued").waitFor()
      expect(await page.getByTestId("halt-queued-card").textContent()).toContain("the greenhouse is flooding")
      expect(await localKeys(page)).toContain(`halt:${workspaceId}`)
      await page.getByTestId("catching-up").waitFor()
      await screenshotBothSizes(page, "catching-up-halt-queued")

      // The relay is back (same port, same data): the documents open, the halt is written and reaches it.
      await hanging.release()
      const back = await startTestRelay(teardown, { dataDir: relay.dataDir, port: relay.port })
      const halted = await waitFor(() => back.workspace.root.controls.killSwitch.on && back.workspace.root.controls.killSwitch, {
        events: [[back.workspace.rootHandle, "change"]],
        timeoutMs: 60_000,
        message: "the queued halt at the relay",
      })
      expect(halted.reason).toBe("the greenhouse is flooding")

      await page.getByTestId("halt-banner").waitFor()
      await page.getByTestId("halt-queued").waitFor({ state: "detached" })
      await page.getByTestId("catching-up").waitFor({ state: "detached" })
      expect(await page.getByTestId("kill-switch").getAttribute("data-on")).toBe("true")
      expect(await localKeys(page)).not.toContain(`halt:${workspaceId}`)
      await page.getByTestId("nav-dashboard").click()
      // Live figures (the halted relay blocks the queued tasks), no kept ones.
      await page.locator('section[data-source="live"]').waitFor()
      await page.getByTestId("dash-count-queued").waitFor()
      expect(await page.getByTestId("dash-cached-count-queued").count()).toBe(0)

      expect(device.unexpectedErrors([...OFFLINE_NOISE, /Failed to load resource: net::ERR_/, /cannot reach the relay/])).toEqual([])
    })
  })
})
