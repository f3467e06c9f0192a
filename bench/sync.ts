/**
 * `npm run bench -- sync`: Vivarium's replication path against a bare automerge-repo relay
 * (bench/bareRelay.ts), in one run, on the same machine:
 *
 *  1. change→visible latency between two peers through the relay (isolated changes);
 *  2. a fresh peer opening a workspace of 10,000 tasks and 10,000 messages (time, memory);
 *  3. many editors typing into Automerge text: one shared quest document and one document
 *     per editor, K = 4, 8, 16, with the relay's CPU and RSS.
 *
 * Both relays run as child processes (the Vivarium one through the real CLI). Peers of
 * parts 1 and 3 run in this process; typists and the fresh peer of part 2 in children.
 * Set BENCH_SYNC_QUICK=1 for a short smoke run (small sizes; numbers not meaningful).
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { QuestDoc, QuestIndexDoc, QueueDoc, RoomDoc, RoomIndexDoc } from "../schemas/index.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { withTimeout } from "./lib/cleanup.ts"
import { loadAverage, machineLine } from "./lib/machine.ts"
import { connectBenchPeer, whenDoc, whenRelayHas, type BenchPeer } from "./lib/peers.ts"
import { cpuSeconds, epochNow, rssBytes, rssSampler, spawnNode } from "./lib/proc.ts"
import { startRelayProcess, SYSTEMS, type RelayProcess, type SystemName } from "./lib/relays.ts"
import { mib, ms, ratio, summarize, type Summary } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { emptyQueue, makeMessage, makeQuest, makeTask } from "./syncData.ts"
import type { OpenConfig, OpenResult } from "./syncOpenPeer.ts"
import type { TypistsConfig, TypistsDone } from "./syncTypists.ts"

const QUICK = process.env.BENCH_SYNC_QUICK === "1"

const CONFIG = {
  latency: {
    samples: QUICK ? 40 : 500,
    warmup: 10,
    /** Pause after the previous change was seen before the next one (see the throttle note). */
    gapMs: 105,
    sweepGaps: [0, 50, 100],
    sweepSamples: QUICK ? 5 : 20,
    tasksInQueue: 100,
  },
  open: { tasks: QUICK ? 1_000 : 10_000, messages: QUICK ? 1_000 : 10_000, batch: 1_000, runs: QUICK ? 1 : 3 },
  editors: {
    ks: QUICK ? [2, 4] : [4, 8, 16],
    charsPerSecond: 6,
    durationMs: QUICK ? 3_000 : 8_000,
    /** Keystrokes of the first second are sent but left out of the statistics. */
    warmupMs: 1_000,
    /** How long after the last keystroke the observer may take to see everything. */
    drainMs: 8_000,
  },
}

export const suite: BenchSuite = {
  name: "sync",
  heading: "## Sync (npm run bench -- sync)",
  description: "Vivarium relay and peers vs a bare automerge-repo relay: latency, big-workspace open, many editors",
  run,
}

const sleep = (msToWait: number) => new Promise<void>(resolve => setTimeout(resolve, Math.max(0, msToWait)))

async function closeLater(scope: Cleanup, peer: BenchPeer, label: string): Promise<BenchPeer> {
  scope.add(`close ${label}`, () => peer.close())
  return peer
}

// ── 1. change → visible latency ─────────────────────────────────────────────

interface LatencyRig {
  /** Makes one change on peer A; resolves with ms until peer B's handle emitted it. */
  measure(stamp: number): Promise<number>
}

async function latencyRig(scope: Cleanup, system: SystemName, relay: RelayProcess): Promise<LatencyRig> {
  const a = await closeLater(scope, await connectBenchPeer(system, relay), `${system} peer A`)
  const b = await closeLater(scope, await connectBenchPeer(system, relay), `${system} peer B`)
  const now = Date.now()
  const tasks = Array.from({ length: CONFIG.latency.tasksInQueue }, (_, i) => makeTask(i, now))
  const target = tasks[0]!.id
  let handleA: DocHandle<QueueDoc>
  let handleB: DocHandle<QueueDoc>
  let edit: (stamp: number) => void
  let check: (stamp: number) => void = () => {}
  if (system === "vivarium") {
    const wsA = a.workspace!
    const wsB = b.workspace!
    handleA = wsA.queueHandle
    handleA.change(d => {
      for (const t of tasks) d.tasks[t.id] = t
    })
    await whenRelayHas(a, handleA)
    handleB = wsB.queueHandle
    // The Workspace path: updateTask on A; on B the validated view is updated by the
    // Workspace's own listener, which runs before ours on the same 'change' event.
    edit = stamp =>
      wsA.updateTask(target, draft => {
        draft.updatedAt = stamp
      })
    check = stamp => {
      if (wsB.tasks.get(target)?.updatedAt !== stamp) throw new Error("vivarium peer B: validated view lags its document")
    }
  } else {
    handleA = a.repo.create<QueueDoc>({ ...emptyQueue(), tasks: Object.fromEntries(tasks.map(t => [t.id, t])) })
    await whenRelayHas(a, handleA)
    handleB = await b.repo.find<QueueDoc>(handleA.url)
    edit = stamp =>
      handleA.change(d => {
        d.tasks[target]!.updatedAt = stamp
      })
  }
  await whenDoc(handleB, d => !!d.tasks?.[target], 30_000, `${system} peer B sees the queue`)

  let pending: { stamp: number; seen: (t: number) => void } | undefined
  handleB.on("change", ({ doc }) => {
    if (pending && doc.tasks[target]?.updatedAt === pending.stamp) {
      const t = performance.now()
      const p = pending
      pending = undefined
      p.seen(t)
    }
  })
  return {
    measure(stamp) {
      return withTimeout(
        new Promise<number>(resolve => {
          let t0 = 0
          pending = {
            stamp,
            seen: t => {
              check(stamp)
              resolve(t - t0)
            },
          }
          t0 = performance.now()
          edit(stamp)
        }),
        10_000,
        `${system} change ${stamp} reaching peer B`,
      )
    },
  }
}

interface LatencyResults {
  main: Record<SystemName, Summary>
  sweep: { gapMs: number; stats: Record<SystemName, Summary> }[]
}

export async function latencyPart(ctx: SuiteContext): Promise<LatencyResults> {
  return scoped(ctx.cleanup, "latency", async scope => {
    const relays = {} as Record<SystemName, RelayProcess>
    const rigs = {} as Record<SystemName, LatencyRig>
    for (const system of SYSTEMS) {
      relays[system] = await startRelayProcess(scope, system)
      rigs[system] = await latencyRig(scope, system, relays[system])
    }
    let stamp = Date.now()
    const lastSeen: Record<SystemName, number> = { vivarium: 0, bare: 0 }
    const sample = async (system: SystemName, gapMs: number) => {
      // Timed gap = part of the load model: it keeps automerge-repo's 100 ms per-document
      // sync throttle (on peer A and on the relay) out of the measurement.
      await sleep(lastSeen[system] + gapMs - performance.now())
      const latency = await rigs[system].measure(++stamp)
      lastSeen[system] = performance.now()
      return latency
    }
    // The systems alternate change by change (the first one swaps each round), so both
    // see the same machine conditions; each system's own changes stay gapMs apart.
    const rounds = async (count: number, gapMs: number) => {
      const out: Record<SystemName, number[]> = { vivarium: [], bare: [] }
      for (let r = 0; r < count; r++) {
        const order = r % 2 ? [...SYSTEMS].reverse() : SYSTEMS
        for (const system of order) out[system].push(await sample(system, gapMs))
      }
      return out
    }
    const { warmup, samples, gapMs, sweepGaps, sweepSamples } = CONFIG.latency
    await rounds(warmup, gapMs)
    // The sweep runs one system at a time: interleaved, the other system's latency would
    // stretch the pause and hide the throttle.
    const sweep: LatencyResults["sweep"] = []
    for (const gap of sweepGaps) {
      const stats = {} as Record<SystemName, Summary>
      for (const system of SYSTEMS) {
        const r: number[] = []
        for (let i = 0; i < sweepSamples; i++) r.push(await sample(system, gap))
        stats[system] = summarize(r)
      }
      sweep.push({ gapMs: gap, stats })
      ctx.log(`latency gap ${gap} ms: vivarium p50 ${ms(stats.vivarium.p50)} bare p50 ${ms(stats.bare.p50)}`)
    }
    const main = await rounds(samples, gapMs)
    const result = { vivarium: summarize(main.vivarium), bare: summarize(main.bare) }
    ctx.log(`latency (${samples} isolated changes each): vivarium p50 ${ms(result.vivarium.p50)} p99 ${ms(result.vivarium.p99)}; bare p50 ${ms(result.bare.p50)} p99 ${ms(result.bare.p99)}`)
    return { main: result, sweep }
  })
}

// ── 2. opening a big workspace ──────────────────────────────────────────────

interface BuildInfo {
  queueUrl: string
  roomUrl: string
  /** The batched `change` calls, done once for both systems. */
  buildMs: number
  /** Until both relays reported holding every change (they receive in parallel). */
  syncMs: number
}

/**
 * Builds the big documents once and gives both systems the same bytes. The batches are
 * applied to a copy of the Vivarium workspace's own queue and town_hall documents, so the
 * Vivarium side merges them into its real documents without conflict; the bare side
 * imports the same history as new documents.
 */
async function buildBoth(ctx: SuiteContext, scope: Cleanup, relays: Record<SystemName, RelayProcess>): Promise<Record<SystemName, BuildInfo>> {
  const { tasks, messages, batch } = CONFIG.open
  const viv = await connectBenchPeer("vivarium", relays.vivarium)
  const closeViv = scope.add("close vivarium builder", () => viv.close())
  const bare = await connectBenchPeer("bare", relays.bare)
  const closeBare = scope.add("close bare builder", () => bare.close())
  const ws = viv.workspace!
  const vivQueue = ws.queueHandle
  const index = await viv.repo.find<RoomIndexDoc>(ws.root.docs.rooms as AutomergeUrl)
  const vivRoom = await viv.repo.find<RoomDoc>(index.doc().rooms["town_hall"]!.url as AutomergeUrl)

  const now = Date.now()
  const t0 = performance.now()
  let queue = A.load<QueueDoc>(A.save(vivQueue.doc()))
  for (let start = 0; start < tasks; start += batch)
    queue = A.change(queue, d => {
      for (let i = start; i < Math.min(tasks, start + batch); i++) {
        const task = makeTask(i, now)
        d.tasks[task.id] = task
      }
    })
  let room = A.load<RoomDoc>(A.save(vivRoom.doc()))
  for (let start = 0; start < messages; start += batch)
    room = A.change(room, d => {
      for (let i = start; i < Math.min(messages, start + batch); i++) d.messages.push(makeMessage(i, now))
    })
  const buildMs = performance.now() - t0
  ctx.log(`built ${tasks} tasks + ${messages} messages in ${ms(buildMs)} ms of change calls`)

  const t1 = performance.now()
  vivQueue.update(d => A.merge(d, queue))
  vivRoom.update(d => A.merge(d, room))
  const bareQueue = bare.repo.import<QueueDoc>(A.save(queue))
  const bareRoom = bare.repo.import<RoomDoc>(A.save(room))
  const reached: Record<SystemName, number> = { vivarium: 0, bare: 0 }
  await Promise.all([
    Promise.all([whenRelayHas(viv, vivQueue, 300_000), whenRelayHas(viv, vivRoom, 300_000)]).then(() => (reached.vivarium = performance.now() - t1)),
    Promise.all([whenRelayHas(bare, bareQueue, 300_000), whenRelayHas(bare, bareRoom, 300_000)]).then(() => (reached.bare = performance.now() - t1)),
  ])
  if (ws.tasks.entries.size !== tasks) throw new Error(`vivarium builder validated ${ws.tasks.entries.size} of ${tasks} tasks`)
  ctx.log(`at the relays after ${ms(reached.vivarium)} ms (vivarium) / ${ms(reached.bare)} ms (bare), sent in parallel`)
  await closeViv()
  await closeBare()
  return {
    vivarium: { queueUrl: vivQueue.url, roomUrl: vivRoom.url, buildMs, syncMs: reached.vivarium },
    bare: { queueUrl: bareQueue.url, roomUrl: bareRoom.url, buildMs, syncMs: reached.bare },
  }
}

async function openOnce(scope: Cleanup, system: SystemName, relay: RelayProcess, build: BuildInfo): Promise<OpenResult> {
  const config: OpenConfig = {
    system,
    wsUrl: relay.wsUrl,
    token: relay.token,
    tasks: CONFIG.open.tasks,
    messages: CONFIG.open.messages,
    ...(system === "bare" ? { queueUrl: build.queueUrl, roomUrl: build.roomUrl } : {}),
  }
  const child = spawnNode(scope, `${system} fresh peer`, ["--expose-gc", "--import", "tsx"], ["bench/syncOpenPeer.ts", JSON.stringify(config)])
  const m = await child.waitForLine(/^RESULT (.*)$/, 300_000)
  await withTimeout(child.exited, 15_000, `${system} fresh peer exit`).catch(() => child.stop())
  return JSON.parse(m[1]!) as OpenResult
}

interface OpenResults {
  build: Record<SystemName, BuildInfo>
  runs: Record<SystemName, OpenResult[]>
  median: Record<SystemName, OpenResult>
  relayRssAfterOpens: Record<SystemName, number>
}

function medianBy(results: OpenResult[]): OpenResult {
  const pick = (key: keyof OpenResult) => {
    const v = results.map(r => r[key] as number).sort((a, b) => a - b)
    return v[Math.floor((v.length - 1) / 2)]!
  }
  return {
    system: results[0]!.system,
    connectMs: pick("connectMs"),
    tasksReadyMs: pick("tasksReadyMs"),
    allReadyMs: pick("allReadyMs"),
    roomValidateMs: pick("roomValidateMs"),
    cpuMs: pick("cpuMs"),
    rssDelta: pick("rssDelta"),
    heapUsedDelta: pick("heapUsedDelta"),
    externalDelta: pick("externalDelta"),
    rssAfter: pick("rssAfter"),
    heapUsedAfter: pick("heapUsedAfter"),
  }
}

export async function openPart(ctx: SuiteContext): Promise<OpenResults> {
  return scoped(ctx.cleanup, "open", async scope => {
    const relays = {} as Record<SystemName, RelayProcess>
    for (const system of SYSTEMS) relays[system] = await startRelayProcess(scope, system)
    const build = await buildBoth(ctx, scope, relays)
    const runs: Record<SystemName, OpenResult[]> = { vivarium: [], bare: [] }
    for (let r = 0; r < CONFIG.open.runs; r++)
      for (const system of r % 2 ? [...SYSTEMS].reverse() : SYSTEMS) {
        const result = await openOnce(scope, system, relays[system], build[system])
        runs[system].push(result)
        ctx.log(`${system} fresh peer: all ready in ${ms(result.allReadyMs)} ms, RSS +${mib(result.rssDelta)} MiB, heap +${mib(result.heapUsedDelta)} MiB`)
      }
    return {
      build,
      runs,
      median: { vivarium: medianBy(runs.vivarium), bare: medianBy(runs.bare) },
      relayRssAfterOpens: { vivarium: rssBytes(relays.vivarium.pid), bare: rssBytes(relays.bare.pid) },
    }
  })
}

// ── 3. many editors ─────────────────────────────────────────────────────────

type DocMode = "shared" | "own"

interface PhaseResult {
  system: SystemName
  mode: DocMode
  k: number
  latency: Summary
  measured: number
  unseen: number
  relayCpuPct: number
  relayRssPeak: number
  /** Relay RSS with every peer connected and the documents open, just before typing. */
  relayRssIdle: number
  typistsCpuPct: number
  observerCpuPct: number
  maxLateMs: number
  wallMs: number
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz"

export async function editorsPhase(ctx: SuiteContext, system: SystemName, mode: DocMode, k: number): Promise<PhaseResult> {
  if (k > LETTERS.length) throw new Error(`at most ${LETTERS.length} typists`)
  const { charsPerSecond, durationMs, warmupMs, drainMs } = CONFIG.editors
  return scoped(ctx.cleanup, `editors ${system} ${mode} K=${k}`, async scope => {
    // Start the typists' process first: it loads its modules while the relay starts.
    const typists = spawnNode(scope, `${system} typists`, ["--import", "tsx"], ["bench/syncTypists.ts"])
    const relay = await startRelayProcess(scope, system)
    const observer = await closeLater(scope, await connectBenchPeer(system, relay), `${system} observer`)
    const now = Date.now()
    const docCount = mode === "shared" ? 1 : k
    const handles = Array.from({ length: docCount }, (_, i) =>
      observer.repo.create<QuestDoc>(makeQuest(i, "\n".repeat(mode === "shared" ? k : 1), now)),
    )
    const toSync: DocHandle<unknown>[] = [...handles]
    if (system === "vivarium") {
      // The Vivarium way to publish a quest: list it in the workspace's quest index.
      const index = await observer.repo.find<QuestIndexDoc>(observer.workspace!.root.docs.quests as AutomergeUrl)
      index.change(d => {
        handles.forEach((h, i) => {
          d.quests[`quest-${i}`] = { id: `quest-${i}`, title: `Benchmark quest ${i}`, url: h.url, createdAt: now }
        })
      })
      toSync.push(index)
    }
    await Promise.all(toSync.map(h => whenRelayHas(observer, h, 30_000)))

    // Observer: keystroke n of typist i is the n-th letter i to appear in the text.
    const letterIndex = new Map([...LETTERS.slice(0, k)].map((c, i) => [c, i]))
    const seen: number[][] = Array.from({ length: k }, () => [])
    let expected: number[] | undefined
    let drained: (() => void) | undefined
    const isDrained = () => !!expected && expected.every((n, i) => seen[i]!.length >= n)
    for (const h of handles)
      h.on("change", ({ patches }) => {
        const t = epochNow()
        for (const p of patches) {
          if (p.action !== "splice" || p.path[0] !== "objective") continue
          for (const ch of p.value) {
            const i = letterIndex.get(ch)
            if (i !== undefined) seen[i]!.push(t)
          }
        }
        if (drained && isDrained()) drained()
      })

    const config: TypistsConfig = {
      system,
      wsUrl: relay.wsUrl,
      token: relay.token,
      typists: Array.from({ length: k }, (_, i) => ({
        letter: LETTERS[i]!,
        docUrl: handles[mode === "shared" ? 0 : i]!.url,
        cursorIndex: mode === "shared" ? i : 0,
      })),
      periodMs: 1000 / charsPerSecond,
      durationMs,
    }
    await typists.waitForLine(/^LOADED$/, 60_000)
    typists.send(`CONFIG ${JSON.stringify(config)}`)
    await typists.waitForLine(/^READY$/, 60_000)

    const relayRssIdle = rssBytes(relay.pid)
    const startAt = epochNow() + 300
    typists.send(`GO ${startAt}`)
    await sleep(startAt - epochNow())
    const cpu0 = cpuSeconds(relay.pid)
    const obs0 = process.cpuUsage()
    const rss = rssSampler(relay.pid)
    const w0 = epochNow()
    const doneLine = await typists.waitForLine(/^DONE (.*)$/, durationMs + 60_000)
    const w1 = epochNow()
    const cpu1 = cpuSeconds(relay.pid)
    const obs = process.cpuUsage(obs0)
    const { peak } = rss.stop()
    const done = JSON.parse(doneLine[1]!) as TypistsDone

    expected = Array.from({ length: k }, () => 0)
    for (const [i] of done.sends) expected[i]!++
    if (!isDrained())
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, drainMs)
        drained = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    drained = undefined

    const latencies: number[] = []
    for (const [i, n, t] of done.sends) {
      if (t - startAt < warmupMs) continue
      const at = seen[i]![n]
      latencies.push(at === undefined ? Infinity : at - t)
    }
    typists.send("EXIT")
    await withTimeout(typists.exited, 15_000, "typists exit").catch(() => typists.stop())
    const wallMs = w1 - w0
    const result: PhaseResult = {
      system,
      mode,
      k,
      latency: summarize(latencies),
      measured: latencies.length,
      unseen: latencies.filter(l => !Number.isFinite(l)).length,
      relayCpuPct: ((cpu1 - cpu0) / (wallMs / 1000)) * 100,
      relayRssPeak: peak,
      relayRssIdle,
      typistsCpuPct: (done.cpuMs / wallMs) * 100,
      observerCpuPct: ((obs.user + obs.system) / 1000 / wallMs) * 100,
      maxLateMs: done.maxLateMs,
      wallMs,
    }
    ctx.log(
      `editors ${system} ${mode} K=${k}: p50 ${ms(result.latency.p50)} p99 ${ms(result.latency.p99)} ms, ` +
        `unseen ${result.unseen}/${result.measured}, relay CPU ${result.relayCpuPct.toFixed(0)}%, RSS ${mib(peak)} MiB`,
    )
    return result
  })
}

export async function editorsPart(ctx: SuiteContext): Promise<PhaseResult[]> {
  const results: PhaseResult[] = []
  let flip = false
  for (const k of CONFIG.editors.ks)
    for (const mode of ["shared", "own"] as const) {
      for (const system of flip ? [...SYSTEMS].reverse() : SYSTEMS) results.push(await editorsPhase(ctx, system, mode, k))
      flip = !flip
    }
  return results
}

// ── report ──────────────────────────────────────────────────────────────────

const pct = (v: number) => `${v.toFixed(0)}%`

/** "No worse" with a noise allowance: within 20 % (or 5 ms) on latency, 20 % (or 3 points) on CPU. */
function editorsVerdict(v: PhaseResult, b: PhaseResult): { ok: boolean; text: string } {
  const bad: string[] = []
  for (const key of ["p50", "p99"] as const) {
    const vv = v.latency[key]
    const bb = b.latency[key]
    if (!Number.isFinite(bb)) continue
    if (!Number.isFinite(vv) || vv > Math.max(bb * 1.2, bb + 5)) bad.push(`${key} ${ratio(vv, bb)}`)
  }
  if (v.relayCpuPct > Math.max(b.relayCpuPct * 1.2, b.relayCpuPct + 3)) bad.push(`CPU ${ratio(v.relayCpuPct, b.relayCpuPct)}`)
  return bad.length ? { ok: false, text: `worse: ${bad.join(", ")}` } : { ok: true, text: "no worse" }
}

interface LoadNote {
  label: string
  before: number
  after: number
}

function render(
  ctx: SuiteContext,
  lat: LatencyResults,
  open: OpenResults,
  editors: PhaseResult[],
  load: LoadNote[],
  totalSeconds: number,
): SuiteResult {
  const m = ctx.machine
  const L = lat.main
  const p50Ratio = L.vivarium.p50 / L.bare.p50
  const latencyMet = p50Ratio <= 1.2
  const { tasks, messages, runs } = CONFIG.open
  const ov = open.median.vivarium
  const ob = open.median.bare
  const e = CONFIG.editors

  const pairs = CONFIG.editors.ks.flatMap(k =>
    (["shared", "own"] as const).map(mode => {
      const v = editors.find(r => r.k === k && r.mode === mode && r.system === "vivarium")!
      const b = editors.find(r => r.k === k && r.mode === mode && r.system === "bare")!
      return { k, mode, v, b, verdict: editorsVerdict(v, b) }
    }),
  )
  const editorsMet = pairs.every(p => p.verdict.ok)
  const lat99 = (s: Summary) => (s.p99 === Infinity ? `> ${(e.drainMs / 1000).toFixed(0)} s (unseen)` : ms(s.p99))

  // Part 1 alone puts well under 1 core of load on the machine; more before it means others were busy.
  const busy = (load[0]?.before ?? 0) > 0.7 || load.some(l => l.before > ctx.machine.nproc + 1)
  const md: string[] = []
  md.push(
    `Last run: ${m.date}. Machine: ${machineLine(m)}. Whole suite: ${totalSeconds.toFixed(0)} s.`,
    "",
    `1-minute load average before → after each part: ${load.map(l => `${l.label.replace(/^\d\/\d /, "")} ${l.before} → ${l.after}`).join("; ")}. ` +
      (busy
        ? "**Other processes were using the machine during this run; the numbers are noisier than on a quiet machine.**"
        : "The machine was otherwise quiet (the benchmark itself keeps it busy during parts 2 and 3)."),
    "",
    "**Compared:** *Vivarium* = the real relay (`node bin/vivarium.js relay --port 0 --data DIR`: authenticated WebSocket, " +
      "relay-side Workspace validating the queue, traffic counters, `saveDebounceMs` 25) with peers from `connectPeer()` " +
      "(HTTP workspace lookup, `Workspace.open`, validated task view). *Bare* = `bench/bareRelay.ts`: a plain `Repo` with " +
      "`NodeWSServerAdapter` on a `ws` server, `NodeFSStorageAdapter` in a temp dir, `sharePolicy: async () => false`, " +
      "default `saveDebounceRate` (100 ms), and plain `Repo` + `WebSocketClientAdapter` peers; no Vivarium code. " +
      "Both relays run as child processes started the same way (node + tsx loader); all peers are memory-only. " +
      "Both systems use identical document shapes (the Vivarium schemas).",
    "",
    `**Targets:** latency p50 within 1.2x of bare — **${latencyMet ? "met" : "missed"}** (${ratio(L.vivarium.p50, L.bare.p50)}). ` +
      `Many editors: Vivarium no worse than bare — **${editorsMet ? "met" : "missed"}**${editorsMet ? "" : ` (${pairs.filter(p => !p.verdict.ok).map(p => `K=${p.k} ${p.mode}: ${p.verdict.text}`).join("; ")})`}.`,
    "",
    "### 1. Change → visible latency (two peers through the relay)",
    "",
    `Method: peer A changes one field of one task (\`updatedAt\`) in a queue document of ${CONFIG.latency.tasksInQueue} tasks; ` +
      "the time is taken from just before the change call on A until peer B's queue handle emits the `change` event whose " +
      "document holds the new value (Vivarium: A goes through `Workspace.updateTask`; on B the Workspace's validating " +
      "listener runs first on the same event, and the bench checks that the validated task view already shows the value). " +
      "Both peers live in the bench process, the relay in its own process. " +
      `${CONFIG.latency.samples} isolated changes per system after ${CONFIG.latency.warmup} warm-up changes; the two systems alternate ` +
      `change by change. *Isolated*: the next change on a system starts only after B saw the previous one plus a ${CONFIG.latency.gapMs} ms pause. ` +
      "The pause is needed because automerge-repo throttles each document's sync (`DocSynchronizer.syncDebounceRate` = 100 ms, " +
      "`asyncThrottle` counted from the previous send) on peer A *and* again on the relay; the gap sweep below shows what happens with shorter pauses.",
    "",
    "| system | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...SYSTEMS.map(s => `| ${s} | ${L[s].n} | ${ms(L[s].p50)} | ${ms(L[s].p90)} | ${ms(L[s].p99)} | ${ms(L[s].max)} | ${ms(L[s].mean)} |`),
    `| **vivarium/bare** | | **${ratio(L.vivarium.p50, L.bare.p50)}** | ${ratio(L.vivarium.p90, L.bare.p90)} | **${ratio(L.vivarium.p99, L.bare.p99)}** | | ${ratio(L.vivarium.mean, L.bare.mean)} |`,
    "",
    `Gap sweep (${CONFIG.latency.sweepSamples} changes per system and gap; p50 / p99 ms):`,
    "",
    "| pause after seen | vivarium | bare |",
    "|---:|---:|---:|",
    ...lat.sweep.map(s => `| ${s.gapMs} ms | ${ms(s.stats.vivarium.p50)} / ${ms(s.stats.vivarium.p99)} | ${ms(s.stats.bare.p50)} / ${ms(s.stats.bare.p99)} |`),
    `| ${CONFIG.latency.gapMs} ms (main run) | ${ms(L.vivarium.p50)} / ${ms(L.vivarium.p99)} | ${ms(L.bare.p50)} / ${ms(L.bare.p99)} |`,
    "",
    "### 2. Opening a workspace of 10,000 tasks and 10,000 messages",
    "",
    `Method: ${tasks.toLocaleString("en")} tasks and ${messages.toLocaleString("en")} messages are written in batches of ${CONFIG.open.batch} per \`change\` ` +
      "(once, on copies of the Vivarium workspace's own queue and town_hall room documents); a Vivarium builder peer merges them " +
      "into the workspace's real documents and a bare builder peer imports the same bytes as new documents; each waits until its " +
      "relay reports holding every change, and disconnects; the relay keeps the documents in memory. Then a fresh peer in its own child process " +
      "(`node --expose-gc`, modules imported before the clock starts) measures from `connectPeer()` to: workspace ready with " +
      `\`workspace.tasks.entries.size === ${tasks}\` (validated), then the room index and room document found and all messages ` +
      "validated with `validateList(Message)` (there is no room view in src/ yet; this is what a reader must do). Bare: connect, " +
      "`find()` the two documents, wait until all tasks and messages are in them. Memory: `process.memoryUsage()` after two " +
      `\`gc()\` calls before and after, with everything still referenced. Median of ${runs} fresh peers per system, alternating.`,
    "",
    "| | vivarium | bare | vivarium/bare |",
    "|---|---:|---:|---:|",
    `| connect (vivarium: incl. Workspace.open + task validation) ms | ${ms(ov.connectMs)} | ${ms(ob.connectMs)} | ${ratio(ov.connectMs, ob.connectMs)} |`,
    `| all ${tasks} tasks ready ms | ${ms(ov.tasksReadyMs)} | ${ms(ob.tasksReadyMs)} | ${ratio(ov.tasksReadyMs, ob.tasksReadyMs)} |`,
    `| + room with ${messages} messages ready ms (total open) | **${ms(ov.allReadyMs)}** | **${ms(ob.allReadyMs)}** | **${ratio(ov.allReadyMs, ob.allReadyMs)}** |`,
    `| of which validating the messages ms | ${ms(ov.roomValidateMs)} | – | |`,
    `| CPU time of the fresh peer ms | ${ms(ov.cpuMs)} | ${ms(ob.cpuMs)} | ${ratio(ov.cpuMs, ob.cpuMs)} |`,
    `| RSS delta MiB | **${mib(ov.rssDelta)}** | **${mib(ob.rssDelta)}** | **${ratio(ov.rssDelta, ob.rssDelta)}** |`,
    `| heapUsed delta MiB | ${mib(ov.heapUsedDelta)} | ${mib(ob.heapUsedDelta)} | ${ratio(ov.heapUsedDelta, ob.heapUsedDelta)} |`,
    `| external delta MiB (WASM memory) | ${mib(ov.externalDelta)} | ${mib(ob.externalDelta)} | ${ratio(ov.externalDelta, ob.externalDelta)} |`,
    `| RSS of the fresh peer after open MiB | ${mib(ov.rssAfter)} | ${mib(ob.rssAfter)} | |`,
    "",
    `All runs (total open ms / RSS delta MiB): vivarium ${open.runs.vivarium.map(r => `${ms(r.allReadyMs)}/${mib(r.rssDelta)}`).join(", ")}; ` +
      `bare ${open.runs.bare.map(r => `${ms(r.allReadyMs)}/${mib(r.rssDelta)}`).join(", ")}. ` +
      `Building (not a target): ${ms(open.build.vivarium.buildMs)} ms of \`change\` calls (once, for both); then at the relay after ` +
      `${ms(open.build.vivarium.syncMs)} ms (vivarium) / ${ms(open.build.bare.syncMs)} ms (bare), both sent at the same time. ` +
      `Relay RSS holding the documents after the opens: vivarium ${mib(open.relayRssAfterOpens.vivarium)} MiB, ` +
      `bare ${mib(open.relayRssAfterOpens.bare)} MiB.`,
    "",
    "### 3. Many editors typing",
    "",
    `Method: K operators, each its own peer (own Repo and WebSocket; Vivarium: \`connectPeer\`), type ${e.charsPerSecond} characters/s ` +
      "(`handle.change(d => A.splice(d, ['objective'], cursor, 0, letter))`, each at a cursor at the end of its own line) into the " +
      "`objective` text of QuestDoc-shaped documents: once all into ONE shared document, once each into its own document " +
      "(Vivarium also lists the quests in the workspace's quest index). Keystrokes are staggered evenly across the typists. " +
      `A fresh relay per phase; typing lasts ${e.durationMs / 1000} s, the first ${e.warmupMs / 1000} s of keystrokes are left out of the statistics. ` +
      "Latency = keystroke (just before `change`, in the typists' process) → the observer peer's handle emits the patch with that " +
      "letter (each typist types its own letter, so the n-th letter *x* is typist *x*'s n-th keystroke); clocks are " +
      "`performance.timeOrigin + performance.now()` of the two processes. " +
      `Keystrokes not seen ${e.drainMs / 1000} s after typing stopped count as unseen (latency infinite). Relay CPU = utime+stime from ` +
      "`/proc/<pid>/stat` over the typing window (100% = one core); relay RSS = peak of `/proc/<pid>/status` VmRSS sampled every 200 ms.",
    "",
    "Processes: the relay (child), all K typists in one child process, the observer in the bench process — three busy " +
      `processes on ${m.nproc} cores. When the relay approaches 100% the typists and the observer compete with it for the ` +
      "second core, so past saturation the latencies grow from both the relay backlog and CPU contention on the clients; " +
      "on a machine with more cores (or typists on other machines, as in real use) the relay would saturate later.",
    "",
    "| K | docs | system | keystrokes | p50 ms | p99 ms | unseen | relay CPU | relay RSS before → peak MiB | typists CPU | max timer lateness ms |",
    "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...pairs.flatMap(({ k, mode, v, b }) =>
      [v, b].map(
        r =>
          `| ${k} | ${mode === "shared" ? "1 shared" : `${k} (own)`} | ${r.system} | ${r.measured} | ${ms(r.latency.p50)} | ${lat99(r.latency)} | ${r.unseen} | ${pct(r.relayCpuPct)} | ${mib(r.relayRssIdle)} → ${mib(r.relayRssPeak)} | ${pct(r.typistsCpuPct)} | ${ms(r.maxLateMs, 0)} |`,
      ),
    ),
    "",
    "Vivarium / bare:",
    "",
    "| K | docs | p50 | p99 | relay CPU | relay RSS | verdict |",
    "|---:|---|---:|---:|---:|---:|---|",
    ...pairs.map(
      ({ k, mode, v, b, verdict }) =>
        `| ${k} | ${mode} | ${ratio(v.latency.p50, b.latency.p50)} | ${ratio(v.latency.p99, b.latency.p99)} | ${ratio(v.relayCpuPct, b.relayCpuPct)} | ${ratio(v.relayRssPeak, b.relayRssPeak)} | ${verdict.text} |`,
    ),
    "",
    "Verdict rule (noise allowance for a 2-core machine): Vivarium is \"no worse\" when its p50 and p99 are within 20 % or 5 ms " +
      "of bare's and its relay CPU within 20 % or 3 points.",
  )

  const summary = [
    `machine: ${machineLine(m)}`,
    `load average before/after: ${load.map(l => `${l.before}/${l.after}`).join(", ")}${busy ? " (machine busy with other work: noisy numbers)" : ""}`,
    `latency (${L.vivarium.n} isolated changes, gap ${CONFIG.latency.gapMs} ms): vivarium p50 ${ms(L.vivarium.p50)} p99 ${ms(L.vivarium.p99)} ms | bare p50 ${ms(L.bare.p50)} p99 ${ms(L.bare.p99)} ms | ratio p50 ${ratio(L.vivarium.p50, L.bare.p50)} p99 ${ratio(L.vivarium.p99, L.bare.p99)} -> target p50 <= 1.2x ${latencyMet ? "MET" : "MISSED"}`,
    `open ${tasks} tasks + ${messages} msgs (median of ${runs}): vivarium ${ms(ov.allReadyMs)} ms, RSS +${mib(ov.rssDelta)} MiB, heap +${mib(ov.heapUsedDelta)} MiB | bare ${ms(ob.allReadyMs)} ms, RSS +${mib(ob.rssDelta)} MiB, heap +${mib(ob.heapUsedDelta)} MiB | ratio time ${ratio(ov.allReadyMs, ob.allReadyMs)} RSS ${ratio(ov.rssDelta, ob.rssDelta)}`,
    "many editors (p50/p99 ms, relay CPU, relay RSS MiB):",
    ...pairs.map(
      ({ k, mode, v, b, verdict }) =>
        `  K=${String(k).padStart(2)} ${mode.padEnd(6)} vivarium ${ms(v.latency.p50)}/${lat99(v.latency)} ${pct(v.relayCpuPct)} ${mib(v.relayRssPeak)} | bare ${ms(b.latency.p50)}/${lat99(b.latency)} ${pct(b.relayCpuPct)} ${mib(b.relayRssPeak)} | ${verdict.text}`,
    ),
    `target "vivarium no worse than bare" ${editorsMet ? "MET" : "MISSED"}`,
  ].join("\n")
  return { markdown: md.join("\n"), summary }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const t0 = performance.now()
  const load: LoadNote[] = []
  const part = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const before = loadAverage()
    ctx.log(`${label} (load average ${before})`)
    const result = await fn()
    load.push({ label, before, after: loadAverage() })
    return result
  }
  const lat = await part("1/3 change→visible latency", () => latencyPart(ctx))
  const open = await part("2/3 opening a big workspace", () => openPart(ctx))
  const editors = await part("3/3 many editors", () => editorsPart(ctx))
  return render(ctx, lat, open, editors, load, (performance.now() - t0) / 1000)
}
