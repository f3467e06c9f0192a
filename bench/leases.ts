/**
 * `npm run bench -- leases`: what liveness and lease renewals write into the shared documents.
 *
 * A relay and 4 workers (`Worker.start`, default timings: beat every 5 s, lease 60 s) in this
 * process, the workers' groq-sdk pointed at a fake Groq that never answers (so a task stays
 * running and its lease held). Counted on the relay's replica: the Automerge changes (and their
 * bytes) added to the queue and to the root document during a window, (1) with the 4 workers
 * idle, (2) with each worker holding one lease. The figures are per minute.
 *
 * BENCH_LEASES_WINDOW_MS shortens the window (default 60 s) for a smoke run.
 */
import { getChangesSince, getHeads, type Doc, type Heads } from "@automerge/automerge"
import type { DocHandle } from "@automerge/automerge-repo"
import { startRelay, type Relay } from "../peer-server/relay.ts"
import { startFakeGroq } from "../test/helpers/fakeGroq.ts"
import { groqClient } from "../worker/llm.ts"
import { Worker } from "../worker/worker.ts"
import { codeVersion, machineLine } from "./lib/machine.ts"
import { REPO_ROOT, tempDir } from "./lib/proc.ts"
import type { BenchSuite, SuiteContext, SuiteResult } from "./lib/suite.ts"

const WINDOW_MS = Number(process.env.BENCH_LEASES_WINDOW_MS ?? 60_000)
const WORKERS = 4

export const suite: BenchSuite = {
  name: "leases",
  heading: "## Liveness and leases (npm run bench -- leases)",
  description: "changes and bytes written to the queue and the root per minute by 4 idle workers, and by 4 workers each holding a lease",
  run,
}

interface Written {
  changes: number
  bytes: number
}

interface Phase {
  queue: Written
  root: Written
}

function writtenSince(handle: DocHandle<unknown>, heads: Heads): Written {
  const changes = getChangesSince(handle.doc() as Doc<unknown>, heads)
  return { changes: changes.length, bytes: changes.reduce((n, c) => n + c.byteLength, 0) }
}

const perMinute = (w: Written): Written => ({ changes: Math.round((w.changes * 60_000) / WINDOW_MS), bytes: Math.round((w.bytes * 60_000) / WINDOW_MS) })

/** The changes the relay's replica takes in during one window. */
async function measure(relay: Relay): Promise<Phase> {
  const queue = relay.workspace.queueHandle as DocHandle<unknown>
  const root = relay.workspace.rootHandle as DocHandle<unknown>
  const before = { queue: getHeads(queue.doc() as Doc<unknown>), root: getHeads(root.doc() as Doc<unknown>) }
  await new Promise(resolve => setTimeout(resolve, WINDOW_MS))
  return { queue: perMinute(writtenSince(queue, before.queue)), root: perMinute(writtenSince(root, before.root)) }
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`bench leases: timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const fake = await startFakeGroq({ kind: "hang" })
  ctx.cleanup.add("fake groq", () => fake.close())
  const relay = await startRelay({ dataDir: tempDir(ctx.cleanup, "leases-relay"), port: 0, host: "127.0.0.1", log: () => {} })
  ctx.cleanup.add("leases relay", () => relay.close())
  const names = Array.from({ length: WORKERS }, (_, i) => `bench-w${i + 1}`)
  for (const name of names) {
    const worker = await Worker.start({
      relay: relay.wsUrl,
      token: relay.token,
      dataDir: tempDir(ctx.cleanup, name),
      name,
      env: {},
      llm: groqClient({ apiKey: "bench-key", baseURL: fake.baseURL, maxRetries: 0 }),
    })
    ctx.cleanup.add(name, () => worker.stop())
    await until(`${name} to register`, () => !!relay.workspace.root.peers[name])
    await relay.decideAsOwner(name, "approved")
  }
  await until("every worker approved and online", () => names.every(n => relay.workspace.root.peers[n]?.state === "approved" && relay.workspace.root.peers[n]?.hasLlmKey === true))
  // Let approvals, audit entries and first writes settle before the idle window.
  await new Promise(resolve => setTimeout(resolve, 3_000))
  ctx.log(`idle: ${WORKERS} workers, ${WINDOW_MS} ms`)
  const idle = await measure(relay)

  const owner = { kind: "operator" as const, name: relay.owner.name }
  for (let i = 0; i < WORKERS; i++) relay.workspace.addTask({ prompt: `Hold a lease (${i + 1}).` }, owner)
  await until("every worker running a task", () => fake.hungCount() === WORKERS)
  await new Promise(resolve => setTimeout(resolve, 3_000))
  ctx.log(`held: ${WORKERS} leases, ${WINDOW_MS} ms`)
  const held = await measure(relay)

  const row = (label: string, p: Phase) => `| ${label} | ${p.queue.changes} | ${p.queue.bytes} | ${p.root.changes} | ${p.root.bytes} |`
  const markdown = [
    `${machineLine(ctx.machine)}; code ${codeVersion(REPO_ROOT)}. Window ${WINDOW_MS / 1000} s per phase, figures per minute.`,
    "",
    "Method: a relay and 4 workers in one process with default timings (beat 5 s, lease 60 s), their groq-sdk pointed at a fake Groq that never answers; Automerge changes and their encoded bytes added to the relay's replica of the queue and the root during each window (bench/leases.ts). The layout before beats is compared in the next section.",
    "",
    "| 4 workers | queue changes/min | queue bytes/min | root changes/min | root bytes/min |",
    "|---|---|---|---|---|",
    row("idle", idle),
    row("each holding a lease", held),
  ].join("\n")
  const json = { windowMs: WINDOW_MS, workers: WORKERS, idle, held }
  return { markdown, summary: JSON.stringify(json), json }
}
