/**
 * Headless Debian Chromium (/usr/bin/chromium) driven by playwright-core, for the browser
 * tests and the `ui` benchmark. One browser per test file; one context per simulated
 * device (its own IndexedDB, service worker and offline switch). Every page's console
 * errors and uncaught exceptions are collected, so a test can assert none happened.
 */
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core"
import { DEFAULT_APP_DIR } from "../../peer-server/panel.ts"
import type { Relay } from "../../peer-server/relay.ts"
import { decide } from "./relay.ts"
import type { Teardown } from "./teardown.ts"
import { waitFor, type Listenable } from "./waitFor.ts"

export const CHROMIUM_PATH = "/usr/bin/chromium"

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const SCREENSHOT_DIR = join(REPO_ROOT, "test-artifacts", "screenshots")

/** What Chromium logs for each refused WebSocket and key challenge while a context is offline (expected there). */
export const OFFLINE_NOISE: readonly RegExp[] = [
  /WebSocket connection to .* failed/,
  /ERR_INTERNET_DISCONNECTED \(https?:\/\/[^)]*\/api\/challenge\)/,
  // The resident page preview is a sandboxed frame without scripts; Chromium reports any script
  // it refuses there (the sandbox doing its job), at times the page's own frame bookkeeping.
  /Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed/,
]

/** Throws a message that says what to do when Chromium or the built app is missing. */
export function assertBrowserPrerequisites(appDir = DEFAULT_APP_DIR): void {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`browser tests need Debian's Chromium at ${CHROMIUM_PATH}: apt-get install chromium`)
  if (!existsSync(join(appDir, "index.html"))) throw new Error(`the control panel is not built (${appDir}/index.html is missing): run npm run build`)
}

/** Launches Chromium (with `extraArgs`, e.g. host-resolver rules); the caller closes it (see launchBrowser for tests). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  assertBrowserPrerequisites()
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] })
}

/** One Chromium for the calling test file, closed by `teardown` (use useTeardown("all")). */
export async function launchBrowser(teardown: Teardown, extraArgs: readonly string[] = []): Promise<Browser> {
  const browser = await launchChromium(extraArgs)
  teardown.add(() => browser.close())
  return browser
}

export interface PageError {
  page: string
  text: string
}

/** A simulated device: one browser context with one page open. */
export interface Device {
  readonly context: BrowserContext
  readonly page: Page
  /** Console errors and uncaught exceptions of every page of this context. */
  readonly errors: PageError[]
  /** Errors not matched by `allowed` (e.g. OFFLINE_NOISE while offline). */
  unexpectedErrors(allowed?: readonly RegExp[]): PageError[]
  /** Closes the page and opens a new one in the same context (IndexedDB and service worker kept). */
  newPage(): Promise<Page>
}

/** Records a page's console errors and uncaught exceptions into `errors`. */
export function collectErrors(page: Page, errors: PageError[], label: string): void {
  page.on("console", msg => {
    if (msg.type() === "error") errors.push({ page: label, text: `${msg.text()} (${msg.location().url})` })
  })
  page.on("pageerror", error => errors.push({ page: label, text: `uncaught: ${error.stack ?? error.message}` }))
}

/** A fresh context and page, closed by `teardown`; `options` override the desktop defaults (e.g. a phone). */
export async function openDevice(teardown: Teardown, browser: Browser, label = "device", options: BrowserContextOptions = {}): Promise<Device> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, serviceWorkers: "allow", ...options })
  teardown.add(() => context.close())
  context.setDefaultTimeout(20_000)
  const errors: PageError[] = []
  let pages = 0
  const open = async () => {
    const page = await context.newPage()
    collectErrors(page, errors, pages++ ? `${label}#${pages}` : label)
    return page
  }
  const device = {
    context,
    page: await open(),
    errors,
    unexpectedErrors: (allowed: readonly RegExp[] = []) => errors.filter(e => !allowed.some(re => re.test(e.text))),
    async newPage() {
      await device.page.close()
      device.page = await open()
      return device.page
    },
  }
  return device
}

/** The link `vivarium start` prints: the relay's page with the secret in the fragment. */
export function joinLink(relay: { httpUrl: string; token: string }): string {
  return `${relay.httpUrl}/#join=${encodeURIComponent(relay.token)}`
}

/**
 * Opens the join link, asks to join as an operator under `displayName`, approves the
 * browser's key as the owner would (`vivarium operator approve NAME`), and waits for the shell.
 */
export async function joinAsOperator(page: Page, relay: Pick<Relay, "httpUrl" | "token" | "workspace" | "owner" | "decideAsOwner">, displayName: string): Promise<void> {
  await page.goto(joinLink(relay))
  await page.getByTestId("operator-name").fill(displayName)
  await page.getByTestId("operator-save").click()
  const name = await page.getByTestId("waiting-name").textContent()
  if (!name) throw new Error("the waiting screen names no operator")
  // What a new operator sees until the owner approves: at desktop and at phone width.
  await screenshot(page, "join-waiting-approval")
  const viewport = page.viewportSize()
  await page.setViewportSize({ width: 390, height: 844 })
  await screenshot(page, "join-waiting-approval-phone")
  if (viewport) await page.setViewportSize(viewport)
  await decide(relay, name, "approved")
  await page.getByTestId("me").waitFor()
}

/** Resolves once the app's service worker is activated (its precache, the offline app, is complete). */
export async function serviceWorkerActivated(page: Page): Promise<void> {
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === "activated")
}

/** Saves a full-page PNG to test-artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  // Transitions finish first: a drawer still sliding away after a resize would be in the picture.
  await page.screenshot({ path, fullPage: true, animations: "disabled" })
  return path
}

/**
 * Screenshots of what the page shows now at desktop (1280×800, named `desktopName`) and phone
 * (390×844, `<name>-phone`) size; the page gets its own viewport back afterwards.
 */
export async function screenshotBothSizes(page: Page, name: string, desktopName = name): Promise<void> {
  const viewport = page.viewportSize()
  await page.setViewportSize({ width: 1280, height: 800 })
  await screenshot(page, desktopName)
  await page.setViewportSize({ width: 390, height: 844 })
  // The navigation becomes a drawer that slides away: shoot once it has.
  await page.waitForFunction(() => document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState !== "running"))
  await screenshot(page, `${name}-phone`)
  if (viewport) await page.setViewportSize(viewport)
}

/**
 * A full-page PNG as a touch device really shows it: Chromium's full-page capture drops touch
 * emulation while it draws (so `(pointer: coarse)` styles vanish from the picture), so the
 * viewport is made as tall as the page for the shot instead, then put back.
 */
export async function touchScreenshot(page: Page, name: string): Promise<string> {
  const viewport = page.viewportSize()
  if (!viewport) return screenshot(page, name)
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  await page.setViewportSize({ width: viewport.width, height: await page.evaluate(() => document.documentElement.scrollHeight) })
  try {
    await page.screenshot({ path })
  } finally {
    await page.setViewportSize(viewport)
  }
  return path
}

/**
 * Runs `fn`; if it throws, saves a screenshot of each page (as `<name>-<label>-failed`)
 * before rethrowing, so a failed browser test leaves a picture of what the pages showed.
 */
export async function screenshotsOnFailure<T>(name: string, pages: Record<string, () => Page>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    for (const [label, page] of Object.entries(pages)) await screenshot(page(), `${name}-${label}-failed`).catch(() => {})
    throw error
  }
}

/** Opens one of the app's views through its navigation link (testid `nav-<view>`). */
export async function go(page: Page, view: string): Promise<void> {
  await page.getByTestId(`nav-${view}`).click()
}

/** Turns on Runtime's "review everything" in the page and waits until the relay has it. */
export async function reviewEverything(page: Page, relay: { workspace: { root: { controls: { reviewEverything: boolean } }; rootHandle: Listenable } }): Promise<void> {
  await go(page, "runtime")
  await page.getByLabel(/review everything/i).check()
  await page.getByTestId("controls-save").click()
  await waitFor(() => relay.workspace.root.controls.reviewEverything, { events: [[relay.workspace.rootHandle, "change"]] })
}

/** Adds an LLM task with the Queue view's form and waits until the relay has it; answers its id. */
export async function addLlmTask(page: Page, relay: Pick<Relay, "workspace">, prompt: string): Promise<string> {
  await go(page, "queue")
  await page.getByTestId("task-mode").selectOption("llm")
  await page.getByTestId("task-text").fill(prompt)
  await page.getByTestId("task-submit").click()
  return waitFor(() => [...relay.workspace.tasks.entries.values()].find(t => t.prompt === prompt)?.id ?? false, {
    events: [[relay.workspace.tasks, "change"]],
    message: "the browser's task to reach the relay",
  })
}

/**
 * Screenshots at both sizes from the top of the page (the phone's bar is sticky: a scrolled
 * page would show it mid-picture), without the last action's toast over the content.
 */
export async function screenshotFromTop(page: Page, name: string): Promise<void> {
  const notice = page.getByTestId("notice")
  if (await notice.count()) {
    await notice.getByRole("button", { name: "Dismiss" }).click()
    await notice.waitFor({ state: "detached" })
  }
  await page.evaluate(() => window.scrollTo(0, 0))
  await screenshotBothSizes(page, name)
}
