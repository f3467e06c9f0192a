/** Starting the two relays under test as child processes, so their CPU and RSS can be read. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { Cleanup } from "./cleanup.ts"
import { spawnNode, tempDir, type Child } from "./proc.ts"

export type SystemName = "vivarium" | "bare"
export const SYSTEMS: readonly SystemName[] = ["vivarium", "bare"]

export interface RelayProcess {
  readonly system: SystemName
  readonly wsUrl: string
  /** The join secret (Vivarium); empty for the bare relay, which has no auth. */
  readonly token: string
  readonly pid: number
  readonly dataDir: string
  readonly child: Child
  stop(): Promise<void>
}

/**
 * vivarium: the real CLI, `node bin/vivarium.js relay --port 0 --data DIR`; with `gate: false`,
 * `node bench/launch.js bench/ungatedRelay.ts DIR` (the same relay without its change gate).
 * bare: `node bench/launch.js bench/bareRelay.ts DIR` (through tsx; the Vivarium relay runs the built CLI in dist/node).
 * `dataDir` reuses a data directory written beforehand (a workspace built by the bench).
 */
export async function startRelayProcess(cleanup: Cleanup, system: SystemName, opts: { gate?: boolean; dataDir?: string } = {}): Promise<RelayProcess> {
  const dataDir = opts.dataDir ?? tempDir(cleanup, `${system}-relay`)
  // Diagnosis only: extra node flags for both relays, e.g. BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = process.env.BENCH_RELAY_NODE_ARGS?.split(" ").filter(Boolean) ?? []
  const child =
    system === "vivarium"
      ? opts.gate === false
        ? spawnNode(cleanup, "vivarium relay without gate", extra, ["bench/launch.js", "bench/ungatedRelay.ts", dataDir])
        : spawnNode(cleanup, "vivarium relay", extra, ["bin/vivarium.js", "relay", "--port", "0", "--data", dataDir])
      : spawnNode(cleanup, "bare relay", extra, ["bench/launch.js", "bench/bareRelay.ts", dataDir])
  const m = await child.waitForLine(/Relay:\s+(ws:\/\/\S+)/, 30_000)
  const token = system === "vivarium" ? readFileSync(join(dataDir, "join-secret"), "utf8").trim() : ""
  return { system, wsUrl: m[1]!, token, pid: child.pid, dataDir, child, stop: () => child.stop() }
}
