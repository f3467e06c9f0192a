/**
 * `npm run bench -- follow`: what following work costs.
 *
 *  1. Live output latency through the real relay (key-bound connections, the change gate,
 *     the ephemeral gate): a worker peer holding a task's lease sends lines, an operator peer
 *     receives them; (a) one line per message sent at once (the relay hop), (b) lines written
 *     into worker/liveOutput.ts as a process would, batched by it (what a reader sees).
 *     Relay and both peers run in this process, with the clock they share.
 *  2. The dashboard's and palette's derivations on a 10,000-task queue: the hourly series,
 *     the activity feed, the palette's search and the queue filter.
 *
 * BENCH_FOLLOW_QUICK=1 runs a short smoke version (numbers not meaningful).
 */
import { TASK_OUTPUT_MARKER, TaskOutputEnvelope } from "../schemas/ephemeral.ts"
import type { RootDoc, Task } from "../schemas/index.ts"
import { startRelay, type Relay } from "../peer-server/relay.ts"
import { activityFeed } from "../src/core/activity.ts"
import { generateSigningKey, importPrivateKey } from "../src/core/signing.ts"
import type { PeerIdentity } from "../src/domain/peers/index.ts"
import { filterFromQuery, matchesFilter, taskSeries } from "../src/domain/tasks/index.ts"
import { searchCommands, type Command } from "../src/app/palette/commandSearch.ts"
import { connectPeer, enrolIdentity, fetchWorkspace, type NodePeer } from "../src/peer/nodePeer.ts"
import { liveOutputOn } from "../worker/liveOutput.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { REPO_ROOT, tempDir } from "./lib/proc.ts"
import { ms, summarize, type Summary } from "./lib/stats.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"
import { makeTask } from "./syncData.ts"

const QUICK = process.env.BENCH_FOLLOW_QUICK === "1"
const CONFIG = { lines: QUICK ? 40 : 400, hopEveryMs: 40, writeEveryMs: 20, tasks: 10_000, reps: QUICK ? 3 : 20 }
const HOUR = 3_600_000

export const suite: BenchSuite = {
  name: "follow",
  heading: "## Following work (npm run bench -- follow)",
  description: "live output latency through the relay, and the dashboard's feed, charts, palette search and queue filter on 10,000 tasks",
  run,
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

async function identity(role: "worker" | "operator", name: string): Promise<PeerIdentity> {
  const pair = await generateSigningKey()
  return { name, role, publicKeyHex: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

async function admitted(relay: Relay, id: PeerIdentity): Promise<NodePeer> {
  const { workspaceId } = await fetchWorkspace(relay.wsUrl, relay.token)
  await enrolIdentity(relay.wsUrl, relay.token, workspaceId, id)
  await relay.decideAsOwner(id.name, "approved")
  return connectPeer({ relay: relay.wsUrl, token: relay.token, identity: id, connectTimeoutMs: 15_000 })
}

interface Latency {
  hop: Summary
  shown: Summary
  lost: number
}

/** Part 1: lines from the lease holder to another peer, through the relay. */
async function liveLatency(ctx: SuiteContext): Promise<Latency> {
  const relay = await startRelay({ dataDir: tempDir(ctx.cleanup, "follow-relay"), port: 0, host: "127.0.0.1", leaseMs: 60 * 60_000, log: () => {} })
  ctx.cleanup.add("follow relay", () => relay.close())
  const worker = await admitted(relay, await identity("worker", "bench-worker"))
  ctx.cleanup.add("follow worker", () => worker.close())
  const watcher = await admitted(relay, await identity("operator", "bench-watcher"))
  ctx.cleanup.add("follow watcher", () => watcher.close())

  // A running task whose lease the worker holds, written by the relay as the scheduler would.
  const now = Date.now()
  const task = relay.workspace.addTask({ command: "bench" }, { kind: "operator", name: relay.owner.name }, now)
  const lease = (leaseId: string) =>
    relay.workspace.updateTask(task.id, d => {
      d.status = "running"
      d.lease = { leaseId, holder: "bench-worker", grantedAt: now, expiresAt: now + HOUR, renewals: 0 }
    })

  const received = new Map<string, number>()
  watcher.workspace.queueHandle.on("ephemeral-message", ({ message }) => {
    const parsed = TaskOutputEnvelope.safeParse(message)
    if (!parsed.success) return
    const at = performance.now()
    for (const line of parsed.data[TASK_OUTPUT_MARKER].lines) received.set(line.text, at)
  })
  const measure = async (sent: Map<string, number>): Promise<number[]> => {
    const deadline = Date.now() + 10_000
    while (received.size < sent.size && Date.now() < deadline) await sleep(20)
    return [...sent].map(([text, at]) => (received.get(text) ?? Infinity) - at)
  }

  lease("bench-lease-hop")
  const hopSent = new Map<string, number>()
  for (let i = 1; i <= CONFIG.lines; i++) {
    const text = `hop ${i}`
    hopSent.set(text, performance.now())
    worker.workspace.queueHandle.broadcast({ [TASK_OUTPUT_MARKER]: { taskId: task.id, leaseId: "bench-lease-hop", seq: i, lines: [{ stream: "stdout", text }] } })
    await sleep(CONFIG.hopEveryMs)
  }
  const hop = await measure(hopSent)

  lease("bench-lease-shown")
  received.clear()
  const live = liveOutputOn(worker.workspace.queueHandle, { taskId: task.id, leaseId: "bench-lease-shown" })
  const shownSent = new Map<string, number>()
  for (let i = 1; i <= CONFIG.lines; i++) {
    const text = `line ${i}`
    shownSent.set(text, performance.now())
    live.write(i % 5 ? "stdout" : "stderr", Buffer.from(`${text}\n`))
    await sleep(CONFIG.writeEveryMs)
  }
  live.close()
  const shown = await measure(shownSent)
  return { hop: summarize(hop), shown: summarize(shown), lost: [...hop, ...shown].filter(x => !Number.isFinite(x)).length }
}

interface Derivation {
  name: string
  ms: Summary
}

/** A queue of `n` tasks with the history of a busy day: most finished, some with LLM calls. */
function busyQueue(n: number, now: number): Task[] {
  return Array.from({ length: n }, (_, i) => {
    const t = makeTask(i, now - ((i * 7919) % (24 * HOUR)))
    const at = t.createdAt
    const by = { kind: "worker" as const, name: `worker-${i % 4}` }
    const done = i % 10 !== 0
    return {
      ...t,
      status: done ? (i % 17 ? "approved" : "failed") : "queued",
      history: done
        ? [
            { at: at + 1_000, from: "queued", to: "claimed", by: { kind: "system", name: "relay" } },
            { at: at + 2_000, from: "claimed", to: "running", by },
            { at: at + 60_000, from: "running", to: i % 17 ? "approved" : "failed", by },
          ]
        : [],
      ...(i % 3 === 0 ? { calls: [{ model: "llama-3.1-8b-instant", promptTokens: 500, completionTokens: 200, costUsd: 0.0001, at: at + 30_000, ok: true, leaseId: "l", worker: by.name }] } : {}),
    } as Task
  })
}

function timeIt(name: string, fn: () => unknown): Derivation {
  const times: number[] = []
  for (let i = 0; i < CONFIG.reps; i++) {
    const t = performance.now()
    fn()
    times.push(performance.now() - t)
  }
  return { name, ms: summarize(times) }
}

/** Part 2: the pure derivations the dashboard, palette and queue run on each change. */
function derivations(): Derivation[] {
  const now = Date.now()
  const tasks = busyQueue(CONFIG.tasks, now)
  const root = { controls: { killSwitch: { on: false, reason: "", setBy: "relay", setAt: now } }, peers: {} } as unknown as RootDoc
  const commands: Command[] = tasks.map(t => ({ id: `task:${t.id}`, kind: "task", label: t.title, detail: `${t.status} · ${t.id}`, to: `/tasks/${t.id}`, recency: t.updatedAt }))
  const filter = filterFromQuery({ q: "flaky", status: "approved" })
  return [
    timeIt("hourly series (24 buckets: approved, failed, spend, depth)", () => taskSeries(tasks, { now, buckets: 24, bucketMs: HOUR })),
    timeIt("activity feed (newest 13)", () => activityFeed({ tasks, root }, 13)),
    timeIt("palette search, 2 words", () => searchCommands(commands, "task 42")),
    timeIt("queue filter (text + status)", () => tasks.filter(t => matchesFilter(t, filter))),
  ]
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const load = loadAverage()
  ctx.log(`live output: ${CONFIG.lines} lines each way`)
  const latency = await liveLatency(ctx)
  ctx.log(`derivations on ${CONFIG.tasks} tasks, ${CONFIG.reps} runs each`)
  const derived = derivations()
  const row = (label: string, s: Summary) => `| ${label} | ${s.n} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`
  const markdown = [
    `Machine: ${machineLine(ctx.machine)}; load average ${load} at the start; ${codeVersion(REPO_ROOT)}.${QUICK ? " **Quick run: numbers not meaningful.**" : ""}`,
    "",
    "**Live output** (ms from the worker's side to the operator peer's `ephemeral-message`, through the real relay with its change and ephemeral gates; relay and peers in one process on loopback):",
    "",
    "| path | lines | p50 | p90 | p99 | max |",
    "|---|---|---|---|---|---|",
    row(`relay hop: one line per message, one message every ${CONFIG.hopEveryMs} ms`, latency.hop),
    row(`written to worker/liveOutput.ts every ${CONFIG.writeEveryMs} ms (batched per 200 ms window), to shown`, latency.shown),
    "",
    `Lines lost: ${latency.lost}. The batching window bounds what a reader waits for a line on top of the hop; it keeps the relay at ≤ 5 messages a second per run.`,
    "",
    `**Derivations on ${CONFIG.tasks.toLocaleString("en")} tasks** (ms per call, ${CONFIG.reps} calls; the dashboard recomputes the series and feed when the queue changes, and at most once a minute for the clock):`,
    "",
    "| derivation | calls | p50 | p90 | p99 | max |",
    "|---|---|---|---|---|---|",
    ...derived.map(d => row(d.name, d.ms)),
  ].join("\n")
  const summary = [
    `live output: hop p50 ${ms(latency.hop.p50)} ms, p99 ${ms(latency.hop.p99)} ms; written→shown p50 ${ms(latency.shown.p50)} ms, p99 ${ms(latency.shown.p99)} ms; lost ${latency.lost}`,
    ...derived.map(d => `${d.name}: p50 ${ms(d.ms.p50)} ms, max ${ms(d.ms.max)} ms`),
  ].join("\n")
  return { markdown, summary }
}
