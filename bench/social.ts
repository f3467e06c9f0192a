/**
 * `npm run bench -- social`: the social plane at scale, against an in-process relay.
 *
 *  1. one room (one RoomDoc) with 100,000 messages, seeded in batches of 1000 per change
 *     through a Node peer:
 *     - append latency: a Node peer posts one message (postMessage) until a second Node
 *       peer sees it; baseline: the same on an empty room, interleaved;
 *     - a fresh Node peer (child process) opening the room: time, RSS and heap deltas;
 *       baseline: the same peer on the empty room before seeding;
 *     - headless Chromium opening /rooms/town_hall: first open (synced from the relay),
 *       second open (IndexedDB), JS heap after each; baseline: an empty room.
 *  2. a ledger of 100,000 entries over 200 residents: deriveWallets, readLedger and
 *     Automerge.load of the wallets document.
 *
 * BENCH_SOCIAL_MESSAGES / BENCH_SOCIAL_ENTRIES / BENCH_SOCIAL_SAMPLES shrink it for
 * development; BENCH_SOCIAL_RAW=FILE writes every raw measurement as JSON.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { join } from "node:path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { startRelay, type Relay } from "../peer-server/relay.ts"
import type { LedgerEntry, RoomDoc, RoomIndexDoc, WalletsDoc } from "../schemas/index.ts"
import { deriveWallets } from "../src/domain/wallets/index.ts"
import { readLedger, readRoomMessages } from "../src/workspace/documentReaders.ts"
import { postMessage } from "../src/domain/rooms/index.ts"
import { type SocialContext } from "../src/workspace/actionContext.ts"
import { joinAsOperator, joinLink, launchChromium, serviceWorkerActivated } from "../test/helpers/browser.ts"
import { withTimeout, type Cleanup } from "./lib/cleanup.ts"
import { loadAverage } from "./lib/machine.ts"
import { connectBenchPeer, whenDoc, whenRelayHas, type BenchPeer } from "./lib/peers.ts"
import { spawnNode, tempDir } from "./lib/proc.ts"
import { summarize } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { SCHEMA_VERSION_1, makeMessage } from "./syncData.ts"
import type { OpenConfig, OpenFailure, OpenResult } from "./syncOpenPeer.ts"
import { inclusiveOf, summarizeProfile, top } from "./queueProfile.ts"
import { startProfile, stopProfile } from "./uiProbe.ts"
import { report, type AppendCpu, type AppendResults, type BrowserOpen, type BrowserResults, type LedgerResults, type NodeOpen, type RoomCosts, type SocialResults, PROFILE_US } from "./socialReport.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)

export const CONFIG = {
  messages: env("BENCH_SOCIAL_MESSAGES", 100_000),
  batch: 1000,
  /** The rooms of the relay's workspace measured: the big one and an empty one (baseline). */
  bigRoom: "town_hall",
  emptyRoom: "watercooler",
  /** The browser's baseline: a room nobody writes to here (the append samples fill emptyRoom). */
  browserEmptyRoom: "discoveries",
  /** A sample on a room starts ≥ minIntervalMs after that room's previous one was seen: automerge-repo sends a document's sync messages at most every 100 ms. */
  append: { samples: env("BENCH_SOCIAL_SAMPLES", 200), warmup: 10, profiled: 20, minIntervalMs: 110 },
  ledger: { entries: env("BENCH_SOCIAL_ENTRIES", 100_000), residents: 200, runs: 5, batch: 1000 },
  timeoutMs: 600_000,
}

export const suite: BenchSuite = {
  name: "social",
  heading: "## Social (npm run bench -- social)",
  description: "a room of 100,000 messages (append latency, Node and browser open, memory) and a ledger of 100,000 entries (derivation, read, load)",
  run,
}

const sleep = (t: number) => new Promise<void>(resolve => setTimeout(resolve, t))

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const room = await scoped(ctx.cleanup, "room", scope => roomPart(ctx, scope))
  const ledger = ledgerPart(ctx)
  const results: SocialResults = { ...room, ledger, seconds: (performance.now() - started) / 1000, loadBefore }
  if (process.env.BENCH_SOCIAL_RAW) writeFileSync(process.env.BENCH_SOCIAL_RAW, JSON.stringify(results, null, 1))
  return report(ctx, results)
}

// ── 1. the big room ─────────────────────────────────────────────────────────

interface Rooms {
  big: DocHandle<RoomDoc>
  empty: DocHandle<RoomDoc>
}

async function findRooms(peer: BenchPeer): Promise<Rooms> {
  const ws = peer.workspace!
  const index = await peer.repo.find<RoomIndexDoc>(ws.root.docs.rooms as AutomergeUrl)
  const url = (id: string) => {
    const entry = index.doc().rooms[id]
    if (!entry) throw new Error(`no room ${id} in the workspace`)
    return entry.url as AutomergeUrl
  }
  const [big, empty] = await Promise.all([peer.repo.find<RoomDoc>(url(CONFIG.bigRoom)), peer.repo.find<RoomDoc>(url(CONFIG.emptyRoom))])
  return { big, empty }
}

async function roomPart(ctx: SuiteContext, scope: Cleanup): Promise<Omit<SocialResults, "ledger" | "seconds" | "loadBefore">> {
  const dataDir = tempDir(scope, "social-relay")
  const relay = { ...(await startRelay({ dataDir, port: 0, host: "127.0.0.1", log: () => {} })), dataDir }
  scope.add("close relay", () => relay.close())
  const connect = async (label: string) => {
    const peer = await connectBenchPeer("vivarium", relay)
    return { peer, close: scope.add(`close ${label}`, () => peer.close()) }
  }

  // Baseline for the fresh Node peer: the same open while the room is still empty.
  const nodeEmpty = await nodeOpen(scope, relay, 0)
  ctx.log(`fresh Node peer, empty room: open ${nodeEmpty.allReadyMs.toFixed(0)} ms, RSS +${mib(nodeEmpty.rssDelta)} MiB`)

  const { peer: writer, close: closeWriter } = await connect("writer")
  const { peer: reader, close: closeReader } = await connect("reader")
  const writerRooms = await findRooms(writer)
  const readerRooms = await findRooms(reader)
  const { seed, headsAt } = await seedRoom(ctx, writer, writerRooms.big, readerRooms.big)

  const append = await appendLatency(ctx, tempDir(scope, "social-profiles"), writer, writerRooms, readerRooms)
  const costs = roomCosts(ctx, writerRooms.big.doc(), headsAt)
  await closeWriter()
  await closeReader()

  const nodeBig = await nodeOpen(scope, relay, CONFIG.messages + append.appended)
  ctx.log(`fresh Node peer, big room: open ${nodeBig.allReadyMs.toFixed(0)} ms, RSS +${mib(nodeBig.rssDelta)} MiB`)

  const browser = await scoped(scope, "browser", s => browserOpens(ctx, s, relay, CONFIG.messages + append.appended))
  return { seed, append, costs, node: { empty: nodeEmpty, big: nodeBig }, browser }
}

/**
 * The writer appends the messages to its room in batches of 1000 per change (messages from
 * bench/syncData.ts, as the sync and ui suites), as a busy room grows: the relay and the
 * reader, subscribed to the room, receive the changes as they come. All three peers share
 * this process's event loop, so the time is theirs together.
 */
async function seedRoom(
  ctx: SuiteContext,
  writer: BenchPeer,
  room: DocHandle<RoomDoc>,
  reader: DocHandle<RoomDoc>,
): Promise<{ seed: SocialResults["seed"]; headsAt: Map<number, A.Heads> }> {
  const { messages, batch } = CONFIG
  const now = Date.now() - messages - 3_600_000
  const headsAt = new Map<number, A.Heads>()
  const t0 = performance.now()
  for (let start = 0; start < messages; start += batch) {
    const list = Array.from({ length: Math.min(batch, messages - start) }, (_, i) => makeMessage(start + i, now))
    // One push per batch: the list proxy reads the list's length once per push call.
    room.change(d => void d.messages.push(...list))
    const count = start + list.length
    if (DIFF_POINTS.some(f => Math.round((messages * f) / batch) * batch === count)) headsAt.set(count, A.getHeads(room.doc()))
    // Let the relay and the reader take their turn, as they would between a real writer's changes.
    await sleep(0)
  }
  const writtenMs = performance.now() - t0
  await whenRelayHas(writer, room, CONFIG.timeoutMs)
  const relayMs = performance.now() - t0
  await whenDoc(reader, d => d.messages.length >= messages, CONFIG.timeoutMs, "reader: all messages")
  const readerMs = performance.now() - t0
  const savedBytes = A.save(room.doc()).length
  ctx.log(`seeded ${messages} messages in ${Math.ceil(messages / batch)} changes: written ${writtenMs.toFixed(0)} ms, at the relay ${relayMs.toFixed(0)} ms, at the reader ${readerMs.toFixed(0)} ms; saved ${mib(savedBytes)} MiB`)
  return { seed: { writtenMs, relayMs, readerMs, savedBytes }, headsAt }
}

/** Fractions of the room at which the diff is also timed, to show how it grows. */
const DIFF_POINTS = [1 / 8, 1 / 4]

/**
 * What a fresh peer's open of the room is made of, on the writer's copy (same WASM):
 * Automerge.load of the saved room; automerge-repo's first `change` event, which is
 * A.diff(doc, [], heads) over the whole document (also at smaller sizes, from the heads
 * noted while seeding); and readRoomMessages, which the PWA's useDocument runs on each change.
 */
function roomCosts(ctx: SuiteContext, doc: RoomDoc, headsAt: Map<number, A.Heads>): RoomCosts {
  const time = (fn: () => unknown) => {
    const t0 = performance.now()
    fn()
    return performance.now() - t0
  }
  const saved = A.save(doc)
  let loaded: RoomDoc | undefined
  const loadMs = time(() => (loaded = A.load<RoomDoc>(saved)))
  const heads = A.getHeads(doc)
  let patches = 0
  const diffMs = time(() => (patches = A.diff(doc, [], heads).length))
  const diffAt = [...headsAt].map(([messages, h]) => ({ messages, ms: time(() => A.diff(doc, [], h)) }))
  diffAt.push({ messages: doc.messages.length, ms: diffMs })
  let valid = 0
  const validateMs = time(() => (valid = readRoomMessages(loaded!, "room", []).length))
  if (valid !== doc.messages.length) throw new Error(`readRoomMessages kept ${valid} of ${doc.messages.length} messages`)
  ctx.log(`room in Node: load ${loadMs.toFixed(0)} ms; first-change diff ${diffMs.toFixed(0)} ms (${patches} patches; ${diffAt.map(d => `${d.messages}: ${d.ms.toFixed(0)} ms`).join(", ")}); readRoomMessages ${validateMs.toFixed(0)} ms`)
  return { loadMs, diffMs, patches, diffAt, validateMs }
}

/** Where an append's CPU goes (inclusive time; nested entries overlap), summed over the three peers of this process. */
const APPEND_ACTIVITIES: { key: string; label: string; pattern: RegExp }[] = [
  { key: "post", label: "writer: `postMessage` (room index read and validation, the change)", pattern: /^postMessage src\/domain\/rooms\/actions\.ts/ },
  { key: "change", label: "… of which `DocHandle.change` (Automerge change + `change` listeners)", pattern: /^change @automerge\/automerge-repo:/ },
  { key: "receive", label: "relay + reader: applying it (`DocSynchronizer.receiveSyncMessage`)", pattern: /^receiveSyncMessage @automerge\/automerge-repo:/ },
  { key: "diff", label: "all three: `DocHandle` change-event diff (`#checkForChanges` → `A.diff`)", pattern: /^#checkForChanges @automerge\/automerge-repo:/ },
  { key: "send", label: "all three: generating sync messages (`#sendSyncMessage`)", pattern: /^#sendSyncMessage @automerge\/automerge-repo:/ },
  { key: "save", label: "relay: saving the room to disk (`saveDoc`)", pattern: /^saveDoc @automerge\/automerge-repo:/ },
]

/**
 * One sample: the writer posts one message with postMessage (as the PWA's composer does);
 * latency = from the call until the reader's handle emits the change holding it. Big and
 * empty rooms alternate, so both see the same relay and machine state. Then a few more
 * samples per room under the CPU profiler: the CPU all three peers spend per message.
 */
async function appendLatency(ctx: SuiteContext, profileDir: string, writer: BenchPeer, w: Rooms, r: Rooms): Promise<AppendResults> {
  const social: SocialContext = { workspace: writer.workspace!, actor: { kind: "operator", name: "bench-writer" } }
  const { samples, warmup, profiled, minIntervalMs } = CONFIG.append
  const lastSeen = { big: 0, empty: 0 }
  let appended = 0
  const sample = async (which: keyof Rooms, i: number) => {
    const wait = lastSeen[which] + minIntervalMs - performance.now()
    if (wait > 0) await sleep(wait)
    const target = r[which].doc().messages.length + 1
    const seen = whenDoc(r[which], d => d.messages.length >= target, 30_000, `reader: message ${target} in the ${which} room`)
    const roomId = which === "big" ? CONFIG.bigRoom : CONFIG.emptyRoom
    const t0 = performance.now()
    await postMessage(social, roomId, { content: `Append sample ${i}: the nightly run finished; two tests were flaky.`, importance: 5 })
    const t1 = performance.now()
    await seen
    const t2 = performance.now()
    lastSeen[which] = t2
    if (which === "big") appended++
    return { seen: t2 - t0, call: t1 - t0 }
  }

  const out = { big: { seen: [] as number[], call: [] as number[] }, empty: { seen: [] as number[], call: [] as number[] } }
  for (let i = 0; i < warmup + samples; i++)
    for (const which of ["big", "empty"] as const) {
      const s = await sample(which, i)
      if (i < warmup) continue
      out[which].seen.push(s.seen)
      out[which].call.push(s.call)
    }
  const cpu = async (which: keyof Rooms): Promise<AppendCpu> => {
    const session = new Session()
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.setSamplingInterval", { interval: PROFILE_US })
    await session.post("Profiler.start")
    const c0 = process.cpuUsage()
    for (let i = 0; i < profiled; i++) await sample(which, samples + warmup + i)
    const used = process.cpuUsage(c0)
    const { profile } = await session.post("Profiler.stop")
    session.disconnect()
    const path = join(profileDir, `append-${which}.cpuprofile`)
    writeFileSync(path, JSON.stringify(profile))
    const s = summarizeProfile(path, PROFILE_US)
    const per = (v: number) => v / profiled
    return {
      perMessageMs: per((used.user + used.system) / 1000),
      busyPerMessageMs: per(s.busyMs),
      areas: top(s.areas, 8).map(([label, v]) => ({ label, ms: per(v) })),
      activities: APPEND_ACTIVITIES.map(a => ({ key: a.key, label: a.label, ms: per(inclusiveOf(s, a.pattern)) })),
      topSelf: top(s.self, 8).map(([label, v]) => ({ label, ms: per(v) })),
    }
  }
  const cpuBig = await cpu("big")
  const cpuEmpty = await cpu("empty")
  if (w.big.doc().messages.length !== CONFIG.messages + appended) throw new Error("the writer's big room lost a message")
  const res: AppendResults = {
    samples,
    warmup,
    profiled,
    minIntervalMs,
    appended,
    big: { seen: summarize(out.big.seen), call: summarize(out.big.call), cpu: cpuBig },
    empty: { seen: summarize(out.empty.seen), call: summarize(out.empty.call), cpu: cpuEmpty },
  }
  ctx.log(
    `append → seen p50: big ${res.big.seen.p50.toFixed(1)} ms, empty ${res.empty.seen.p50.toFixed(1)} ms; ` +
      `CPU per message (3 peers): big ${cpuBig.perMessageMs.toFixed(1)} ms, empty ${cpuEmpty.perMessageMs.toFixed(1)} ms`,
  )
  return res
}

/** A fresh Node peer in its own process (bench/syncOpenPeer.ts, as the sync suite) opens the workspace and town_hall. */
async function nodeOpen(scope: Cleanup, relay: Relay & { dataDir: string }, messages: number): Promise<NodeOpen> {
  const config: OpenConfig = { system: "vivarium", wsUrl: relay.wsUrl, token: relay.token, dataDir: relay.dataDir, tasks: 0, messages }
  const child = spawnNode(scope, `fresh peer (${messages} messages)`, ["--expose-gc"], ["bench/launch.js", "bench/syncOpenPeer.ts", JSON.stringify(config)])
  const m = await child.waitForLine(/^(RESULT|FAILED) (.*)$/, CONFIG.timeoutMs)
  await withTimeout(child.exited, 15_000, "fresh peer exit").catch(() => child.stop())
  if (m[1] === "FAILED") {
    const f = JSON.parse(m[2]!) as OpenFailure
    throw new Error(`fresh Node peer failed at ${f.step} after ${f.afterMs.toFixed(0)} ms: ${f.error}`)
  }
  return { messages, ...(JSON.parse(m[2]!) as OpenResult) }
}

// ── browser ─────────────────────────────────────────────────────────────────

declare global {
  interface Window {
    __socialOpen?: { roomAt?: number; shownAt?: number; paintedAt?: number; longTasks: number[][]; memories: WebAssembly.Memory[] }
  }
}

/**
 * Before the app runs: note when the room view mounts and when `selector` first appears
 * (+ the next frame), long tasks, and keep the Automerge WASM instance's memory to read its size.
 */
function openProbe(selector: string): string {
  return `(() => {
  const r = (window.__socialOpen = { longTasks: [], memories: [] })
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name]
    WebAssembly[name] = function (...args) {
      const result = original.apply(this, args)
      result.then(out => { const m = (out.instance ?? out).exports?.memory; if (m) r.memories.push(m) }, () => {})
      return result
    }
  }
  new PerformanceObserver(l => { for (const e of l.getEntries()) r.longTasks.push([e.startTime, e.duration]) }).observe({ type: "longtask", buffered: true })
  const check = () => {
    if (r.roomAt === undefined && document.querySelector('[data-testid="room-messages"]')) r.roomAt = performance.now()
    if (r.shownAt !== undefined || !document.querySelector(${JSON.stringify(selector)})) return
    r.shownAt = performance.now()
    observer.disconnect()
    requestAnimationFrame(() => (r.paintedAt = performance.now()))
  }
  const observer = new MutationObserver(check)
  observer.observe(document, { subtree: true, childList: true })
})()`
}

/** JS heap of the page after a full GC (CDP), and the bytes of ArrayBuffers incl. the Automerge WASM memory. */
async function heapAfterGc(page: Page): Promise<BrowserOpen["heap"]> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send("HeapProfiler.collectGarbage")
  const usage = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number; backingStorageSize?: number }
  await cdp.detach()
  return { usedBytes: usage.usedSize, totalBytes: usage.totalSize, backingBytes: usage.backingStorageSize ?? NaN }
}

/** Opens a new page in `context` at `path` and times navigation start → `selector` painted. */
export async function openRoom(context: BrowserContext, url: string, selector: string, label: string, profile = false): Promise<{ page: Page; open: BrowserOpen }> {
  const page = await context.newPage()
  await page.addInitScript({ content: openProbe(selector) })
  const cdp = profile ? await startProfile(page) : undefined
  await page.goto(url)
  await page.waitForFunction(() => window.__socialOpen?.paintedAt !== undefined, undefined, { timeout: CONFIG.timeoutMs, polling: 100 })
  const cpu = cdp ? await stopProfile(cdp) : undefined
  const probe = await page.evaluate(() => {
    const { memories, ...rest } = window.__socialOpen!
    return { ...rest, wasmBytes: memories.reduce((n, m) => n + m.buffer.byteLength, 0) }
  })
  const longTasks = probe.longTasks.map(([, d]) => d!)
  const open: BrowserOpen = {
    label,
    roomAt: probe.roomAt ?? NaN,
    shownAt: probe.shownAt!,
    paintedAt: probe.paintedAt!,
    longTaskMs: longTasks.reduce((a, b) => a + b, 0),
    longestTaskMs: Math.max(0, ...longTasks),
    heap: await heapAfterGc(page),
    wasmBytes: probe.wasmBytes,
    ...(cpu ? { cpu } : {}),
  }
  return { page, open }
}

/** The bytes the app keeps in IndexedDB for one document (automerge-repo keys start with the document id). */
function storedBytes(page: Page, documentId: string): Promise<number> {
  return page.evaluate(async id => {
    let bytes = 0
    for (const { name } of await indexedDB.databases()) {
      if (!name?.startsWith("vivarium-")) continue
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name)
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error)
      })
      if (db.objectStoreNames.contains("documents")) {
        const range = IDBKeyRange.bound([id], [id, []])
        const rows = await new Promise<{ binary: Uint8Array }[]>((resolve, reject) => {
          const req = db.transaction("documents").objectStore("documents").getAll(range)
          req.onsuccess = () => resolve(req.result)
          req.onerror = () => reject(req.error)
        })
        bytes += rows.reduce((n, r) => n + r.binary.byteLength, 0)
      }
      db.close()
    }
    return bytes
  }, documentId)
}

/** Waits until the room's stored bytes stop changing (automerge-repo saves after a debounce). */
async function roomStored(page: Page, documentId: string): Promise<number> {
  let last = -1
  for (let stable = 0; stable < 3; ) {
    await sleep(500)
    const next = await storedBytes(page, documentId)
    stable = next > 0 && next === last ? stable + 1 : 0
    last = next
  }
  return last
}

async function browserOpens(ctx: SuiteContext, scope: Cleanup, relay: Relay, messages: number): Promise<BrowserResults> {
  const browser: Browser = await launchChromium()
  scope.add("close Chromium", () => browser.close())
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  scope.add("close browser context", () => context.close())
  context.setDefaultTimeout(60_000)

  const index = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
  const bigRoom = await relay.repo.find<RoomDoc>(index.doc().rooms[CONFIG.bigRoom]!.url as AutomergeUrl)
  const newest = bigRoom.doc().messages.at(-1)!.id
  const bigSelector = `[data-testid="room-messages"] [data-testid="message-${newest}"]`
  const emptySelector = '[data-testid="room-empty"]'
  const at = (room: string) => `${relay.httpUrl}/rooms/${room}`

  let page = await context.newPage()
  await joinAsOperator(page, relay, "bench")
  await serviceWorkerActivated(page)
  const shell = await heapAfterGc(page)
  await page.close()

  const step = async (room: string, selector: string, label: string, profile = false) => {
    const r = await openRoom(context, at(room), selector, label, profile)
    ctx.log(`browser, ${label}: messages painted after ${r.open.paintedAt.toFixed(0)} ms; JS heap ${mib(r.open.heap.usedBytes)} MiB`)
    return r
  }
  const emptyFirst = await step(CONFIG.browserEmptyRoom, emptySelector, "empty room, first open")
  await emptyFirst.page.close()
  const first = await step(CONFIG.bigRoom, bigSelector, "big room, first open (from the relay)")
  const storedRoomBytes = await roomStored(first.page, bigRoom.documentId)
  await first.page.close()
  const second = await step(CONFIG.bigRoom, bigSelector, "big room, second open (IndexedDB)")
  await second.page.close()
  const profiled = await step(CONFIG.bigRoom, bigSelector, "big room, IndexedDB, CPU profiled", true)
  page = profiled.page
  const rendered = await page.locator('[data-testid="room-messages"] article').count()
  await page.close()
  const emptyAgain = await step(CONFIG.browserEmptyRoom, emptySelector, "empty room, IndexedDB")
  await emptyAgain.page.close()
  return {
    chromium: browser.version(),
    messages,
    rendered,
    storedRoomBytes,
    shell,
    empty: [emptyFirst.open, emptyAgain.open],
    first: first.open,
    second: second.open,
    profiled: profiled.open,
  }
}

// ── 2. the ledger ───────────────────────────────────────────────────────────

/** A deterministic pseudo-random sequence (mulberry32), so every run derives the same ledger. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `count` entries over `residents` residents across ~`count / residents / 4` days: split
 * grants (allowance, rewards, tips, mail) and spends on either bucket, some larger than
 * the balance (voided), with the idempotency keys the app writes.
 */
export function makeLedger(count: number, residents: number): LedgerEntry[] {
  const rnd = random(42)
  const start = Date.UTC(2026, 0, 1)
  const day = 86_400_000
  const perResident = Math.ceil(count / residents)
  const days = Math.max(1, Math.ceil(perResident / 4))
  const out: LedgerEntry[] = []
  const by = { relay: { kind: "system", name: "relay" }, operator: { kind: "operator", name: "bench-operator" } } as const
  for (let i = 0; out.length < count; i++) {
    const r = i % residents
    const identity = `resident-${r.toString().padStart(3, "0")}`
    const n = Math.floor(i / residents)
    const d = Math.floor((n / perResident) * days)
    // Whole seconds: many entries share an `at`, so the key decides their order.
    const at = start + d * day + Math.floor(rnd() * 86_400) * 1000
    const roll = rnd()
    let entry: LedgerEntry
    if (n % 4 === 0) entry = { key: `allowance:${identity}:${d}`, identity, kind: "grant", amount: 150, bucket: "split", reason: "daily allowance", at, by: by.relay }
    else if (roll < 0.35) {
      const task = `task-${i.toString(36)}`
      entry = { key: `reward:${task}:${identity}`, identity, kind: "grant", amount: 20 + Math.floor(rnd() * 80), bucket: "split", reason: `phase-5 reward for ${task}`, at, by: by.relay }
    } else if (roll < 0.45) {
      const mail = `mail-${i.toString(36)}`
      entry = { key: `mail-reply:${mail}`, identity, kind: "grant", amount: 12, bucket: "split", reason: "reply from an operator", at, by: by.operator }
    } else {
      const bucket = rnd() < 0.7 ? "free_time" : "journal"
      entry = { key: `spend:${identity}:${i.toString(36)}`, identity, kind: "spend", amount: 5 + Math.floor(rnd() * (bucket === "free_time" ? 120 : 60)), bucket, reason: bucket === "free_time" ? "free time activity" : "journal entry", at, by: by.relay }
    }
    out.push(entry)
  }
  return out
}

/** Automerge.load of the 100,000-entry document takes tens of seconds here: two loads, not five. */
const LOAD_RUNS = 2

function ledgerPart(ctx: SuiteContext): LedgerResults {
  const { entries: count, residents, runs, batch } = CONFIG.ledger
  const entries = makeLedger(count, residents)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const time = <T>(fn: () => T): [T, number] => {
    const t0 = performance.now()
    const value = fn()
    return [value, performance.now() - t0]
  }

  // The derivation over plain objects (what a reader hands it after validation).
  const deriveRuns: number[] = []
  let wallets = deriveWallets(entries)
  for (let i = 0; i < runs; i++) {
    const [w, t] = time(() => deriveWallets(entries))
    wallets = w
    deriveRuns.push(t)
  }
  const effects = [...wallets.values()].flatMap(w => w.entries)
  const status = { applied: 0, capped: 0, voided: 0 }
  for (const e of effects) status[e.status]++
  ctx.log(`deriveWallets over ${count} entries: median ${median(deriveRuns).toFixed(1)} ms (${deriveRuns.map(t => t.toFixed(0)).join(", ")})`)

  // The wallets document, written as the app writes it (entries[key] = entry), batch by batch.
  const [doc, buildMs] = time(() => {
    let d = A.from<WalletsDoc>({ schemaVersion: SCHEMA_VERSION_1, kind: "wallets", entries: {} })
    for (let s = 0; s < count; s += batch)
      d = A.change(d, w => {
        for (const e of entries.slice(s, s + batch)) w.entries[e.key] = e
      })
    return d
  })
  const saved = A.save(doc)
  const loadRuns: number[] = []
  const readRuns: number[] = []
  let loaded: WalletsDoc | undefined
  for (let i = 0; i < LOAD_RUNS; i++) {
    const [doc, loadMs] = time(() => A.load<WalletsDoc>(saved))
    loadRuns.push(loadMs)
    loaded = doc
  }
  // The first read in the process is also the validators' warm-up: three reads, median.
  for (let i = 0; i < 3; i++) {
    const [read, readMs] = time(() => readLedger(loaded, "wallets", []))
    if (read.size !== count) throw new Error(`readLedger kept ${read.size} of ${count} entries`)
    readRuns.push(readMs)
  }
  const [fromDoc, endToEndMs] = time(() => deriveWallets(readLedger(loaded, "wallets", []).values()))
  if (fromDoc.size !== wallets.size) throw new Error("the derivation from the document differs")
  ctx.log(
    `wallets document: built ${buildMs.toFixed(0)} ms, ${mib(saved.length)} MiB; load ${loadRuns.map(t => t.toFixed(0)).join(", ")} ms; readLedger median ${median(readRuns).toFixed(0)} ms`,
  )
  return {
    entries: count,
    residents: wallets.size,
    grants: entries.filter(e => e.kind === "grant").length,
    status,
    deriveRuns,
    buildMs,
    savedBytes: saved.length,
    loadRuns,
    readRuns,
    readAndDeriveMs: endToEndMs,
  }
}

const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1)
