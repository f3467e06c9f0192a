/**
 * `npm run bench -- bounded [--json]`: issue 12's targets on its workspace (100,000 tasks,
 * most archived; 100,000 room messages; 100,000 ledger entries; 1,000 residents), built
 * once per layout (bench/boundedWorkspace.ts) and measured the same way for each:
 *
 *  1. a fresh Node peer (CLI or worker) ready to work: time and RSS (bench/syncOpenPeer.ts);
 *  2. append a message, add a task, grant tokens: p50 against an empty workspace, interleaved;
 *  3. the PWA in headless Chromium: cold starts from IndexedDB (bench/ui.ts, bench/uiProbe.ts),
 *     then the big room opened at its newest message, page memory (bench/social.ts);
 *  4. throughput queued → approved with 4 workers and dispatch latency (bench/queue.ts) with
 *     the relay on this workspace;
 *  5. a shortened soak: the relay under a steady load, RSS and storage sampled (bench/boundedSoak.ts).
 *
 * The figures, their targets and the JSON shape: bench/boundedFigures.ts. BENCH_SCALE
 * (default 1) shrinks the workspace, BENCH_SOAK_S (default 120) sets the soak's length,
 * BENCH_BOUNDED_SAMPLES (default 30) the append samples per action and workspace.
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo"
import type { RoomDoc } from "../schemas/index.ts"
import { newId } from "../src/core/ids.ts"
import { postMessage, roomPage as newestMessages, roomSegments, rooms } from "../src/domain/rooms/index.ts"
import { writeSegment } from "../src/domain/rooms/segments.ts"
import { segmentHolds } from "../src/domain/wallets/days.ts"
import { grant, ledgerKeys, openWallets } from "../src/domain/wallets/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { joinAsOperator, launchChromium, serviceWorkerActivated } from "../test/helpers/browser.ts"
import { startFakeGroq } from "../test/helpers/fakeGroq.ts"
import {
  buildReport,
  figuresLegend,
  figuresTable,
  LAYOUTS,
  scaleOf,
  soakFigures,
  type BoundedReport,
  type FigureName,
  type LayoutName,
  type Measured,
  type Scale,
  type SoakSample,
} from "./boundedFigures.ts"
import { soak } from "./boundedSoak.ts"
import { MONTHS } from "./boundedContent.ts"
import { LAYOUT_BUILDERS, SEGMENTERS, type BenchRelay, type BuiltWorkspace, type LayoutBuilder } from "./boundedWorkspace.ts"
import { lineChart } from "./lib/chart.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { openFreshPeer } from "./lib/openPeer.ts"
import { connectBenchPeer, ownerIdentity, whenDoc, type BenchPeer } from "./lib/peers.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { summarize } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { Arrivals, CONFIG as QUEUE, dispatch, throughput } from "./queue.ts"
import { heapAfterGc, openRoom } from "./social.ts"
import { benchRelay, newContext, startOnce, storageSettled } from "./ui.ts"
import { addProbe, readProbe, usableAt, type ProbeResult } from "./uiProbe.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)

export const CONFIG = {
  scale: env("BENCH_SCALE", 1),
  soakSeconds: env("BENCH_SOAK_S", 120),
  append: { samples: env("BENCH_BOUNDED_SAMPLES", 30), warmup: 5, minIntervalMs: 110 },
  coldStarts: 3,
  /** For development: the parts to run (BENCH_BOUNDED_PARTS=peer,appends,pwa,queue,soak); the others' figures are null. */
  parts: new Set((process.env.BENCH_BOUNDED_PARTS ?? "peer,appends,pwa,queue,soak").split(",").map(p => p.trim())),
  queue: { workers: 4, concurrency: 16 },
  timeoutMs: 600_000,
  chart: "docs/bounded-soak.svg",
}

export const suite: BenchSuite = {
  name: "bounded",
  heading: "## Bounded workspace (npm run bench -- bounded)",
  description: "issue 12's targets on a workspace of 100,000 tasks, messages and ledger entries (BENCH_SCALE), per layout: PWA cold start, room open, fresh peer, appends, throughput, soak",
  run,
}

type Figures = Partial<Record<FigureName, Measured>>
const MIB = 1024 ** 2
const sleep = (t: number) => new Promise<void>(resolve => setTimeout(resolve, Math.max(0, t)))
const median = (xs: readonly number[]) => summarize(xs).p50

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const scale = scaleOf(CONFIG.scale, CONFIG.soakSeconds)
  ctx.log(`scale ${scale.factor}: ${scale.tasks} tasks (${scale.liveTasks} live), ${scale.messages} messages, ${scale.ledgerEntries} ledger entries, ${scale.residents} residents; soak ${scale.soakSeconds} s`)
  const layouts = {} as Parameters<typeof buildReport>[0]["layouts"]
  const soaks: Partial<Record<LayoutName, SoakSample[]>> = {}
  for (const layout of LAYOUTS) {
    const builder = LAYOUT_BUILDERS[layout]
    if ("reason" in builder) {
      layouts[layout] = { built: false, reason: builder.reason }
      continue
    }
    const measured = await scoped(ctx.cleanup, layout, scope => measureLayout(ctx, scope, layout, builder, scale, soaks))
    layouts[layout] = { built: true, measured }
  }
  const report = buildReport({ machine: ctx.machine, scale, layouts })
  const seconds = (performance.now() - started) / 1000
  const chart = soakChart(soaks)
  return {
    markdown: markdown(report, { seconds, loadBefore, loadAfter: loadAverage(), chart: !!chart }),
    summary: figuresTable(report),
    json: report,
    ...(chart ? { files: [{ path: CONFIG.chart, content: chart }] } : {}),
  }
}

/** Every part on one layout; a part that fails leaves its figures null with the error as the reason, and the others still run. */
async function measureLayout(ctx: SuiteContext, scope: Cleanup, layout: LayoutName, builder: LayoutBuilder, scale: Scale, soaks: Partial<Record<LayoutName, SoakSample[]>>): Promise<Figures> {
  const figures: Figures = {}
  const part = async (label: string, names: FigureName[], fn: () => Promise<Figures>) => {
    if (!CONFIG.parts.has(label)) {
      for (const n of names) figures[n] = { reason: `${label}: not run (BENCH_BOUNDED_PARTS)` }
      return
    }
    const t0 = performance.now()
    try {
      Object.assign(figures, await fn())
      ctx.log(`${layout}, ${label}: ${names.map(n => `${n} ${fmt(figures[n])}`).join(", ")} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
    } catch (error) {
      const reason = `${label} failed: ${(error as Error).message.split("\n")[0]}`
      ctx.log(`${layout}, ${reason}`)
      for (const n of names) figures[n] = { reason }
    }
  }
  const built = await builder.build(ctx, scope, scale)
  const { relay } = built
  await part("peer", ["peer.ready", "peer.rss"], () => freshPeer(scope, relay, built.liveTasks))
  await part("appends", ["append.message.p50", "append.message.ratio", "append.task.p50", "append.task.ratio", "append.grant.p50", "append.grant.ratio"], () =>
    scoped(scope, "appends", s => appends(ctx, s, relay, built.leaveOut)),
  )
  await part("pwa", ["pwa.coldStart", "pwa.shellUsable", "pwa.longestTask", "room.openNewest", "page.memory"], () => scoped(scope, "PWA", s => pwa(ctx, s, built)))
  // The parts below restart the relay from its data directory, in their own processes.
  await built.stop()
  await part("queue", ["queue.throughput", "queue.dispatchP50"], () => scoped(scope, "queue", s => queue(ctx, s, layout, relay.dataDir, built.leaveOut)))
  await part("soak", ["soak.relayRssGrowth", "soak.storagePerNewByte"], () =>
    scoped(scope, "soak", async s => {
      const result = await soak(ctx, s, relay.dataDir, scale.soakSeconds, built.leaveOut)
      soaks[layout] = result.samples
      const f = soakFigures(result.samples)
      return { "soak.relayRssGrowth": f.relayRssGrowthPct, "soak.storagePerNewByte": f.storagePerNewByte }
    }),
  )
  return figures
}

const fmt = (m: Measured | undefined) => (m === undefined ? "missing" : typeof m === "number" ? m.toFixed(1) : "n/a")

// ── 1. a fresh peer ─────────────────────────────────────────────────────────

async function freshPeer(scope: Cleanup, relay: BenchRelay, liveTasks: number): Promise<Figures> {
  const r = await openFreshPeer(scope, "fresh peer", { system: "vivarium", wsUrl: relay.wsUrl, token: relay.token, dataDir: relay.dataDir, tasks: liveTasks, messages: 0, room: false }, CONFIG.timeoutMs)
  return { "peer.ready": r.allReadyMs, "peer.rss": r.rssAfter / MIB }
}

// ── 2. appends against an empty workspace ───────────────────────────────────

const ACTIONS = ["message", "task", "grant"] as const
type Action = (typeof ACTIONS)[number]
/** One timed action: from the call on a writer peer until a reader peer sees it, ms. */
type Timed = (i: number) => Promise<number>

async function closeLater(scope: Cleanup, peer: BenchPeer): Promise<BenchPeer> {
  scope.add("close append peer", () => peer.close())
  return peer
}

/** The document of the town_hall room a message posted now goes into (its newest segment), as `repo` holds it. */
async function townHall(repo: Repo, workspace: Workspace): Promise<DocHandle<RoomDoc>> {
  const entry = (await rooms(workspace)).get("town_hall")!
  return repo.find<RoomDoc>(writeSegment(roomSegments(entry), Date.now()).url as AutomergeUrl)
}

/** A writer and a reader on `relay`, acting as its owner: each action written by one, timed until the other sees it. */
async function appendActions(scope: Cleanup, relay: BenchRelay): Promise<Record<Action, Timed>> {
  const writer = await closeLater(scope, await connectBenchPeer("vivarium", relay))
  const reader = await closeLater(scope, await connectBenchPeer("vivarium", relay))
  const owner = await ownerIdentity(relay.dataDir)
  const actor = { kind: "operator", name: owner.name } as const
  const seenRoom = await townHall(reader.repo, reader.workspace!)
  const [wallets, seenWallets] = await Promise.all([openWallets(writer.workspace!), openWallets(reader.workspace!)])
  const timed = async (write: () => Promise<unknown> | unknown, seen: () => Promise<void>) => {
    const t0 = performance.now()
    await write()
    await seen()
    return performance.now() - t0
  }
  const wait = <T>(handle: DocHandle<T>, test: (d: T) => boolean, what: string) => () => whenDoc(handle, test, 30_000, what)
  return {
    message: i => {
      const target = seenRoom.doc().messages.length + 1
      const content = `Append sample ${i}: the nightly run finished; two tests were flaky.`
      return timed(() => postMessage({ workspace: writer.workspace!, actor }, "town_hall", { content, importance: 5 }), wait(seenRoom, d => d.messages.length >= target, "reader: the message"))
    },
    task: i => {
      let id = ""
      return timed(
        () => (id = writer.workspace!.addTask({ prompt: `Append sample ${i}: summarise the build log in one sentence.` }, actor).id),
        wait(reader.workspace!.queueHandle, d => !!d.tasks[id], "reader: the task"),
      )
    },
    grant: i => {
      const at = Date.now()
      const key = ledgerKeys.manualGrant(newId("grant", at))
      return timed(() => grant(wallets, { key, identity: "resident-000", amount: 5, reason: `append sample ${i}`, at }, { actor, key: owner.key }), wait(seenWallets.open, d => segmentHolds(d, key), "reader: the grant"))
    },
  }
}

/**
 * Each action alternates between the big and the empty workspace sample by sample, so both
 * see the same machine; a workspace's next sample starts ≥ minIntervalMs after its previous
 * one was seen (automerge-repo sends a document's sync messages at most every 100 ms).
 */
async function appends(ctx: SuiteContext, scope: Cleanup, big: BenchRelay, leaveOut: readonly string[]): Promise<Figures> {
  const { relay: empty } = await benchRelay(scope, { leaveOut })
  const rigs = { big: await appendActions(scope, big), empty: await appendActions(scope, empty) }
  const { samples, warmup, minIntervalMs } = CONFIG.append
  const figures: Figures = {}
  for (const action of ACTIONS) {
    const out = { big: [] as number[], empty: [] as number[] }
    const lastSeen = { big: 0, empty: 0 }
    for (let i = 0; i < warmup + samples; i++)
      for (const which of ["big", "empty"] as const) {
        await sleep(lastSeen[which] + minIntervalMs - performance.now())
        const t = await rigs[which][action](i)
        lastSeen[which] = performance.now()
        if (i >= warmup) out[which].push(t)
      }
    const p50 = median(out.big)
    figures[`append.${action}.p50`] = p50
    figures[`append.${action}.ratio`] = p50 / median(out.empty)
    ctx.log(`append ${action}: p50 ${p50.toFixed(1)} ms, empty workspace ${median(out.empty).toFixed(1)} ms`)
  }
  return figures
}

// ── 3. the PWA ──────────────────────────────────────────────────────────────

/** One cold start's figures, ms since navigation start. */
function startFigures(probe: ProbeResult): { usable: number; shell: number; longest: number } {
  const usable = usableAt(probe, probe.paintedAt ?? NaN)
  const shell = usableAt(probe, probe.shellAt ?? NaN)
  const longest = Math.max(0, ...probe.longTasks.filter(t => t.start < usable).map(t => t.end - t.start))
  return { usable, shell, longest }
}

/**
 * An operator joins once (the test helper `joinAsOperator`), the service worker activates and
 * IndexedDB settles (the offline copy holds the room and the ledger); then cold starts, relay
 * up, until the dashboard's approved count shows the live tasks; then /rooms/town_hall twice
 * (the second surely from IndexedDB) until its newest message is painted.
 */
async function pwa(ctx: SuiteContext, scope: Cleanup, built: BuiltWorkspace): Promise<Figures> {
  const { relay } = built
  const browser = await launchChromium()
  scope.add("close Chromium", () => browser.close())
  const context = await newContext(scope, browser)
  const count = String(built.liveTasks)
  let page = await context.newPage()
  await addProbe(page, "dash-count-approved", count)
  await joinAsOperator(page, relay, "Bench")
  await readProbe(page, CONFIG.timeoutMs)
  await serviceWorkerActivated(page)
  const stored = await storageSettled(page)
  ctx.log(`PWA joined; IndexedDB settled at ${stored.records} records, ${(stored.bytes / MIB).toFixed(1)} MiB`)
  const starts: ReturnType<typeof startFigures>[] = []
  for (let i = 0; i < CONFIG.coldStarts; i++) {
    const r = await startOnce(context, page, `${relay.httpUrl}/`, false, count, "dash-count-approved")
    page = r.page
    starts.push(startFigures(r.start.probe))
    ctx.log(`cold start ${i + 1}: usable ${starts.at(-1)!.usable.toFixed(0)} ms, shell ${starts.at(-1)!.shell.toFixed(0)} ms, longest task ${starts.at(-1)!.longest.toFixed(0)} ms`)
  }
  await page.close()

  const newest = (await newestMessages(relay.workspace, "town_hall", 1)).messages.at(-1)!.id
  const selector = `[data-testid="room-messages"] [data-testid="message-${newest}"]`
  const url = `${relay.httpUrl}/rooms/town_hall`
  const first = await openRoom(context, url, selector, "big room")
  await first.page.close()
  const { page: roomPage, open } = await openRoom(context, url, selector, "big room, IndexedDB")
  const heap = await heapAfterGc(roomPage)
  await roomPage.close()
  ctx.log(`room: first open ${first.open.paintedAt.toFixed(0)} ms, second ${open.paintedAt.toFixed(0)} ms; JS heap ${(heap.usedBytes / MIB).toFixed(0)} MiB + WASM ${(open.wasmBytes / MIB).toFixed(0)} MiB`)
  return {
    "pwa.coldStart": median(starts.map(s => s.usable)),
    "pwa.shellUsable": median(starts.map(s => s.shell)),
    "pwa.longestTask": Math.max(...starts.map(s => s.longest)),
    "room.openNewest": open.paintedAt,
    "page.memory": (heap.usedBytes + open.wasmBytes) / MIB,
  }
}

// ── 4. the queue ────────────────────────────────────────────────────────────

async function queue(ctx: SuiteContext, scope: Cleanup, layout: LayoutName, dataDir: string, leaveOut: readonly string[]): Promise<Figures> {
  const fake = await startFakeGroq()
  scope.add("fake groq", () => fake.close())
  const arrivals = new Arrivals(fake)
  const { workers, concurrency } = CONFIG.queue
  const tp = await throughput(ctx, fake, arrivals, { dataDir, leaveOut, workers, concurrency, rateLimitPerMinute: QUEUE.rateLimitPerMinute }, `bounded-${layout}-${workers}w`, QUEUE.throughput.tasks)
  if (tp.batch.approved < tp.batch.n) throw new Error(`only ${tp.batch.approved} of ${tp.batch.n} tasks approved`)
  const d = await dispatch(ctx, fake, arrivals, 1, { dataDir, leaveOut, workerPrefix: "bench-dispatch-w" })
  return { "queue.throughput": tp.batch.tasksPerSec, "queue.dispatchP50": d.dispatch.p50 }
}

// ── report ──────────────────────────────────────────────────────────────────

function soakChart(soaks: Partial<Record<LayoutName, SoakSample[]>>): string | undefined {
  const measured = Object.entries(soaks) as [LayoutName, SoakSample[]][]
  if (!measured.length) return undefined
  return lineChart(
    "Relay under a steady load: RSS and data directory over the soak",
    "seconds since the load started",
    measured.flatMap(([layout, samples]) => [
      { name: `${layout}: relay RSS`, unit: "MiB", points: samples.map(s => [s.t, s.rssBytes / MIB] as const) },
      { name: `${layout}: relay data directory`, unit: "MiB", points: samples.map(s => [s.t, s.storageBytes / MIB] as const) },
    ]),
  )
}

function markdown(report: BoundedReport, run: { seconds: number; loadBefore: number; loadAfter: number; chart: boolean }): string {
  const s = report.scale
  return [
    "Issue 12's targets, each taken for every workspace layout side by side. `npm run bench -- bounded --json` prints the same figures as one JSON object " +
      "(`{machine, scale, layouts, figures}`; each figure keyed `<layout>/<figure>`: `{value, unit, target: {op, value} | null, met, reason?}`; " +
      "`value` and `met` are null, with a `reason`, for what could not be measured; format checked by `BoundedReport` in bench/boundedFigures.ts and test/unit/boundedFigures.test.ts). " +
      "`BENCH_SCALE` shrinks the workspace, `BENCH_SOAK_S` sets the soak's length, `BENCH_BOUNDED_SAMPLES` the append samples.",
    "",
    `**Machine:** ${machineLine(report.machine)}; load average ${run.loadBefore} before, ${run.loadAfter} after (2 cores shared with other work: expect noise). ${codeVersion(REPO_ROOT)}, ${report.machine.date}, ${run.seconds.toFixed(0)} s.`,
    "",
    `**Scale ${s.factor}** (BENCH_SCALE; 1 is the issue's workspace): ${s.tasks} tasks (${s.liveTasks} live in the queue, finished within the last day; the rest in ${MONTHS - 1} monthly archives), ` +
      `${s.messages} messages in town_hall and ${s.ledgerEntries} ledger entries, each spread evenly over the ${MONTHS} months up to now, ${s.residents} residents; soak ${s.soakSeconds} s` +
      (s.factor < 1 ? ". A shrunk workspace: these numbers show the harness and today's floor, not the verdict at the issue's size." : "."),
    "",
    figuresTable(report),
    "",
    ...(run.chart ? [`![Relay RSS and data directory over the soak](${CONFIG.chart.replace(/^docs\//, "")})`, ""] : []),
    "**Figures** (✓ target met, ✗ missed):",
    "",
    figuresLegend(),
    "",
    "**Layouts** (bench/boundedWorkspace.ts; the same content in both, bench/boundedContent.ts: a year of history; tasks stored as the product stores them, their strings immutable values). " +
      "`single-document` is the layout before issue 12: the live queue, one archive per month, one document per room, one wallets document (entries in one flat map), " +
      `on a relay without the extensions that split documents (${SEGMENTERS.map(n => `\`${n}\``).join(", ")}: left out by name, bench/lib/relays.ts \`leavingOut\`, in every relay of that layout, the empty workspace of the appends and the restarts of the queue and soak parts included). ` +
      "`segmented` is today's, on the whole relay: the room in month segments listed newest first, the ledger in month segments with day maps and a relay-signed checkpoint for each closed month, " +
      "written month by month with each month's clock by the functions the relay's `room-segments` and `ledger-books` call (addDueSegments, openPeriod, closePeriods). " +
      "Both are built on one relay, then measured on a relay restarted from the data directory. The soak's relay is bench/relayWithout.ts for both layouts (the relay from source, nothing left out for `segmented`). " +
      "The ledger's entries (bench/social.ts `makeLedger`) are unsigned, so derivation counts none of them in either layout and the checkpoints carry no balances; what differs is what is loaded and validated.",
  ].join("\n")
}
