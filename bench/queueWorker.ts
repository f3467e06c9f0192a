/**
 * One worker of the queue benchmark, in its own process (its own peer, Repo, WebSocket and
 * data dir): `Worker.start` from worker/worker.ts with the real groq-sdk client pointed at
 * the benchmark's fake Groq server, plus the counters of bench/queueProbe.ts.
 *
 *   node --import tsx bench/queueWorker.ts '{"relay":"ws://…","token":"…","dataDir":"…","name":"w1","concurrency":4,"baseURL":"http://…"}'
 *
 * Prints `READY {"name"}`; answers `stats N`, `reset N`; `stop` stops the worker and exits.
 */
import { groqClient } from "../worker/llm.ts"
import { Worker } from "../worker/worker.ts"
import { profilerHandlers, serveCommands } from "./queueChild.ts"
import { installProbe, probeSnapshot, resetProbe } from "./queueProbe.ts"

interface WorkerConfig {
  relay: string
  token: string
  dataDir: string
  name: string
  concurrency: number
  baseURL: string
  scanMs?: number
  heartbeatMs?: number
  leaseMs?: number
  /** The worker's LLM rate limit (default 60/min would cap a worker at 1 task/s). */
  rateLimitPerMinute: number
  /** Where `profstop` writes the CPU profile. */
  profile?: string
}

const config = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig
installProbe()
const worker = await Worker.start({
  relay: config.relay,
  token: config.token,
  dataDir: config.dataDir,
  name: config.name,
  concurrency: config.concurrency,
  ...(config.scanMs !== undefined ? { scanMs: config.scanMs } : {}),
  ...(config.heartbeatMs !== undefined ? { heartbeatMs: config.heartbeatMs } : {}),
  ...(config.leaseMs !== undefined ? { leaseMs: config.leaseMs } : {}),
  rateLimitPerMinute: config.rateLimitPerMinute,
  llm: groqClient({ apiKey: "bench-key", baseURL: config.baseURL, maxRetries: 2 }),
  env: {},
  log: line => console.error(line),
})
const finished: Record<string, number> = {}
worker.on("task-finished", ({ status }) => (finished[status] = (finished[status] ?? 0) + 1))

serveCommands(
  {
    ...profilerHandlers(config.profile),
    stats: () => ({ probe: probeSnapshot(), finished: { ...finished } }),
    reset: () => {
      resetProbe()
      for (const k of Object.keys(finished)) delete finished[k]
      return {}
    },
  },
  () => worker.stop(),
)
console.log(`READY ${JSON.stringify({ name: worker.name })}`)
