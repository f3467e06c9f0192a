/**
 * `npm run bench -- ui`: the control panel (PWA) in headless Chromium against an
 * in-process relay serving dist/app:
 *
 *  1. click → Node peer: a click on HALT / Resume in the browser until a Node peer of the
 *     same relay sees the kill switch change; baseline: Node peer → Node peer;
 *  2. cold start from IndexedDB with 10,000 tasks and 10,000 messages: navigation start →
 *     the dashboard showing the count, relay up and relay stopped, with a breakdown;
 *  3. JS + CSS bundle size, gzip, without the WASM.
 *
 * BENCH_UI_TASKS / BENCH_UI_MESSAGES shrink the workspace for development; BENCH_UI_RAW=FILE
 * writes every raw measurement as JSON.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { DEFAULT_APP_DIR } from "../peer-server/panel.ts"
import { startRelay, type Relay } from "../peer-server/relay.ts"
import { Task, type QueueDoc, type RoomDoc, type RoomIndexDoc } from "../schemas/index.ts"
import { validateEntries, type DataIssue } from "../src/core/validate.ts"
import { joinLink, launchChromium, serviceWorkerActivated } from "../test/helpers/browser.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { loadAverage } from "./lib/machine.ts"
import { leavingOut } from "./lib/relays.ts"
import { connectBenchPeer, whenDoc, type BenchPeer } from "./lib/peers.ts"
import { epochNow, tempDir } from "./lib/proc.ts"
import { summarize } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { makeMessage, makeTask } from "./syncData.ts"
import { addProbe, clicks, readProbe, recordClicks, recordSyncSends, startProfile, stopProfile, syncSends } from "./uiProbe.ts"
import { report, type ClickResults, type ColdStart, type OneStart, type UiResults } from "./uiReport.ts"

export const CONFIG = {
  tasks: Number(process.env.BENCH_UI_TASKS ?? 10_000),
  messages: Number(process.env.BENCH_UI_MESSAGES ?? 10_000),
  batch: 1000,
  coldRuns: 3,
  click: { samples: 50, warmup: 6, gapMs: 250 },
  timeoutMs: Number(process.env.BENCH_UI_TIMEOUT_MS ?? 300_000),
}

export const suite: BenchSuite = {
  name: "ui",
  heading: "## UI (npm run bench -- ui)",
  description: "control panel in headless Chromium: click→Node-peer latency, cold start from IndexedDB with 10,000 tasks + 10,000 messages, bundle size",
  run,
}

const sleep = (t: number) => new Promise<void>(resolve => setTimeout(resolve, t))
const VIEWPORT = { width: 1280, height: 860 }

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const bundle = bundleSizes()
  ctx.log(`bundle: ${(bundle.totalGzip / 1024).toFixed(1)} KiB gzip in ${bundle.files.length} files`)
  const browser = await launchChromium()
  ctx.cleanup.add("close Chromium", () => browser.close())
  const click = await scoped(ctx.cleanup, "click latency", scope => clickLatency(ctx, scope, browser))
  const cold = await scoped(ctx.cleanup, "cold start", scope => coldStart(ctx, scope, browser))
  const results: UiResults = { chromium: browser.version(), bundle, click, cold, seconds: (performance.now() - started) / 1000, loadBefore }
  // Diagnosis: BENCH_UI_RAW=/tmp/ui.json keeps every probe record (IndexedDB reads, long tasks …).
  if (process.env.BENCH_UI_RAW) writeFileSync(process.env.BENCH_UI_RAW, JSON.stringify(results, null, 1))
  return report(ctx, results)
}

/** gzip sizes of dist/app/assets/*.js and *.css (the WASM is left out: it is cached once and never re-sent). */
function bundleSizes(): UiResults["bundle"] {
  const dir = join(DEFAULT_APP_DIR, "assets")
  const html = readFileSync(join(DEFAULT_APP_DIR, "index.html"), "utf8")
  const files = readdirSync(dir)
    .filter(f => /\.(js|css)$/.test(f))
    .map(name => {
      const bytes = readFileSync(join(dir, name))
      return { name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, atStart: html.includes(`/assets/${name}`) }
    })
    .sort((a, b) => b.gzip - a.gzip)
  const sum = (list: typeof files, key: "bytes" | "gzip") => list.reduce((n, f) => n + f[key], 0)
  const start = files.filter(f => f.atStart)
  return { files, totalBytes: sum(files, "bytes"), totalGzip: sum(files, "gzip"), startGzip: sum(start, "gzip"), startFiles: start.length }
}

/** An in-process relay: on a fresh data directory unless `dataDir` is given, without the extensions named in `leaveOut` (bench/lib/relays.ts `leavingOut`). */
export async function benchRelay(scope: Cleanup, opts: { dataDir?: string; leaveOut?: readonly string[] } = {}): Promise<{ relay: Relay & { dataDir: string }; stop: () => Promise<void> }> {
  const dataDir = opts.dataDir ?? tempDir(scope, "ui-relay")
  const relay = await startRelay({ dataDir, port: 0, host: "127.0.0.1", log: () => {}, ...(opts.leaveOut?.length ? { extensions: leavingOut(opts.leaveOut) } : {}) })
  const stop = scope.add("close relay", () => relay.close())
  return { relay: { ...relay, dataDir }, stop }
}

export async function newContext(scope: Cleanup, browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  scope.add("close browser context", () => context.close())
  context.setDefaultTimeout(60_000)
  return context
}

export async function registerOperator(page: Page, name: string): Promise<void> {
  await page.getByTestId("operator-name").fill(name)
  await page.getByTestId("operator-save").click()
  await page.getByTestId("me").waitFor()
}

/** The page clock minus this process's clock (epoch ms), from the round trip with the smallest delay. */
async function clockOffset(page: Page): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Infinity }
  for (let i = 0; i < 20; i++) {
    const t0 = epochNow()
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now())
    const t1 = epochNow()
    if (t1 - t0 < best.rttMs) best = { offsetMs: pageNow - (t0 + t1) / 2, rttMs: t1 - t0 }
  }
  return best
}

/** Resolves with this process's clock when `peer` sees the kill switch in the state `on`. */
function whenKillSwitch(peer: BenchPeer, on: boolean, reason: string): Promise<number> {
  return whenDoc(peer.workspace!.rootHandle, d => d.controls.killSwitch.on === on && d.controls.killSwitch.reason === reason, 30_000, `kill switch ${on}`).then(
    () => epochNow(),
  )
}

/**
 * HALT and Resume alternate: each is one click that writes the root document. Each browser
 * sample is followed by a Node → Node sample of the same write, so both see the same relay.
 */
async function clickLatency(ctx: SuiteContext, scope: Cleanup, browser: Browser): Promise<ClickResults> {
  const { relay } = await benchRelay(scope)
  const watcher = await connectBenchPeer("vivarium", relay)
  scope.add("close watcher", () => watcher.close())
  const writer = await connectBenchPeer("vivarium", relay)
  scope.add("close writer", () => writer.close())
  const page = await (await newContext(scope, browser)).newPage()
  await recordSyncSends(page)
  await page.goto(joinLink(relay))
  await registerOperator(page, "bench")
  await page.getByTestId("nav-runtime").click()
  await page.getByTestId("halt-reason").waitFor()
  await recordClicks(page)
  const clock = await clockOffset(page)
  ctx.log(`page clock − bench clock: ${clock.offsetMs.toFixed(2)} ms (round trip ${clock.rttMs.toFixed(2)} ms)`)

  const { samples, warmup, gapMs } = CONFIG.click
  const clickToSeen: number[] = []
  const clickToSend: number[] = []
  const callToSeen: number[] = []
  const nodeToSeen: number[] = []
  for (let i = 0; i < warmup + samples; i++) {
    const on = i % 2 === 0
    const reason = on ? `bench halt ${i}` : "resumed"
    if (on) await page.getByTestId("halt-reason").fill(reason)
    const seen = whenKillSwitch(watcher, on, reason)
    const called = epochNow()
    await page.getByTestId(on ? "halt-button" : "resume-button").click()
    const seenAt = await seen
    const clickedAt = (await clicks(page)).at(-1)! - clock.offsetMs
    const sentAt = (await syncSends(page)).map(t => t - clock.offsetMs).find(t => t >= clickedAt) ?? NaN
    await page.getByTestId(on ? "resume-button" : "halt-reason").waitFor()
    await sleep(gapMs)

    const nodeReason = `node ${i}`
    const nodeSeen = whenKillSwitch(watcher, on, nodeReason)
    const wrote = epochNow()
    writer.workspace!.rootHandle.change(d => {
      d.controls.killSwitch = { on, reason: nodeReason, setBy: "bench", setAt: Date.now() }
    })
    const nodeSeenAt = await nodeSeen
    await sleep(gapMs)
    if (i < warmup) continue
    clickToSeen.push(seenAt - clickedAt)
    clickToSend.push(sentAt - clickedAt)
    callToSeen.push(seenAt - called)
    nodeToSeen.push(nodeSeenAt - wrote)
  }
  ctx.log(`click → Node peer p50 ${summarize(clickToSeen).p50.toFixed(1)} ms; Node → Node p50 ${summarize(nodeToSeen).p50.toFixed(1)} ms`)
  return { config: CONFIG.click, clickToSeen: summarize(clickToSeen), clickToSend: summarize(clickToSend), callToSeen: summarize(callToSeen), nodeToSeen: summarize(nodeToSeen), clock }
}

/** Writes the tasks (made by `makeLiveTask`) and messages in batches into the relay's own queue and town_hall room. */
export async function seed(
  ctx: SuiteContext,
  relay: Relay,
  counts: { tasks: number; messages: number } = CONFIG,
  makeLiveTask: (i: number, now: number) => Task = makeTask,
): Promise<ColdStart["seed"]> {
  const { tasks, messages } = counts
  const { batch } = CONFIG
  const ws = relay.workspace
  const index = await relay.repo.find<RoomIndexDoc>(ws.root.docs.rooms as AutomergeUrl)
  const room = await relay.repo.find<RoomDoc>(index.doc().rooms["town_hall"]!.url as AutomergeUrl)
  const t0 = performance.now()
  const now = Date.now()
  let queue = A.clone(ws.queueHandle.doc())
  for (let start = 0; start < tasks; start += batch)
    queue = A.change(queue, d => {
      for (let i = start; i < Math.min(tasks, start + batch); i++) {
        const task = makeLiveTask(i, now)
        d.tasks[task.id] = task
      }
    })
  let messagesDoc = A.clone(room.doc())
  for (let start = 0; start < messages; start += batch)
    messagesDoc = A.change(messagesDoc, d => {
      for (let i = start; i < Math.min(messages, start + batch); i++) d.messages.push(makeMessage(i, now))
    })
  ws.queueHandle.update(d => A.merge(d, queue))
  room.update(d => A.merge(d, messagesDoc))
  await relay.repo.flush()
  if (ws.tasks.entries.size !== tasks) throw new Error(`the relay validated ${ws.tasks.entries.size} of ${tasks} tasks`)
  const seedMs = performance.now() - t0

  // Reference points in Node (same Automerge WASM, same schema) for the breakdown.
  const saved = A.save(ws.queueHandle.doc())
  const t1 = performance.now()
  const loaded = A.load<QueueDoc>(saved)
  const nodeLoadMs = performance.now() - t1
  const t2 = performance.now()
  const issues: DataIssue[] = []
  validateEntries(Task, loaded.tasks, "queue", ["tasks"], issues)
  const nodeValidateMs = performance.now() - t2
  ctx.log(`seeded ${tasks} tasks + ${messages} messages in ${seedMs.toFixed(0)} ms; queue saved ${(saved.length / 1024 ** 2).toFixed(1)} MiB, Node load ${nodeLoadMs.toFixed(0)} ms, validate ${nodeValidateMs.toFixed(0)} ms`)
  return { seedMs, queueBytes: saved.length, nodeLoadMs, nodeValidateMs }
}

/** Sum of the bytes the app keeps in its Automerge IndexedDB database, and the number of records. */
function storedSize(page: Page): Promise<{ records: number; bytes: number }> {
  return page.evaluate(async () => {
    let records = 0
    let bytes = 0
    for (const { name } of await indexedDB.databases()) {
      if (!name?.startsWith("vivarium-") || name === "vivarium-local") continue
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name)
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
      const all = await new Promise<{ binary: Uint8Array }[]>((resolve, reject) => {
        const req = db.transaction("documents").objectStore("documents").getAll()
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
      db.close()
      records += all.length
      bytes += all.reduce((n, r) => n + r.binary.byteLength, 0)
    }
    return { records, bytes }
  })
}

/** Waits until the app's IndexedDB stops changing (the Repo saves after a debounce). */
export async function storageSettled(page: Page): Promise<{ records: number; bytes: number }> {
  let last = await storedSize(page)
  for (let stable = 0; stable < 3; ) {
    await sleep(500)
    const next = await storedSize(page)
    stable = next.records === last.records && next.bytes === last.bytes ? stable + 1 : 0
    last = next
  }
  return last
}


/** Closes the page, opens a fresh one in the same context (IndexedDB and service worker kept) and times its start until the dashboard's count `testId` shows `count`. */
export async function startOnce(
  context: BrowserContext,
  previous: Page,
  url: string,
  profile: boolean,
  count = String(CONFIG.tasks),
  testId = "dash-count-queued",
): Promise<{ page: Page; start: OneStart }> {
  await previous.close()
  const page = await context.newPage()
  await addProbe(page, testId, count)
  const cdp = profile ? await startProfile(page) : undefined
  await page.goto(url)
  const probe = await readProbe(page, CONFIG.timeoutMs)
  const cpu = cdp ? await stopProfile(cdp) : undefined
  return { page, start: { probe, ...(cpu ? { cpu } : {}) } }
}

/**
 * What a start from a cached snapshot would cost (idea 2 in the report): the tasks as plain
 * objects, stored as one structured clone in a scratch IndexedDB database, then read back.
 */
async function snapshotReadMs(page: Page): Promise<number> {
  const now = Date.now()
  const tasks = Array.from({ length: CONFIG.tasks }, (_, i) => makeTask(i, now))
  // Plain code only in these callbacks: they run in the page.
  await page.evaluate(async tasks => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open("ui-bench-snapshot", 1)
      req.onupgradeneeded = () => req.result.createObjectStore("kv")
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    await new Promise((resolve, reject) => {
      const tx = db.transaction("kv", "readwrite")
      tx.objectStore("kv").put(tasks, "tasks")
      tx.oncomplete = resolve
      tx.onerror = () => reject(tx.error)
    })
    db.close()
  }, tasks)
  return page.evaluate(async () => {
    const t0 = performance.now()
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open("ui-bench-snapshot", 1)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const value = await new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction("kv").objectStore("kv").get("tasks")
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const readMs = performance.now() - t0
    db.close()
    indexedDB.deleteDatabase("ui-bench-snapshot")
    if (!value.length) throw new Error("the snapshot came back empty")
    return readMs
  })
}

async function coldStart(ctx: SuiteContext, scope: Cleanup, browser: Browser): Promise<ColdStart> {
  const { relay, stop } = await benchRelay(scope)
  const seeded = await seed(ctx, relay)
  const context = await newContext(scope, browser)
  let page = await context.newPage()
  await addProbe(page, "dash-count-queued", String(CONFIG.tasks))
  await page.goto(joinLink(relay))
  const first = await readProbe(page, CONFIG.timeoutMs)
  ctx.log(`first visit (join, sync from the relay): count shown after ${first.paintedAt!.toFixed(0)} ms`)
  await registerOperator(page, "bench")
  await serviceWorkerActivated(page)
  const stored = await storageSettled(page)
  ctx.log(`IndexedDB settled: ${stored.records} records, ${(stored.bytes / 1024 ** 2).toFixed(1)} MiB`)

  const url = `${relay.httpUrl}/`
  const queueId = relay.workspace.queueHandle.documentId
  const starts = async (label: string, n: number, profile: boolean) => {
    const list: OneStart[] = []
    for (let i = 0; i < n; i++) {
      const r = await startOnce(context, page, url, profile)
      page = r.page
      list.push(r.start)
      ctx.log(`cold start, ${label}, run ${i + 1}: ${r.start.probe.paintedAt!.toFixed(0)} ms${r.start.cpu ? ` (CPU ${r.start.cpu.totalMs.toFixed(0)} ms)` : ""}`)
    }
    return list
  }
  const online = await starts("relay up", CONFIG.coldRuns, false)
  const [profiled] = await starts("relay up, CPU profiled", 1, true)
  await stop()
  const offline = await starts("relay stopped", CONFIG.coldRuns, false)
  const cacheReadMs = await snapshotReadMs(page)
  ctx.log(`reading ${CONFIG.tasks} plain tasks as one structured clone from IndexedDB: ${cacheReadMs.toFixed(0)} ms`)
  await page.close()
  return { tasks: CONFIG.tasks, messages: CONFIG.messages, seed: seeded, first, stored, online, offline, profiled: profiled!, queueId, cacheReadMs }
}
