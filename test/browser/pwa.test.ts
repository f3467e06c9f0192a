/**
 * The control panel in a real browser (headless Debian Chromium) against an in-process
 * relay serving dist/app: installability, offline start and offline edits that sync once
 * back online, and hostile documents shown as data issues and plain text.
 */
import type { PeerId } from "@automerge/automerge-repo"
import type { Browser, Locator, Page } from "playwright-core"
import { beforeAll, describe, expect, it } from "vitest"
import type { RootDoc, Task } from "../../schemas/index.ts"
import { joinAsOperator, joinLink, launchBrowser, OFFLINE_NOISE, openDevice, screenshot, screenshotsOnFailure, serviceWorkerActivated } from "../helpers/browser.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const browserTeardown = useTeardown("all")
const teardown = useTeardown()
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser(browserTeardown)
})


/** Width and height from a PNG's IHDR chunk (bytes 16–23), after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString("hex"), "PNG signature").toBe("89504e470d0a1a0a")
  expect(bytes.subarray(12, 16).toString("latin1"), "first chunk").toBe("IHDR")
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

/** The relay's sync sockets by peer id (to cut one browser's connection, as a lost network would). */
function relaySockets(relay: TestRelay): Record<PeerId, { terminate(): void }> {
  return Object.fromEntries(relay.adapter.joinedSockets())
}

/** Resolves once the connection badge shows the given state. */
async function badgeShows(page: Page, connected: boolean, pending: "none" | "some"): Promise<Locator> {
  const badge = page.getByTestId("connection")
  await page.locator(`[data-testid="connection"][data-connected="${connected}"]`).waitFor({ timeout: 20_000 })
  const count = expect.poll(async () => Number(await badge.getAttribute("data-pending")), { timeout: 20_000 })
  if (pending === "none") await count.toBe(0)
  else await count.toBeGreaterThan(0)
  return badge
}

/** Keys of the IndexedDB records holding one document (the app's Automerge storage). */
function storedKeys(page: Page, documentId: string): Promise<string[]> {
  return page.evaluate(async id => {
    const dbs = (await indexedDB.databases()).filter(d => d.name?.startsWith("vivarium-") && d.name !== "vivarium-local")
    const keys: string[] = []
    for (const { name } of dbs) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name!)
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
      const all = await new Promise<IDBValidKey[]>((resolve, reject) => {
        const req = db.transaction("documents").objectStore("documents").getAllKeys()
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
      db.close()
      keys.push(...all.filter(k => Array.isArray(k) && k[0] === id).map(k => JSON.stringify(k)))
    }
    return keys
  }, documentId)
}

describe("the control panel as an installed PWA", { timeout: 60_000 }, () => {
  it("is installable: manifest, icons, an active service worker, and an offline start from the cache", async () => {
    const relay = await startTestRelay(teardown)
    const manifestUrl = `${relay.httpUrl}/manifest.webmanifest`
    const res = await fetch(manifestUrl)
    expect(res.status).toBe(200)
    const manifest = (await res.json()) as Record<string, unknown> & { icons: { src: string; sizes: string; type: string; purpose?: string }[] }
    expect(manifest).toMatchObject({ display: "standalone" })
    for (const field of ["name", "short_name", "id", "start_url", "theme_color"]) expect(manifest[field], field).toEqual(expect.any(String))
    const icon = (sizes: string, purpose: string) => manifest.icons.find(i => i.sizes === sizes && i.type === "image/png" && (i.purpose ?? "any").split(" ").includes(purpose))
    const declared = [icon("192x192", "any"), icon("512x512", "any"), icon("512x512", "maskable")]
    expect(declared.every(Boolean), JSON.stringify(manifest.icons)).toBe(true)
    for (const i of declared) {
      const url = new URL(i!.src, manifestUrl)
      const got = await fetch(url)
      expect(got.status, url.pathname).toBe(200)
      expect(got.headers.get("content-type"), url.pathname).toBe("image/png")
      const [w, h] = i!.sizes.split("x").map(Number)
      expect(pngSize(Buffer.from(await got.arrayBuffer())), url.pathname).toEqual({ width: w, height: h })
    }

    const a = await openDevice(teardown, browser, "installed")
    const startUrl = new URL(String(manifest.start_url), manifestUrl).href
    await screenshotsOnFailure("installable", { a: () => a.page }, async () => {
      await joinAsOperator(a.page, relay, "Ada")
      // Synced (every document acknowledged by the relay) before the device goes offline.
      await badgeShows(a.page, true, "none")
      await serviceWorkerActivated(a.page)
      await a.page.goto(startUrl)
      await a.page.getByTestId("workspace-name").waitFor()
      await badgeShows(a.page, true, "none")
      expect(await a.page.evaluate(() => navigator.serviceWorker.controller?.state), "a service worker controls the page after a reload").toBe("activated")

      // No network at all now: the page, its code and the Automerge WASM come from the cache.
      await a.context.setOffline(true)
      const wasm = a.page.waitForResponse(r => new URL(r.url()).pathname.endsWith(".wasm"))
      const page = await a.page.goto(startUrl)
      expect(page?.status()).toBe(200)
      expect(page?.fromServiceWorker(), "the page is answered by the service worker").toBe(true)
      const wasmResponse = await wasm
      expect(wasmResponse.status()).toBe(200)
      expect(wasmResponse.fromServiceWorker(), "the WASM is served from the cache").toBe(true)
      await expect.poll(() => a.page.getByTestId("workspace-name").textContent()).toBe(relay.workspace.root.name)
      await badgeShows(a.page, false, "none")
      await screenshot(a.page, "pwa-offline-start")
    })
    expect(a.unexpectedErrors(OFFLINE_NOISE)).toEqual([])
  })

  it("keeps working offline: an edit waits, survives an offline reload, and reaches everyone once back online", async () => {
    const relay = await startTestRelay(teardown)
    const node = await connectTestPeer(teardown, relay)
    const a = await openDevice(teardown, browser, "a")
    const b = await openDevice(teardown, browser, "b")
    const reason = "offline drill: stop everything"
    const rootId = relay.rootUrl.replace(/^automerge:/, "")
    await screenshotsOnFailure("offline-edit", { a: () => a.page, b: () => b.page }, async () => {
      await joinAsOperator(b.page, relay, "Bo")
      const before = new Set(Object.keys(relaySockets(relay)))
      await joinAsOperator(a.page, relay, "Ada")
      // Open the app again at its own address (no join link) on the Runtime view.
      await a.page.goto(`${relay.httpUrl}/`)
      await a.page.getByTestId("nav-runtime").click()
      await a.page.getByTestId("halt-reason").waitFor()
      await badgeShows(a.page, true, "none")
      await serviceWorkerActivated(a.page)
      // A's first page load (the join link) had its own connection; wait until only this one is left.
      const aPeers = await waitFor(() => {
        const added = Object.keys(relaySockets(relay)).filter(p => !before.has(p))
        return added.length === 1 && added
      }, { message: "A's one sync connection at the relay" })

      // A loses the network: new connections fail, and its open socket drops.
      await a.context.setOffline(true)
      // The browser drops it itself on going offline; a socket still open is cut here.
      relaySockets(relay)[aPeers[0] as PeerId]?.terminate()
      await badgeShows(a.page, false, "none")

      const stored = new Set(await storedKeys(a.page, rootId))
      await a.page.getByTestId("halt-reason").fill(reason)
      await a.page.getByTestId("halt-button").click()
      await a.page.getByTestId("confirm-yes").click()
      await expect.poll(() => a.page.getByTestId("halt-banner").textContent()).toContain(reason)
      const waiting = await badgeShows(a.page, false, "some")
      expect(await waiting.textContent()).toMatch(/\d+ changes? waiting/)
      // The edit is in IndexedDB before the reload (the Repo saves after a short debounce).
      await waitFor(async () => (await storedKeys(a.page, rootId)).some(k => !stored.has(k)), { timeoutMs: 10_000, message: "A's edit saved in IndexedDB" })
      await screenshot(a.page, "pwa-offline-edit-waiting")

      // Reload with no network: the app starts from the service worker and IndexedDB.
      await a.page.reload()
      await expect.poll(() => a.page.getByTestId("workspace-name").textContent()).toBe(relay.workspace.root.name)
      await expect.poll(() => a.page.getByTestId("halt-banner").textContent()).toContain(reason)
      expect(await a.page.getByTestId("me").textContent()).toBe("Ada")
      await badgeShows(a.page, false, "some")
      await screenshot(a.page, "pwa-offline-reloaded")
      expect(relay.workspace.root.controls.killSwitch.on, "nothing reached the relay while A was offline").toBe(false)

      // Back online: the adapter reconnects (every 2 s) and the edit syncs.
      await a.context.setOffline(false)
      await badgeShows(a.page, true, "none")
      await waitFor(() => node.workspace.root.controls.killSwitch.on, { timeoutMs: 20_000, events: [[node.workspace.rootHandle, "change"]], message: "the Node peer to see A's halt" })
      expect(node.workspace.root.controls.killSwitch).toMatchObject({ on: true, reason, setBy: "Ada" })
      await expect.poll(() => b.page.getByTestId("halt-banner").textContent(), { timeout: 20_000 }).toContain(reason)
      await screenshot(b.page, "pwa-offline-edit-synced-b")
    })
    expect(a.unexpectedErrors(OFFLINE_NOISE)).toEqual([])
    expect(b.unexpectedErrors()).toEqual([])
  })

  // The router's first navigation used to write `#join=SECRET` back after boot() removed it:
  // the secret stayed visible and a reload joined again (which fails offline).
  it("removes the join secret from the address bar once the workspace is open, and an offline reload still starts", async () => {
    const relay = await startTestRelay(teardown)
    const a = await openDevice(teardown, browser, "join")
    await joinAsOperator(a.page, relay, "Ada")
    await expect.poll(() => a.page.url()).not.toContain(relay.token)
    await a.page.evaluate(() => navigator.serviceWorker.ready)
    await a.context.setOffline(true)
    await a.page.reload()
    await a.page.getByTestId("workspace-name").waitFor()
    await a.context.setOffline(false)
  })

  it("shows invalid entries as a data-issues banner, keeps working, and renders hostile text as text", async () => {
    const relay = await startTestRelay(teardown)
    const node = await connectTestPeer(teardown, relay)
    const hostile = "<img src=x onerror=alert(1)>"
    const task = node.workspace.addTask({ title: hostile, command: "echo hi" }, { kind: "operator", name: node.identity.name })
    // What no schema allows, as an older relay or a merge from before the gate would leave it
    // (the gate refuses it from any peer): written into the relay's own replica, the app must
    // report it and go on.
    relay.workspace.queueHandle.change(d => {
      const bad: Task = { ...task, id: "task-bad", history: [], executions: [], dependsOn: [] }
      ;(d.tasks as Record<string, unknown>)["task-bad"] = { ...bad, status: "exploded" }
    })
    relay.workspace.rootHandle.change((d: RootDoc) => {
      ;(d.peers as Record<string, unknown>)["mallory"] = { name: "mallory", role: "emperor" }
    })
    await node.flushToRelay()

    const a = await openDevice(teardown, browser, "a")
    const dialogs: string[] = []
    a.page.on("dialog", d => void (dialogs.push(d.message()), d.dismiss()))
    await screenshotsOnFailure("bad-data", { a: () => a.page }, async () => {
      await joinAsOperator(a.page, relay, "Ada")
      const banner = a.page.getByTestId("data-issues")
      await banner.waitFor()
      await banner.getByRole("button", { name: /show all/ }).click()
      await expect.poll(() => banner.textContent()).toContain("tasks.task-bad.status")
      const text = (await banner.textContent())!
      expect(text).toContain(`queue ${relay.workspace.queueHandle.url}`)
      expect(text).toContain(`root ${relay.rootUrl}`)
      expect(text).toContain("peers.mallory")

      // The valid rest works: the dashboard counts the one valid task.
      await a.page.getByTestId("nav-dashboard").click()
      await expect.poll(() => a.page.getByTestId("dash-count-queued").textContent()).toBe("1")
      await screenshot(a.page, "pwa-bad-data-dashboard")

      await a.page.getByTestId("nav-queue").click()
      await a.page.getByTestId(`task-row-${task.id}`).getByText(hostile, { exact: true }).waitFor()
      await a.page.getByText(hostile, { exact: true }).first().click()
      await a.page.getByTestId("task-detail").waitFor()
      expect(await a.page.getByText(hostile, { exact: true }).count()).toBeGreaterThan(0)
      expect(await a.page.locator('img[src="x"]').count(), "no <img> injected from a title").toBe(0)
      await screenshot(a.page, "pwa-hostile-title")
    })
    expect(dialogs).toEqual([])
    expect(a.unexpectedErrors()).toEqual([])
  })
})
