/**
 * `npm run bench -- waits`: what saying why tasks wait costs. The panel runs the wait rule
 * every second for the rows it shows (at most 200) and for each quest; `vivarium status`
 * runs it once for every task. Pure, in process: queues of 100, 1,000 and 10,000 tasks,
 * half of them ready, with two busy workers, one pending.
 */
import { loadavg } from "node:os"
import type { Task } from "../schemas/index.ts"
import { defaultControls } from "../src/core/defaults.ts"
import { waitReasons } from "../src/domain/tasks/index.ts"
import { codeVersion, machineLine } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { ms, summarize, type Summary } from "./lib/stats.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"
import { makeTask } from "./syncData.ts"

const CONFIG = { queues: [100, 1_000, 10_000], samples: 50, shownRows: 200 }

export const suite: BenchSuite = {
  name: "waits",
  heading: "## Wait reasons (npm run bench -- waits)",
  description: "the wait rule: the panel's 200 shown rows per clock tick, and every task of the queue (vivarium status)",
  run,
}

function queueOf(size: number, now: number): Map<string, Task> {
  const tasks = Array.from({ length: size }, (_, i) => {
    const t = makeTask(i, now - size + i)
    if (i % 2) return { ...t, mode: "llm" as const, prompt: "write", command: undefined, dependsOn: i > 2 ? [makeTask(i - 2, now).id] : [] }
    if (i < 2) return { ...t, status: "running" as const, lease: { leaseId: `l${i}`, holder: `w${i}`, grantedAt: now, expiresAt: now + 60_000, renewals: 1 } }
    return t
  })
  return new Map(tasks.map(t => [t.id, t]))
}

function peers(now: number) {
  const worker = (name: string, state: "approved" | "pending") => ({ name, role: "worker" as const, publicKey: "a".repeat(64), state, registeredAt: 0, auditUrl: "automerge:x", lastSeen: now, concurrency: 1 })
  return { w0: worker("w0", "approved"), w1: worker("w1", "approved"), box: worker("box", "pending") }
}

interface Row {
  tasks: number
  shown: Summary
  all: Summary
}

function measure(size: number): Row {
  const now = Date.now()
  const tasks = queueOf(size, now)
  const root = { peers: peers(now), controls: defaultControls("relay", now) }
  const spend = { spentUsd: 0, capUsd: 1, reached: false }
  const list = [...tasks.values()]
  const shown: number[] = []
  const all: number[] = []
  for (let i = 0; i < CONFIG.samples; i++) {
    let t = performance.now()
    const why = waitReasons({ root, tasks, spend, now: now + i })
    for (const task of list.slice(0, CONFIG.shownRows)) why(task)
    shown.push(performance.now() - t)
    t = performance.now()
    const every = waitReasons({ root, tasks, spend, now: now + i })
    for (const task of list) every(task)
    all.push(performance.now() - t)
  }
  return { tasks: size, shown: summarize(shown), all: summarize(all) }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rows = CONFIG.queues.map(size => {
    ctx.log(`queue of ${size}`)
    return measure(size)
  })
  const table = [
    "| tasks in the queue | 200 shown rows (the panel, per second): p50 / p99 ms | every task (vivarium status): p50 / p99 ms |",
    "|---|---|---|",
    ...rows.map(r => `| ${r.tasks.toLocaleString("en")} | ${ms(r.shown.p50)} / ${ms(r.shown.p99)} | ${ms(r.all.p50)} / ${ms(r.all.p99)} |`),
  ]
  const markdown = [
    `Machine: ${machineLine(ctx.machine)}; load average ${loadavg()[0]!.toFixed(1)} at the end; code ${codeVersion(REPO_ROOT)}; ${CONFIG.samples} samples each.`,
    "",
    "The rule sorts the ready tasks once per snapshot (for \"behind N tasks\"), then answers each task in constant time.",
    "",
    ...table,
  ].join("\n")
  return { markdown, summary: table.join("\n") }
}
