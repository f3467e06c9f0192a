/**
 * `npm run bench -- rooms`: opening a room of 100,000 messages at its newest page, with the
 * same messages in both layouts side by side in one run: today's single room document,
 * and segments by period (src/domain/rooms/segments.ts: 25 monthly segments of 4,000).
 * Each layout gets its own in-process relay (so neither's offline copy loads the other's room):
 *  - a fresh Node peer (no storage, like the CLI) reading the newest 200 messages (roomPage);
 *  - headless Chromium opening /rooms/town_hall, from navigation to the newest message
 *    painted: first open (synced from the relay) and again (IndexedDB); JS heap and WASM.
 * BENCH_SCALE (default 1) scales the number of messages, for development.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import type { Browser } from "playwright-core"
import { startRelay, type Relay } from "../peer-server/relay.ts"
import { SCHEMA_VERSION, type Message, type RoomDoc, type RoomIndexDoc, type RoomSegment } from "../schemas/index.ts"
import { roomPage } from "../src/domain/rooms/index.ts"
import { segmentPeriod } from "../src/domain/rooms/segments.ts"
import { joinAsOperator, launchChromium, serviceWorkerActivated } from "../test/helpers/browser.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { loadAverage, machineLine } from "./lib/machine.ts"
import { connectBenchPeer } from "./lib/peers.ts"
import { tempDir } from "./lib/proc.ts"
import { mib, ms, ratio, summarize } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { openRoom } from "./social.ts"
import { makeMessage } from "./syncData.ts"

const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const CONFIG = {
  messages: Math.max(1000, Math.round(100_000 * SCALE)),
  months: 25,
  batch: 1000,
  page: 200,
  nodeRuns: 5,
  browserRuns: 3,
  room: "town_hall",
}
const FIRST_MONTH = Date.UTC(2027, 0, 1)

export const suite: BenchSuite = {
  name: "rooms",
  heading: "## Rooms by period (npm run bench -- rooms)",
  description: "opening a room of 100,000 messages at its newest page: one room document vs segments by month, Node and Chromium",
  run,
}

type Layout = "single" | "segmented"
/** ms since navigation start; `viewMs`: from the room view's mount to the newest message painted. */
interface BrowserOpened {
  paintedMs: number
  viewMs: number
  heapBytes: number
  wasmBytes: number
}

interface Opened {
  node: number[]
  browserFirst: BrowserOpened
  browserAgain: BrowserOpened[]
}

/** Message i of the room: spread evenly over `months` months from January 2027 (makeMessage's text and ids). */
function message(i: number): Message {
  const month = Math.floor((i * CONFIG.months) / CONFIG.messages)
  const inMonth = i - Math.ceil((month * CONFIG.messages) / CONFIG.months)
  return { ...makeMessage(i, 0), at: Date.UTC(2027, month, 1) + inMonth * 1000 }
}

/**
 * Writes the messages as the relay would hold them: all in the room's first document, or
 * month by month, the first month in the first document and each later one in a segment
 * document listed in the room's entry, newest first.
 */
async function seed(relay: Relay, layout: Layout): Promise<void> {
  const index = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
  const entry = index.doc().rooms[CONFIG.room]!
  const segments: RoomSegment[] = []
  const byDoc = new Map<string, Message[]>()
  for (let i = 0; i < CONFIG.messages; i++) {
    const m = message(i)
    const period = segmentPeriod(m.at)
    let url = entry.url
    if (layout === "segmented" && period !== segmentPeriod(FIRST_MONTH)) {
      if (segments[0]?.period !== period) segments.unshift({ period, url: relay.repo.create<RoomDoc>({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId: CONFIG.room, period, messages: [] }).url })
      url = segments[0]!.url
    }
    if (!byDoc.has(url)) byDoc.set(url, [])
    byDoc.get(url)!.push(m)
  }
  for (const [url, messages] of byDoc) {
    const handle = await relay.repo.find<RoomDoc>(url as AutomergeUrl)
    for (let i = 0; i < messages.length; i += CONFIG.batch)
      handle.change(d => {
        d.messages.push(...messages.slice(i, i + CONFIG.batch))
      })
  }
  if (segments.length)
    index.change(d => {
      d.rooms[CONFIG.room]!.segments = segments
    })
  await relay.repo.flush()
}

async function startLayout(scope: Cleanup, layout: Layout): Promise<Relay & { dataDir: string }> {
  const dataDir = tempDir(scope, `rooms-${layout}`)
  // The layouts are fixed here: no segments added while the bench runs.
  const relay = await startRelay({ dataDir, port: 0, host: "127.0.0.1", log: () => {}, extensions: s => s.filter(e => e.name !== "room-segments") })
  scope.add(`close ${layout} relay`, () => relay.close())
  await seed(relay, layout)
  return { ...relay, dataDir }
}

/** A fresh Node peer, connect to the newest page read. */
async function nodeOpen(relay: Relay & { dataDir: string }): Promise<number> {
  const started = performance.now()
  const peer = await connectBenchPeer("vivarium", relay)
  try {
    const page = await roomPage(peer.workspace!, CONFIG.room, CONFIG.page)
    const elapsed = performance.now() - started
    if (page.messages.at(-1)?.id !== message(CONFIG.messages - 1).id) throw new Error(`the newest page of ${CONFIG.room} does not end with the newest message`)
    return elapsed
  } finally {
    await peer.close()
  }
}

async function browserOpens(ctx: SuiteContext, scope: Cleanup, browser: Browser, relay: Relay, layout: Layout): Promise<Pick<Opened, "browserFirst" | "browserAgain">> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  scope.add(`close ${layout} context`, () => context.close())
  context.setDefaultTimeout(300_000)
  const page = await context.newPage()
  await joinAsOperator(page, relay, "bench")
  await serviceWorkerActivated(page)
  await page.close()
  const selector = `[data-testid="room-messages"] [data-testid="message-${message(CONFIG.messages - 1).id}"]`
  const url = `${relay.httpUrl}/rooms/${CONFIG.room}`
  const one = async (label: string) => {
    const { page, open } = await openRoom(context, url, selector, `${layout}, ${label}`)
    await page.close()
    ctx.log(`${layout}, ${label}: newest message painted after ${ms(open.paintedAt)} ms, JS heap ${mib(open.heap.usedBytes)} MiB, WASM ${mib(open.wasmBytes)} MiB`)
    return { paintedMs: open.paintedAt, viewMs: open.paintedAt - open.roomAt, heapBytes: open.heap.usedBytes, wasmBytes: open.wasmBytes }
  }
  const browserFirst = await one("first open")
  const browserAgain: Opened["browserAgain"] = []
  for (let i = 0; i < CONFIG.browserRuns; i++) browserAgain.push(await one(`open ${i + 2} (IndexedDB)`))
  return { browserFirst, browserAgain }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  return scoped(ctx.cleanup, "rooms", async scope => {
    const relays = { single: await startLayout(scope, "single"), segmented: await startLayout(scope, "segmented") }
    ctx.log(`seeded ${CONFIG.messages} messages in each layout`)
    const node: Record<Layout, number[]> = { single: [], segmented: [] }
    // Interleaved, so both layouts see the same machine load.
    for (let i = 0; i < CONFIG.nodeRuns; i++)
      for (const layout of ["single", "segmented"] as const) {
        node[layout].push(await nodeOpen(relays[layout]))
        ctx.log(`${layout}, fresh Node peer: newest page in ${ms(node[layout].at(-1)!)} ms`)
      }
    const browser = await launchChromium()
    scope.add("close Chromium", () => browser.close())
    const opened = {} as Record<Layout, Opened>
    for (const layout of ["single", "segmented"] as const) opened[layout] = { node: node[layout], ...(await browserOpens(ctx, scope, browser, relays[layout], layout)) }
    return report(ctx, opened)
  })
}

function report(ctx: SuiteContext, o: Record<Layout, Opened>): SuiteResult {
  const p50 = (values: number[]) => summarize(values).p50
  const again = (l: Layout) => p50(o[l].browserAgain.map(b => b.paintedMs))
  const rows: [string, (l: Layout) => number, (v: number) => string][] = [
    ["fresh Node peer: connect → newest 200 messages read (p50 of " + CONFIG.nodeRuns + ")", l => p50(o[l].node), v => `${ms(v)} ms`],
    ["Chromium, first open (synced from the relay): newest message painted", l => o[l].browserFirst.paintedMs, v => `${ms(v)} ms`],
    ["Chromium, open from IndexedDB (p50 of " + CONFIG.browserRuns + "): newest message painted", again, v => `${ms(v)} ms`],
    ["Chromium, open from IndexedDB (p50): room view mounted → newest message painted", l => p50(o[l].browserAgain.map(b => b.viewMs)), v => `${ms(v)} ms`],
    ["Chromium, JS heap after open (IndexedDB)", l => o[l].browserAgain.at(-1)!.heapBytes, v => `${mib(v)} MiB`],
    ["Chromium, WASM memory after open (IndexedDB)", l => o[l].browserAgain.at(-1)!.wasmBytes, v => `${mib(v)} MiB`],
  ]
  const table = [
    "| measure | one room document | segments by month | segmented ÷ single |",
    "|---|---|---|---|",
    ...rows.map(([name, get, fmt]) => `| ${name} | ${fmt(get("single"))} | ${fmt(get("segmented"))} | ${ratio(get("segmented"), get("single"))} |`),
  ]
  const markdown = [
    `Machine: ${machineLine(ctx.machine)}, load average ${loadAverage().toFixed(1)} at the end (other work shared the machine). ${CONFIG.messages.toLocaleString("en")} messages in one room${SCALE !== 1 ? ` (BENCH_SCALE=${SCALE})` : ""}, the same messages in both layouts` +
      ` (segmented: ${CONFIG.months} monthly segments of about ${Math.round(CONFIG.messages / CONFIG.months).toLocaleString("en")}); each layout on its own relay.` +
      ` Target (issue 12): opening a room at its newest messages ≤ 300 ms.`,
    "",
    ...table,
    "",
    `Segmented, the room view reads the newest segment (and the one before, when it holds fewer than ${CONFIG.page} messages); the offline copy holds each room's newest two segments; older ones load as the reader scrolls up.`,
  ].join("\n")
  const summary = rows.map(([name, get, fmt]) => `${name}: single ${fmt(get("single"))}, segmented ${fmt(get("segmented"))} (${ratio(get("segmented"), get("single"))})`).join("\n")
  return { markdown, summary }
}
