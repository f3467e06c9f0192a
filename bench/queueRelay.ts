/**
 * The relay of the queue benchmark, in its own process: `startRelay` from
 * peer-server/relay.ts (the CLI has no lease or scheduler-tick flags) with the counters of
 * bench/queueProbe.ts. Run by bench/queue.ts:
 *
 *   node --import tsx bench/queueRelay.ts '{"dataDir":"…","leaseMs":60000,"schedulerTickMs":500}'
 *
 * Prints `READY {"wsUrl","token"}`; answers `stats N`, `reset N`, `peers N`; `stop` exits.
 */
import { startRelay } from "../peer-server/relay.ts"
import { Scheduler } from "../peer-server/scheduler.ts"
import { leavingOut } from "./lib/relays.ts"
import { profilerHandlers, serveCommands } from "./queueChild.ts"
import { installProbe, probeSnapshot, resetProbe } from "./queueProbe.ts"

interface RelayConfig {
  dataDir: string
  leaseMs?: number
  schedulerTickMs?: number
  /** Relay extensions to leave out, by name (bench/lib/relays.ts `leavingOut`). */
  leaveOut?: string[]
  /** Where `profstop` writes the CPU profile. */
  profile?: string
}

const config = JSON.parse(process.argv[2] ?? "{}") as RelayConfig
installProbe({ "Scheduler.runOnce": [Scheduler.prototype, "runOnce"] })
const relay = await startRelay({
  dataDir: config.dataDir,
  port: 0,
  host: "127.0.0.1",
  ...(config.leaseMs !== undefined ? { leaseMs: config.leaseMs } : {}),
  ...(config.schedulerTickMs !== undefined ? { schedulerTickMs: config.schedulerTickMs } : {}),
  ...(config.leaveOut?.length ? { extensions: leavingOut(config.leaveOut) } : {}),
  log: line => console.error(`[relay] ${line}`),
})

serveCommands(
  {
    ...profilerHandlers(config.profile),
    stats: () => {
      const m = relay.metrics
      return {
        probe: probeSnapshot(),
        messagesIn: m.messagesIn,
        messagesOut: m.messagesOut,
        bytesIn: m.bytesIn,
        bytesOut: m.bytesOut,
        tasks: relay.workspace.tasks.entries.size,
        counts: relay.workspace.countByStatus(),
      }
    },
    reset: () => {
      resetProbe()
      return {}
    },
    peers: () =>
      Object.fromEntries(
        Object.values(relay.workspace.root.peers).map(p => [p.name, { role: p.role, state: p.state, hasLlmKey: p.hasLlmKey ?? false, concurrency: p.concurrency ?? 0 }]),
      ),
  },
  () => relay.close(),
)
console.log(`READY ${JSON.stringify({ wsUrl: relay.wsUrl, token: relay.token })}`)
