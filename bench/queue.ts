/**
 * `npm run bench -- queue`: the execution plane end to end — relay-granted leases, worker
 * peers, the real groq-sdk against a zero-latency fake Groq server:
 *
 *  1. throughput, queued → approved, for 1, 2 and 4 workers at two concurrencies;
 *  2. dispatch overhead on an idle queue: task written as queued (operator) → the LLM
 *     request arriving at the fake server;
 *  3. a profile: V8 CPU profiles of the relay and the workers plus in-process counters.
 *
 * The relay and every worker run in their own child process (bench/queueRelay.ts,
 * bench/queueWorker.ts); the operator peer and the fake Groq server in this process.
 * Set BENCH_QUEUE_QUICK=1 for a short smoke run (small sizes; numbers not meaningful).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Task } from "../schemas/index.ts"
import { buildTask, newTaskId, NewTaskInput } from "../src/domain/tasks/index.ts"
import { startFakeGroq, type FakeGroq } from "../test/helpers/fakeGroq.ts"
import { withTimeout } from "./lib/cleanup.ts"
import { loadAverage, machineLine } from "./lib/machine.ts"
import { cpuSeconds, epochNow, foreignCpu } from "./lib/proc.ts"
import { ms, summarize, type Summary } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { mergeSummaries, summarizeProfile, type ProfileSummary } from "./queueProfile.ts"
import { rawResults, report, type QueueResults } from "./queueReport.ts"
import { startRig, whenAllFinal, type RelayStats, type Rig, type RigOptions, type WorkerStats } from "./queueRig.ts"

const QUICK = process.env.BENCH_QUEUE_QUICK === "1"
/** Comma-separated parts to run (throughput, dispatch, profile); all by default. For development. */
const ONLY = new Set((process.env.BENCH_QUEUE_ONLY ?? "throughput,dispatch,profile").split(",").map(s => s.trim()))

/** Development overrides: BENCH_QUEUE_WORKERS=1,4 BENCH_QUEUE_CONCURRENCY=4 BENCH_QUEUE_TASKS=200 … */
const list = (name: string, fallback: number[]) => process.env[name]?.split(",").map(Number) ?? fallback

export const CONFIG = {
  throughput: {
    workers: list("BENCH_QUEUE_WORKERS", [1, 2, 4]),
    concurrency: list("BENCH_QUEUE_CONCURRENCY", [4, 16]),
    tasks: Number(process.env.BENCH_QUEUE_TASKS ?? (QUICK ? 60 : 300)),
    warmupTasks: QUICK ? 8 : 24,
    timeoutMs: QUICK ? 60_000 : 120_000,
  },
  dispatch: {
    workers: list("BENCH_QUEUE_DISPATCH_WORKERS", [1]),
    concurrency: 4,
    samples: QUICK ? 10 : 50,
    warmup: 5,
    /** Pause after a task was seen approved before the next one: the queue is idle again. */
    gapMs: 250,
  },
  profile: { workers: 4, concurrency: 16, tasks: Number(process.env.BENCH_QUEUE_PROFILE_TASKS ?? (QUICK ? 60 : 200)) },
  /** Worker LLM rate limit: the default 60/min would cap each worker at 1 task/s (see report). */
  rateLimitPerMinute: 1_000_000,
}

export const suite: BenchSuite = {
  name: "queue",
  heading: "## Queue (npm run bench -- queue)",
  description: "execution plane: tasks/s queued→approved with 1/2/4 worker processes, idle dispatch latency, CPU profile",
  run,
}

const sleep = (t: number) => new Promise<void>(resolve => setTimeout(resolve, Math.max(0, t)))

/** Records when the fake Groq server receives each prompt (epoch ms, this process's clock). */
export class Arrivals {
  readonly at = new Map<string, number>()
  readonly count = new Map<string, number>()
  readonly #waiters = new Map<string, (t: number) => void>()
  constructor(fake: FakeGroq) {
    fake.onRequest = prompt => {
      const t = epochNow()
      this.count.set(prompt, (this.count.get(prompt) ?? 0) + 1)
      if (!this.at.has(prompt)) this.at.set(prompt, t)
      this.#waiters.get(prompt)?.(t)
      this.#waiters.delete(prompt)
    }
  }
  when(prompt: string): Promise<number> {
    const seen = this.at.get(prompt)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise(resolve => this.#waiters.set(prompt, resolve))
  }
}

const promptFor = (tag: string, i: number) => `Bench ${tag} item ${i}: summarise this line in one sentence.`

function eventAt(task: Task, to: Task["status"]): number {
  return task.history.find(h => h.to === to)?.at ?? NaN
}

// ── 1. throughput ────────────────────────────────────────────────────────────

export interface BatchResult {
  n: number
  approved: number
  otherFinal: Record<string, number>
  /** Not final when the timeout hit. */
  unfinished: number
  /** The operator's batch `change` (writing n tasks), ms. */
  writeMs: number
  /** First / last approval after the batch was written (approval event time), ms. */
  firstMs: number
  lastMs: number
  /** Operator saw the last one final, ms after the write started. */
  seenAllMs: number
  tasksPerSec: number
  /** Between the 10th and 90th percentile approval. */
  steadyPerSec: number
  grantToRunning: Summary
  runningToLlm: Summary
  runningToApproved: Summary
  duplicateLlmCalls: number
  executionsNot1: number
  byWorker: Record<string, number>
}

async function runBatch(rig: Rig, arrivals: Arrivals, tag: string, n: number, timeoutMs: number): Promise<BatchResult> {
  const ws = rig.op.workspace
  const controls = ws.root.controls
  const ids = new Set<string>()
  const tasks: Task[] = []
  const now = Date.now()
  for (let i = 0; i < n; i++) {
    let id = newTaskId(now)
    while (ids.has(id)) id = newTaskId(now)
    ids.add(id)
    tasks.push(buildTask(NewTaskInput.parse({ prompt: promptFor(tag, i) }), controls, rig.operator, now, id))
  }
  // One batch, one change (what `Workspace.addTask` writes, n times over, in a single change).
  const t0 = epochNow()
  ws.queueHandle.change(d => {
    for (const t of tasks) d.tasks[t.id] = t
  })
  const writeMs = epochNow() - t0
  const wait = whenAllFinal(rig.op, [...ids], timeoutMs)
  await wait.done.catch(() => {})
  const seenAllMs = Math.max(0, ...wait.seenAt.values()) - t0

  const approvedAt: number[] = []
  const otherFinal: Record<string, number> = {}
  const g2r: number[] = []
  const r2l: number[] = []
  const r2a: number[] = []
  const byWorker: Record<string, number> = {}
  let duplicateLlmCalls = 0
  let executionsNot1 = 0
  tasks.forEach((t, i) => {
    const task = ws.tasks.get(t.id)
    if (!task) return
    const prompt = promptFor(tag, i)
    if ((arrivals.count.get(prompt) ?? 0) > 1) duplicateLlmCalls++
    if (task.status !== "approved") {
      if (task.status !== "queued" && task.status !== "claimed" && task.status !== "running") otherFinal[task.status] = (otherFinal[task.status] ?? 0) + 1
      return
    }
    if (task.executions.length !== 1) executionsNot1++
    const approved = eventAt(task, "approved")
    const running = eventAt(task, "running")
    approvedAt.push(approved - t0)
    g2r.push(running - eventAt(task, "claimed"))
    r2a.push(approved - running)
    const arrival = arrivals.at.get(prompt)
    if (arrival !== undefined) r2l.push(arrival - running)
    const w = task.result?.worker ?? "?"
    byWorker[w] = (byWorker[w] ?? 0) + 1
  })
  approvedAt.sort((a, b) => a - b)
  const a = approvedAt.length
  const lastMs = approvedAt[a - 1] ?? NaN
  const i10 = Math.floor(a * 0.1)
  const i90 = Math.max(i10, Math.ceil(a * 0.9) - 1)
  const steadySpan = (approvedAt[i90]! - approvedAt[i10]!) / 1000
  return {
    n,
    approved: a,
    otherFinal,
    unfinished: wait.pending.size,
    writeMs,
    firstMs: approvedAt[0] ?? NaN,
    lastMs,
    seenAllMs,
    tasksPerSec: a / (lastMs / 1000),
    steadyPerSec: steadySpan > 0 ? (i90 - i10) / steadySpan : NaN,
    grantToRunning: summarize(g2r),
    runningToLlm: summarize(r2l),
    runningToApproved: summarize(r2a),
    duplicateLlmCalls,
    executionsNot1,
    byWorker,
  }
}

export interface Usage {
  /** % of one core over the measured window. */
  relayCpu: number
  workersCpu: number
  benchCpu: number
  foreignCpu: number
  wallS: number
}

export interface Counters {
  relay: RelayStats
  workers: WorkerStats[]
}

async function measured<T>(rig: Rig, fn: () => Promise<T>): Promise<{ value: T; usage: Usage; counters: Counters }> {
  await rig.resetCounters()
  const relay0 = await rig.relayStats()
  const cpu = () => rig.pids().map(pid => cpuSeconds(pid))
  const c0 = cpu()
  const self0 = process.cpuUsage()
  const foreign = foreignCpu(() => rig.pids())
  const t0 = performance.now()
  const value = await fn()
  const wallS = (performance.now() - t0) / 1000
  const foreignPct = foreign.stop()
  const c1 = cpu()
  const self1 = process.cpuUsage(self0)
  const relay1 = await rig.relayStats()
  const workers = await rig.workerStats()
  const pct = (s: number) => (s / wallS) * 100
  const relay: RelayStats = {
    ...relay1,
    messagesIn: relay1.messagesIn - relay0.messagesIn,
    messagesOut: relay1.messagesOut - relay0.messagesOut,
    bytesIn: relay1.bytesIn - relay0.bytesIn,
    bytesOut: relay1.bytesOut - relay0.bytesOut,
  }
  return {
    value,
    usage: {
      relayCpu: pct(c1[0]! - c0[0]!),
      workersCpu: pct(c1.slice(1).reduce((s, v, i) => s + v - c0[i + 1]!, 0)),
      benchCpu: pct((self1.user + self1.system) / 1e6),
      foreignCpu: foreignPct,
      wallS,
    },
    counters: { relay, workers },
  }
}

export interface ThroughputResult {
  workers: number
  concurrency: number
  batch: BatchResult
  usage: Usage
  counters: Counters
}

export async function throughput(ctx: SuiteContext, fake: FakeGroq, arrivals: Arrivals, opts: RigOptions, tag: string, n: number): Promise<ThroughputResult> {
  return scoped(ctx.cleanup, `queue ${tag}`, async scope => {
    const rig = await startRig(scope, fake, opts, tag)
    const warm = await runBatch(rig, arrivals, `${tag}-warm`, CONFIG.throughput.warmupTasks, 30_000)
    if (warm.approved !== warm.n) throw new Error(`${tag}: warm-up: only ${warm.approved} of ${warm.n} approved`)
    await sleep(300)
    if (opts.cpuProfDir) await rig.profiler("start")
    const { value: batch, usage, counters } = await measured(rig, () => runBatch(rig, arrivals, tag, n, CONFIG.throughput.timeoutMs))
    if (opts.cpuProfDir) await rig.profiler("stop")
    await rig.stop()
    ctx.log(
      `${tag}: ${batch.approved}/${n} approved in ${ms(batch.lastMs, 0)} ms = ${batch.tasksPerSec.toFixed(1)} tasks/s ` +
        `(steady ${batch.steadyPerSec.toFixed(1)}); CPU relay ${usage.relayCpu.toFixed(0)}% workers ${usage.workersCpu.toFixed(0)}% ` +
        `bench ${usage.benchCpu.toFixed(0)}% others ${usage.foreignCpu.toFixed(0)}%`,
    )
    return { workers: opts.workers, concurrency: opts.concurrency, batch, usage, counters }
  })
}

// ── 2. dispatch overhead on an idle queue ───────────────────────────────────

export interface DispatchResult {
  workers: number
  concurrency: number
  /** Written as queued (operator clock, before addTask) → LLM request at the fake server. */
  dispatch: Summary
  toGrant: Summary
  grantToRunning: Summary
  runningToLlm: Summary
  toApproved: Summary
  /** The operator sees the task approved. */
  toSeenApproved: Summary
  usage: Usage
  counters: Counters
  samples: number
}

/** `rigOptions` adds options to the dispatch rig's (e.g. `dataDir`: a workspace built beforehand). */
export async function dispatch(ctx: SuiteContext, fake: FakeGroq, arrivals: Arrivals, workers: number, rigOptions: Partial<RigOptions> = {}): Promise<DispatchResult> {
  const { concurrency, samples, warmup, gapMs } = CONFIG.dispatch
  const tag = `dispatch-${workers}w`
  return scoped(ctx.cleanup, `queue ${tag}`, async scope => {
    const rig = await startRig(scope, fake, { ...rigOptions, workers, concurrency, rateLimitPerMinute: CONFIG.rateLimitPerMinute }, tag)
    const ws = rig.op.workspace
    const one = async (i: number) => {
      const prompt = promptFor(tag, i)
      const arrived = arrivals.when(prompt)
      const t0 = epochNow()
      const task = ws.addTask({ prompt }, rig.operator)
      const llmAt = await withTimeout(arrived, 15_000, `${tag} task ${i} reaching the LLM`)
      const wait = whenAllFinal(rig.op, [task.id], 15_000)
      await wait.done
      const done = ws.tasks.get(task.id)!
      if (done.status !== "approved") throw new Error(`${tag}: task ${i} ended ${done.status}`)
      return {
        dispatch: llmAt - t0,
        toGrant: eventAt(done, "claimed") - t0,
        grantToRunning: eventAt(done, "running") - eventAt(done, "claimed"),
        runningToLlm: llmAt - eventAt(done, "running"),
        toApproved: eventAt(done, "approved") - t0,
        toSeenApproved: wait.seenAt.get(task.id)! - t0,
      }
    }
    for (let i = 0; i < warmup; i++) {
      await one(-1 - i)
      await sleep(gapMs)
    }
    const { value: rows, usage, counters } = await measured(rig, async () => {
      const rows: Awaited<ReturnType<typeof one>>[] = []
      for (let i = 0; i < samples; i++) {
        rows.push(await one(i))
        await sleep(gapMs)
      }
      return rows
    })
    await rig.stop()
    const col = (k: keyof (typeof rows)[number]) => summarize(rows.map(r => r[k]))
    const result: DispatchResult = {
      workers,
      concurrency,
      dispatch: col("dispatch"),
      toGrant: col("toGrant"),
      grantToRunning: col("grantToRunning"),
      runningToLlm: col("runningToLlm"),
      toApproved: col("toApproved"),
      toSeenApproved: col("toSeenApproved"),
      usage,
      counters,
      samples,
    }
    ctx.log(`${tag}: dispatch p50 ${ms(result.dispatch.p50)} ms, p99 ${ms(result.dispatch.p99)} ms (grant p50 ${ms(result.toGrant.p50)} ms)`)
    return result
  })
}

// ── 3. profile ──────────────────────────────────────────────────────────────

export interface ProfileResult {
  run: ThroughputResult
  relay: ProfileSummary
  workers: ProfileSummary
  workerCount: number
}

async function profile(ctx: SuiteContext, fake: FakeGroq, arrivals: Arrivals): Promise<ProfileResult> {
  // BENCH_QUEUE_PROFILES=<dir> keeps the .cpuprofile files there (open them in Chrome DevTools).
  const keep = process.env.BENCH_QUEUE_PROFILES
  const dir = keep ? (mkdirSync(keep, { recursive: true }), keep) : mkdtempSync(join(tmpdir(), "vivarium-bench-queue-prof-"))
  if (!keep) ctx.cleanup.add(`rm ${dir}`, () => rmSync(dir, { recursive: true, force: true }))
  const { workers, concurrency, tasks } = CONFIG.profile
  const run = await throughput(ctx, fake, arrivals, { workers, concurrency, rateLimitPerMinute: CONFIG.rateLimitPerMinute, cpuProfDir: dir }, "profile", tasks)
  const files = readdirSync(dir)
  const relayFile = files.find(f => f.startsWith("relay"))
  const workerFiles = files.filter(f => f.startsWith("bench-w"))
  if (!relayFile || workerFiles.length !== workers) throw new Error(`profile: expected relay + ${workers} worker profiles, got ${files.join(", ")}`)
  return {
    run,
    relay: summarizeProfile(join(dir, relayFile)),
    workers: mergeSummaries(workerFiles.map(f => summarizeProfile(join(dir, f)))),
    workerCount: workers,
  }
}

// ── the suite ───────────────────────────────────────────────────────────────

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const fake = await startFakeGroq()
  ctx.cleanup.add("fake groq", () => fake.close())
  const arrivals = new Arrivals(fake)

  const tp: ThroughputResult[] = []
  if (ONLY.has("throughput"))
  for (const concurrency of CONFIG.throughput.concurrency)
    for (const workers of CONFIG.throughput.workers)
      tp.push(
        await throughput(ctx, fake, arrivals, { workers, concurrency, rateLimitPerMinute: CONFIG.rateLimitPerMinute }, `tp-${workers}w-c${concurrency}`, CONFIG.throughput.tasks),
      )
  const disp: DispatchResult[] = []
  if (ONLY.has("dispatch")) for (const workers of CONFIG.dispatch.workers) disp.push(await dispatch(ctx, fake, arrivals, workers))
  const prof = ONLY.has("profile") ? await profile(ctx, fake, arrivals) : undefined
  const loadAfter = loadAverage()
  const seconds = (performance.now() - started) / 1000
  const all: QueueResults = { tp, disp, prof, loadBefore, loadAfter, seconds, config: CONFIG }
  if (process.env.BENCH_QUEUE_RAW) writeFileSync(process.env.BENCH_QUEUE_RAW, JSON.stringify(rawResults(all), null, 1))
  return report(ctx, all)
}

// ── report: bench/queueReport.ts ────────────────────────────────────────────
