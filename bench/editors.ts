/**
 * `npm run bench -- editors`: K editors typing into ONE shared quest document through the
 * relay, each editor its own process (own Repo, own WebSocket: the load separate machines
 * make), the Vivarium relay and a bare automerge-repo relay (bench/bareRelay.ts) in the same
 * run. When the machine has several cores the relay is pinned to core 0 with this process
 * (the observer) and the health probe (bench/healthProbe.ts), light next to the relay, and
 * the editors to the rest; on two cores the editors share one core and fall behind first.
 *
 * Per K and relay: keystroke → the observer sees that letter (p50/p99), keystrokes the
 * observer never saw, editors whose document did not reach the observer's heads, relay CPU
 * ms per keystroke, messages through the relay per keystroke (counted at every client:
 * received, and frames sent), and for Vivarium the slowest /healthz and /metrics answer
 * during the load.
 *
 * BENCH_EDITORS_KS (default 4,8,16,32,64), BENCH_EDITORS_S (typing seconds, default 20),
 * BENCH_EDITORS_SYSTEMS (default vivarium,bare).
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { execFileSync } from "node:child_process"
import { cpus } from "node:os"
import type { QuestDoc, QuestIndexDoc } from "../schemas/index.ts"
import { withTimeout, type Cleanup } from "./lib/cleanup.ts"
import { lineChart } from "./lib/chart.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { connectBenchPeer, countMessages, headsKey, whenRelayHas } from "./lib/peers.ts"
import { cpuSeconds, epochNow, REPO_ROOT, rssSampler, spawnNode, type Child } from "./lib/proc.ts"
import { startRelayProcess, SYSTEMS, type RelayProcess, type SystemName } from "./lib/relays.ts"
import { mib, ms, summarize, type Summary } from "./lib/stats.ts"
import { watchKeystrokes } from "./lib/keystrokes.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { makeQuest } from "./syncData.ts"
import type { TypistsConfig, TypistsDone } from "./syncTypists.ts"

const list = (v: string | undefined, fallback: string) => (v ?? fallback).split(",").map(s => s.trim()).filter(Boolean)

export const CONFIG = {
  ks: list(process.env.BENCH_EDITORS_KS, "4,8,16,32,64").map(Number),
  systems: list(process.env.BENCH_EDITORS_SYSTEMS, SYSTEMS.join(",")) as SystemName[],
  charsPerSecond: 6,
  durationMs: Number(process.env.BENCH_EDITORS_S ?? 20) * 1000,
  /** Keystrokes of the first seconds are typed but left out of the statistics. */
  warmupMs: 2_000,
  /** A keystroke the observer has not seen this long after typing stopped is undelivered. */
  drainMs: 10_000,
  /** p99 above this marks the knee. */
  kneeMs: 1_000,
  /** Typing lateness above this means the editors' processes, not the relay, set the pace. */
  lateMs: 1_000,
}

export const suite: BenchSuite = {
  name: "editors",
  heading: "## Many editors on one document (npm run bench -- editors)",
  description: "K editors, each its own process, typing into one shared document: Vivarium relay vs bare automerge-repo relay",
  run,
}

/** 64 distinct letters: editor i types only ALPHABET[i], so the n-th such letter is its n-th keystroke. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-"

/** Editors opening the document at the same time. */
const JOINING_AT_ONCE = 4
const sleep = (t: number) => new Promise<void>(resolve => setTimeout(resolve, Math.max(0, t)))

/** Core 0 for the relay, the others for everything else (only with several cores). */
const PINNING = cpus().length >= 2 ? { relay: "0", rest: `1-${cpus().length - 1}` } : undefined

function pin(pid: number, cores: string): void {
  // -a: every thread of the process (V8's helpers and libuv's pool too).
  execFileSync("taskset", ["-a", "-p", "-c", cores, String(pid)], { stdio: "ignore" })
}

interface Phase {
  system: SystemName
  k: number
  keystrokes: number
  measured: number
  latency: Summary
  undelivered: number
  /** Editors whose document did not reach the observer's heads after the drain. */
  diverged: number
  relayCpuPct: number
  relayCpuMsPerKey: number
  messagesPerKey: number
  relayRssPeak: number
  editorsCpuPct: number
  maxLateMs: number
  /** Slowest /healthz or /metrics answer during the load (Vivarium), and how many failed. */
  healthMaxMs?: number
  healthFailures?: number
  errors: string[]
}

/**
 * Polls /healthz and /metrics every 250 ms from a process of its own, on the relay's core, until
 * stopped; the slowest answer and the failures.
 */
async function healthProbe(scope: Cleanup, wsUrl: string): Promise<{ stop(): Promise<{ maxMs: number; failures: number }> }> {
  const probe = spawnNode(scope, "health probe", [], ["bench/launch.js", "bench/healthProbe.ts", wsUrl.replace(/^ws/, "http")])
  if (PINNING) pin(probe.pid, PINNING.relay)
  await probe.waitForLine(/^READY$/, 60_000)
  return {
    async stop() {
      probe.send("STOP")
      const [, json] = await probe.waitForLine(/^DONE (.*)$/, 30_000)
      return JSON.parse(json!) as { maxMs: number; failures: number }
    },
  }
}

async function phase(ctx: SuiteContext, system: SystemName, k: number): Promise<Phase> {
  const { charsPerSecond, durationMs, warmupMs, drainMs } = CONFIG
  if (k > ALPHABET.length) throw new Error(`at most ${ALPHABET.length} editors`)
  return scoped(ctx.cleanup, `editors ${system} K=${k}`, async scope => {
    // The relay first, on its core; then the editors, each on the others as soon as it exists
    // (loading 32 of them at once would otherwise starve the relay's start).
    const relay: RelayProcess = await startRelayProcess(scope, system)
    if (PINNING) pin(relay.pid, PINNING.relay)
    const editors: Child[] = Array.from({ length: k }, (_, i) => {
      const editor = spawnNode(scope, `${system} editor ${i}`, [], ["bench/launch.js", "bench/syncTypists.ts"])
      if (PINNING) pin(editor.pid, PINNING.rest)
      return editor
    })
    const observer = await connectBenchPeer(system, relay)
    scope.add(`${system} observer`, () => observer.close())
    const observed = countMessages(observer.repo)
    const now = Date.now()
    const handle: DocHandle<QuestDoc> = observer.repo.create<QuestDoc>(makeQuest(0, "\n".repeat(k), now))
    const toSync: DocHandle<unknown>[] = [handle]
    if (system === "vivarium") {
      const index = await observer.repo.find<QuestIndexDoc>(observer.workspace!.root.docs.quests as AutomergeUrl)
      index.change(d => {
        d.quests["quest-0"] = { id: "quest-0", title: "Benchmark quest 0", url: handle.url, createdAt: now }
      })
      toSync.push(index)
    }
    await Promise.all(toSync.map(h => whenRelayHas(observer, h, 60_000)))

    const watch = watchKeystrokes([handle], ALPHABET.slice(0, k))

    // Editors join a few at a time, as people open a document: 32 processes opening the workspace
    // at once on one core starve each other past the relay's keep-alive (it drops a peer that
    // answers no ping for two intervals), and their opening fails.
    const join = async (e: Child, i: number) => {
      await e.waitForLine(/^LOADED$/, 180_000)
      const config: TypistsConfig = {
        system,
        wsUrl: relay.wsUrl,
        token: relay.token,
        dataDir: relay.dataDir,
        typists: [{ letter: ALPHABET[i]!, docUrl: handle.url, cursorIndex: i }],
        periodMs: 1000 / charsPerSecond,
        durationMs,
      }
      e.send(`CONFIG ${JSON.stringify(config)}`)
      await e.waitForLine(/^READY$/, 180_000)
    }
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(JOINING_AT_ONCE, k) }, async () => {
        while (next < editors.length) {
          const i = next++
          await join(editors[i]!, i)
        }
      }),
    )

    // Editor i types at offset i/k of a period: keystrokes spread evenly over time.
    const startAt = epochNow() + 500
    editors.forEach((e, i) => e.send(`GO ${startAt + (i * 1000) / charsPerSecond / k}`))
    await sleep(startAt - epochNow())
    const cpu0 = cpuSeconds(relay.pid)
    const editorCpu0 = editors.reduce((n, e) => n + cpuSeconds(e.pid), 0)
    const in0 = observed.in
    const out0 = observed.out
    const rss = rssSampler(relay.pid)
    const health = system === "vivarium" ? await healthProbe(scope, relay.wsUrl) : undefined
    const w0 = epochNow()
    const doneLines = await Promise.all(editors.map(e => e.waitForLine(/^DONE (.*)$/, durationMs + 120_000)))
    const w1 = epochNow()
    const cpu1 = cpuSeconds(relay.pid)
    const editorCpu1 = editors.reduce((n, e) => n + cpuSeconds(e.pid), 0)
    const observerMessages = observed.in - in0 + (observed.out - out0)
    const healthResult = await health?.stop()
    const { peak } = rss.stop()
    if (relay.child.process.exitCode !== null || relay.child.process.signalCode !== null)
      throw new Error(`${system} relay died during the load; stderr:\n${relay.child.stderr().slice(-3000)}`)
    const dones = doneLines.map(m => JSON.parse(m[1]!) as TypistsDone)
    const sends = dones.flatMap((d, i) => d.sends.map(([, n, t]) => [i, n, t] as const))

    await watch.drain(sends, drainMs)

    // Every editor's document against the observer's, asked until they agree or the drain ends.
    let diverged = k
    let round = 0
    for (const until = epochNow() + drainMs; ; ) {
      const target = headsKey(handle.doc())
      const asked = ++round
      const answers = await Promise.all(
        editors.map(async e => {
          e.send(`HEADS ${asked}`)
          const m = await e.waitForLine(new RegExp(`^HEADS ${asked} (.*)$`), 30_000).catch(() => undefined)
          return m ? (JSON.parse(m[1]!) as string[])[0] : undefined
        }),
      )
      diverged = answers.filter(h => h !== target).length
      if (!diverged || epochNow() > until) break
      await sleep(500)
    }

    const latencies = watch.latencies(sends, startAt, warmupMs)
    for (const e of editors) e.send("EXIT")
    await Promise.all(editors.map(e => withTimeout(e.exited, 15_000, "editor exit").catch(() => e.stop())))
    const wallMs = w1 - w0
    const keystrokes = sends.length
    const messages = dones.reduce((n, d) => n + d.messagesIn + d.messagesOut, 0) + observerMessages
    const result: Phase = {
      system,
      k,
      keystrokes,
      measured: latencies.length,
      latency: summarize(latencies),
      undelivered: latencies.filter(l => !Number.isFinite(l)).length,
      diverged,
      relayCpuPct: ((cpu1 - cpu0) / (wallMs / 1000)) * 100,
      relayCpuMsPerKey: ((cpu1 - cpu0) * 1000) / Math.max(1, keystrokes),
      messagesPerKey: messages / Math.max(1, keystrokes),
      relayRssPeak: peak,
      editorsCpuPct: ((editorCpu1 - editorCpu0) / (wallMs / 1000)) * 100,
      maxLateMs: Math.max(...dones.map(d => d.maxLateMs)),
      ...(healthResult ? { healthMaxMs: healthResult.maxMs, healthFailures: healthResult.failures } : {}),
      errors: dones.flatMap(d => d.errors),
    }
    ctx.log(
      `editors ${system} K=${k}: p50 ${ms(result.latency.p50)} p99 ${ms(result.latency.p99)} ms, undelivered ${result.undelivered}/${result.measured}, ` +
        `diverged ${diverged}/${k}, relay CPU ${result.relayCpuPct.toFixed(0)}% (${result.relayCpuMsPerKey.toFixed(2)} ms/keystroke), ` +
        `${result.messagesPerKey.toFixed(1)} msgs/keystroke, editors CPU ${result.editorsCpuPct.toFixed(0)}% (late ${ms(result.maxLateMs, 0)} ms)` +
        (healthResult ? `, health max ${ms(healthResult.maxMs)} ms (${healthResult.failures} failed)` : "") +
        (result.errors.length ? `, ${result.errors.length} editor error(s): ${result.errors[0]}` : ""),
    )
    return result
  })
}

/** The smallest K whose p99 passes 1 s (undelivered keystrokes count as infinite); undefined: none measured. */
export function knee(phases: readonly Phase[]): number | undefined {
  return phases.filter(p => p.latency.p99 > CONFIG.kneeMs).map(p => p.k).sort((a, b) => a - b)[0]
}

function render(ctx: SuiteContext, phases: Phase[], failures: { system: SystemName; k: number; reason: string }[], seconds: number): SuiteResult {
  const bySystem = (s: SystemName) => phases.filter(p => p.system === s).sort((a, b) => a.k - b.k)
  const pair = (k: number) => ({ v: phases.find(p => p.k === k && p.system === "vivarium"), b: phases.find(p => p.k === k && p.system === "bare") })
  const kneeV = knee(bySystem("vivarium"))
  const kneeB = knee(bySystem("bare"))
  /** The largest K measured for a system: a knee "beyond" it says no more than that. */
  const maxK = (s: SystemName) => Math.max(0, ...bySystem(s).map(p => p.k))
  const kneeText = (k: number | undefined, s: SystemName) => (k === undefined ? `beyond ${maxK(s)}` : String(k))
  const cpuRatio = (k: number) => {
    const { v, b } = pair(k)
    return v && b ? b.relayCpuMsPerKey / v.relayCpuMsPerKey : NaN
  }
  const at32 = pair(32).v
  const goals = [
    { goal: "relay CPU per keystroke ≥ 5× lower than bare at 8 editors", value: `${cpuRatio(8).toFixed(1)}×`, met: cpuRatio(8) >= 5 },
    { goal: "relay CPU per keystroke ≥ 5× lower than bare at 16 editors", value: `${cpuRatio(16).toFixed(1)}×`, met: cpuRatio(16) >= 5 },
    {
      goal: "32 editors: p99 ≤ 250 ms, nothing undelivered",
      value: at32 ? `p99 ${ms(at32.latency.p99)} ms, ${at32.undelivered} undelivered${at32.maxLateMs > CONFIG.lateMs ? `, editors ${ms(at32.maxLateMs, 0)} ms behind` : ""}` : "not run",
      met: !!at32 && at32.latency.p99 <= 250 && at32.undelivered === 0,
    },
    {
      goal: "knee (smallest K with p99 > 1 s) ≥ 4× bare's",
      value: `Vivarium ${kneeText(kneeV, "vivarium")}, bare ${kneeText(kneeB, "bare")}`,
      met: kneeB !== undefined && (kneeV === undefined ? maxK("vivarium") >= 4 * kneeB : kneeV >= 4 * kneeB),
    },
  ]
  const row = (p: Phase) =>
    `| ${p.k} | ${p.system} | ${p.keystrokes} | ${ms(p.latency.p50)} | ${ms(p.latency.p99)} | ${p.undelivered} | ${p.diverged} | ${p.relayCpuPct.toFixed(0)}% | ${p.relayCpuMsPerKey.toFixed(2)} | ${p.messagesPerKey.toFixed(1)} | ${mib(p.relayRssPeak)} | ${p.editorsCpuPct.toFixed(0)}% | ${ms(p.maxLateMs, 0)} | ${p.healthMaxMs === undefined ? "—" : `${ms(p.healthMaxMs)} (${p.healthFailures} failed)`} |`
  const sorted = [...phases].sort((a, b) => a.k - b.k || a.system.localeCompare(b.system))
  const chart = lineChart("Many editors on one document", "editors (K)", [
    ...CONFIG.systems.map(s => ({ name: `${s}: p99 latency`, unit: "ms", points: bySystem(s).map(p => [p.k, Math.min(p.latency.p99, 20_000)] as const) })),
    ...CONFIG.systems.map(s => ({ name: `${s}: relay CPU per keystroke`, unit: "ms", points: bySystem(s).map(p => [p.k, p.relayCpuMsPerKey] as const) })),
  ])
  const markdown = [
    `**Machine:** ${machineLine(ctx.machine)}; load average ${loadAverage().toFixed(2)} at the end; code ${codeVersion(REPO_ROOT)}; ${seconds.toFixed(0)} s in all.`,
    "",
    `Method: K editors, each its own Node process (own Repo, own WebSocket; Vivarium: \`connectPeer\` as the owner), type ${CONFIG.charsPerSecond} characters a second each, spread evenly, into the \`objective\` text of one shared quest document (Vivarium lists it in the quest index) for ${CONFIG.durationMs / 1000} s; the first ${CONFIG.warmupMs / 1000} s are left out. Latency: keystroke → the observer peer (this process) sees that letter. Undelivered: never seen ${CONFIG.drainMs / 1000} s after typing stopped. Diverged: editors whose document did not reach the observer's heads by then. Relay CPU: utime+stime of the relay process over the typing window. Messages: per keystroke, counted at every client: Repo messages received, and frames sent on the wire (a Vivarium client holds back answers to forwarded batches). Editors join four at a time before the typing. /healthz and /metrics: polled every 250 ms by a probe process of its own. ${PINNING ? `The relay is pinned to core ${PINNING.relay} with the observer (this process) and the health probe, the editors to cores ${PINNING.rest} (taskset).` : "One core: nothing pinned."}${cpus().length <= 2 ? " On this 2-core machine the editors share one core: past a few editors they cannot keep up with applying everyone's keystrokes (see their lateness), so latencies there measure the editors as much as the relay. Relay CPU per keystroke is the fairer comparison, though not free of them either: editors that fall behind send fewer, bigger messages, which costs a relay less per keystroke." : ""}`,
    "",
    "| K | relay | keystrokes | p50 ms | p99 ms | undelivered | diverged | relay CPU | relay CPU ms/keystroke | messages/keystroke | relay RSS peak MiB | editors CPU | editors' max lateness ms | /healthz, /metrics slowest ms |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...sorted.map(row),
    "",
    "| goal (side by side with bare, same run) | measured | |",
    "|---|---|---|",
    ...goals.map(g => `| ${g.goal} | ${g.value} | ${g.met ? "✓ met" : "✗ missed"} |`),
    ...(failures.length ? ["", "Not measured:", ...failures.map(f => `- K=${f.k} ${f.system}: ${f.reason}`)] : []),
    "",
    "![p99 latency and relay CPU per keystroke by number of editors](editors.svg)",
  ].join("\n")
  const summary = [
    ...sorted.map(p => `K=${p.k} ${p.system}: p99 ${ms(p.latency.p99)} ms, undelivered ${p.undelivered}, ${p.relayCpuMsPerKey.toFixed(2)} relay CPU ms/keystroke, ${p.messagesPerKey.toFixed(1)} msgs/keystroke`),
    ...goals.map(g => `${g.met ? "MET" : "MISSED"}: ${g.goal}: ${g.value}`),
  ].join("\n")
  return { markdown, summary, json: { phases, failures, goals, knee: { vivarium: kneeV ?? null, bare: kneeB ?? null } }, files: [{ path: "docs/editors.svg", content: chart }] }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const t0 = performance.now()
  // The observer and the health probe share the relay's core: on the editors' cores they would
  // measure how starved those are (with a few cores, the editors saturate them first).
  if (PINNING) pin(process.pid, PINNING.relay)
  const phases: Phase[] = []
  const failures: { system: SystemName; k: number; reason: string }[] = []
  let flip = false
  for (const k of CONFIG.ks) {
    // Which relay goes first alternates from K to K.
    for (const system of flip ? [...CONFIG.systems].reverse() : CONFIG.systems) {
      try {
        phases.push(await phase(ctx, system, k))
      } catch (error) {
        // One phase that could not run (the machine could not start it in time) is reported, not fatal.
        const reason = (error as Error).message.split("\n").filter(Boolean).slice(0, 2).join(" ")
        ctx.log(`editors ${system} K=${k}: not measured: ${reason}`)
        failures.push({ system, k, reason })
      }
    }
    flip = !flip
  }
  return render(ctx, phases, failures, (performance.now() - t0) / 1000)
}
