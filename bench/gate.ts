/**
 * `npm run bench -- gate`: what validating every change costs.
 *
 *  1. change→visible latency and relay CPU per change, the real relay (key-bound
 *     connections, the change gate, durable acknowledgements) side by side with the bare
 *     automerge-repo relay in the same run (the same rig as the sync suite's part 1);
 *  2. the gate's own time per judged message on queues of 100 and 10,000 tasks, beside what
 *     applying the same change costs the relay's Repo anyway (Automerge applyChanges).
 *
 * BENCH_GATE_QUICK=1 runs a short smoke version (numbers not meaningful).
 */
import * as A from "@automerge/automerge"
import { Repo, type DocHandle } from "@automerge/automerge-repo"
import type { QueueDoc } from "../schemas/index.ts"
import { ChangeGate } from "../peer-server/gate/changeGate.ts"
import type { Principal } from "../src/core/principal.ts"
import { createWorkspace } from "../src/workspace/createWorkspace.ts"
import { Workspace } from "../src/workspace/workspace.ts"
import { codeVersion, machineLine } from "./lib/machine.ts"
import { REPO_ROOT, tempDir } from "./lib/proc.ts"
import { ms, ratio, summarize, type Summary } from "./lib/stats.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"
import { CONFIG as SYNC_CONFIG, latencyPart } from "./sync.ts"
import { makeTask } from "./syncData.ts"

const QUICK = process.env.BENCH_GATE_QUICK === "1"
const CONFIG = { latencySamples: QUICK ? 30 : 300, gateSamples: QUICK ? 20 : 200, queues: [100, 10_000] }

export const suite: BenchSuite = {
  name: "gate",
  heading: "## Change gate (npm run bench -- gate)",
  description: "what validation costs: change→visible latency and relay CPU vs the bare relay; the gate's time per message vs applying it",
  run,
}

interface GateCost {
  tasks: number
  gate: Summary
  apply: Summary
}

/** The gate judging one operator edit of one task, against the Repo applying the same change. */
async function gateCost(ctx: SuiteContext, tasks: number): Promise<GateCost> {
  const dataDir = tempDir(ctx.cleanup, "gate-bench")
  const relay = new Repo({ network: [], isEphemeral: true })
  const now = Date.now()
  const root = createWorkspace(relay, { name: "bench", workspaceId: "bench-workspace", createdBy: "relay", now })
  const workspace = await Workspace.open(relay, root.url)
  const queue = workspace.queueHandle as DocHandle<QueueDoc>
  const all = Array.from({ length: tasks }, (_, i) => makeTask(i, now))
  for (let i = 0; i < all.length; i += 1_000)
    queue.change(d => {
      for (const t of all.slice(i, i + 1_000)) d.tasks[t.id] = t
    })
  const gate = new ChangeGate({ repo: relay, workspace, rootUrl: root.url, dataDir, log: () => {} })
  const operator: Principal = { peer: "bench-operator", role: "operator", publicKeyHex: "ab".repeat(32) }
  const gateMs: number[] = []
  const applyMs: number[] = []
  let peerDoc = A.clone(queue.doc(), { actor: "be".repeat(16) })
  for (let i = 0; i < CONFIG.gateSamples; i++) {
    const target = all[i % all.length]!.id
    const before = peerDoc
    peerDoc = A.change(A.clone(before, { actor: "be".repeat(16) }), d => {
      d.tasks[target]!.title = `edited ${i}`
      d.tasks[target]!.updatedAt = now + i
    })
    const changes = A.getChanges(queue.doc(), peerDoc)
    const message = A.encodeSyncMessage({ heads: A.getHeads(peerDoc), need: [], have: [], changes })
    let t = performance.now()
    const verdict = await gate.check(operator, queue.documentId, message)
    gateMs.push(performance.now() - t)
    if (verdict !== "accept") throw new Error(`the gate refused an honest edit: ${verdict.refuse}`)
    t = performance.now()
    queue.update(doc => A.applyChanges(doc, changes)[0])
    applyMs.push(performance.now() - t)
  }
  workspace.close()
  await relay.shutdown().catch(() => {})
  const result = { tasks, gate: summarize(gateMs), apply: summarize(applyMs) }
  ctx.log(`gate on ${tasks} tasks: p50 ${ms(result.gate.p50)} (apply p50 ${ms(result.apply.p50)})`)
  return result
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const t0 = performance.now()
  const code = codeVersion(REPO_ROOT)
  SYNC_CONFIG.latency.samples = CONFIG.latencySamples
  SYNC_CONFIG.latency.sweepGaps = []
  const lat = await latencyPart(ctx)
  const costs: GateCost[] = []
  for (const tasks of CONFIG.queues) costs.push(await gateCost(ctx, tasks))
  const v = lat.main.vivarium
  const b = lat.main.bare
  const cpuV = lat.relayCpuMsPerChange.vivarium
  const cpuB = lat.relayCpuMsPerChange.bare
  const latencyRatio = v.p50 / b.p50
  const cpuRatio = cpuV / cpuB
  const met = (r: number) => (r <= 1.2 ? "**met**" : "**missed**")
  const lines = [
    `Last run: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}. Machine: ${machineLine(ctx.machine)}. Code: ${code}. Whole suite: ${((performance.now() - t0) / 1000).toFixed(0)} s.${QUICK ? " QUICK run: numbers not meaningful." : ""}`,
    "",
    "**Compared:** *Vivarium* = the real relay (`bin/vivarium.js relay`): connections bound to registered keys, the change gate judging every sync message that carries changes (actor binding, a fork of the document, schema and authority checks), replies held until the document is fsynced. *Bare* = `bench/bareRelay.ts`, a plain automerge-repo relay. Same rig as the sync suite's part 1: peer A changes one task of a 100-task queue, the time runs until peer B's handle shows it; isolated changes 105 ms apart, the systems alternate change by change. Relay CPU is the relay process's CPU over the run divided by the number of changes.",
    "",
    `**Target:** within 1.2× of bare — latency p50 ${met(latencyRatio)} (${ratio(v.p50, b.p50)}), relay CPU per change ${met(cpuRatio)} (${ratio(cpuV, cpuB)}).`,
    "",
    "### 1. Change → visible latency and relay CPU, gate on",
    "",
    "| system | n | p50 ms | p90 ms | p99 ms | relay CPU ms / change |",
    "|---|---:|---:|---:|---:|---:|",
    `| vivarium (gate on) | ${v.n} | ${ms(v.p50)} | ${ms(v.p90)} | ${ms(v.p99)} | ${cpuV.toFixed(2)} |`,
    `| bare | ${b.n} | ${ms(b.p50)} | ${ms(b.p90)} | ${ms(b.p99)} | ${cpuB.toFixed(2)} |`,
    `| **vivarium/bare** | | **${ratio(v.p50, b.p50)}** | ${ratio(v.p90, b.p90)} | ${ratio(v.p99, b.p99)} | **${ratio(cpuV, cpuB)}** |`,
    "",
    `Other processes used ${lat.foreignCpuPct.toFixed(0)}% of a core during the run.`,
    "",
    "### 2. The gate's own time per message",
    "",
    "In process: the gate judges an operator's edit of one task (title and updatedAt) sent as a real sync message; beside it, the relay's Repo applying the same change (`A.applyChanges`), which it does with or without a gate.",
    "",
    "| tasks in the queue | n | gate p50 ms | gate p90 ms | apply p50 ms | gate/apply |",
    "|---:|---:|---:|---:|---:|---:|",
    ...costs.map(c => `| ${c.tasks.toLocaleString("en")} | ${c.gate.n} | ${ms(c.gate.p50)} | ${ms(c.gate.p90)} | ${ms(c.apply.p50)} | ${ratio(c.gate.p50, c.apply.p50)} |`),
    "",
    "### What the numbers say",
    "",
    "- Part 1 measures the whole new relay, not the gate alone: replies now wait for an fsync of the changed document (the durability guarantee; one fsynced write costs ~6–20 ms on this disk, see docs/OPERATIONS.md), and the relay's readers verify signatures. On a 100-task queue the gate itself costs about 1 ms per message (part 2), a small share of the gap.",
    "- On a 10,000-task queue the gate's cost grows with the document (fork, materialized before-values of the changed records, actor-binding bookkeeping) and has long tails: the cost follows the history, not the change. Keeping the live queue small (the archiver) and judging only the changed records of a fork that the gate keeps between messages are the levers; they belong with bounding every cost by the working set.",
    "",
  ]
  const summary = [
    `latency p50 vivarium (gate on) ${ms(v.p50)} vs bare ${ms(b.p50)}: ${ratio(v.p50, b.p50)}`,
    `relay CPU per change ${cpuV.toFixed(2)} ms vs ${cpuB.toFixed(2)} ms: ${ratio(cpuV, cpuB)}`,
    ...costs.map(c => `gate on ${c.tasks} tasks: p50 ${ms(c.gate.p50)} (apply ${ms(c.apply.p50)})`),
  ].join("\n")
  return { markdown: lines.join("\n"), summary }
}
