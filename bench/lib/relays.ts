/** Starting the two relays under test as child processes, so their CPU and RSS can be read. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { RelayExtension } from "../../peer-server/extension.ts"
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
 * `RelayOptions.extensions` for a relay without the named extensions (their `name`s, e.g.
 * `change-gate`, `ledger-books`). A name the relay does not have is an error: a typo must not
 * quietly measure the relay whole.
 */
export function leavingOut(names: readonly string[]): (standard: RelayExtension[]) => RelayExtension[] {
  return standard => {
    const unknown = names.filter(n => !standard.some(e => e.name === n))
    if (unknown.length) throw new Error(`no relay extension named ${unknown.join(", ")} (the relay has ${standard.map(e => e.name).join(", ")})`)
    return standard.filter(e => !names.includes(e.name))
  }
}

/**
 * vivarium: the real CLI, `node bin/vivarium.js relay --port 0 --data DIR`; with `leaveOut`
 * (even empty), `node bench/launch.js bench/relayWithout.ts DIR NAMES` (the same relay from
 * source, without those extensions). bare: `node bench/launch.js bench/bareRelay.ts DIR`.
 * `dataDir` reuses a data directory written beforehand (a workspace built by the bench).
 */
export async function startRelayProcess(cleanup: Cleanup, system: SystemName, opts: { leaveOut?: readonly string[]; dataDir?: string } = {}): Promise<RelayProcess> {
  const dataDir = opts.dataDir ?? tempDir(cleanup, `${system}-relay`)
  // Diagnosis only: extra node flags for both relays, e.g. BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = process.env.BENCH_RELAY_NODE_ARGS?.split(" ").filter(Boolean) ?? []
  const child =
    system === "vivarium"
      ? opts.leaveOut
        ? spawnNode(cleanup, `vivarium relay without ${opts.leaveOut.join(", ") || "nothing"}`, extra, ["bench/launch.js", "bench/relayWithout.ts", dataDir, opts.leaveOut.join(",")])
        : spawnNode(cleanup, "vivarium relay", extra, ["bin/vivarium.js", "relay", "--port", "0", "--data", dataDir])
      : spawnNode(cleanup, "bare relay", extra, ["bench/launch.js", "bench/bareRelay.ts", dataDir])
  const m = await child.waitForLine(/Relay:\s+(ws:\/\/\S+)/, 30_000)
  const token = system === "vivarium" ? readFileSync(join(dataDir, "join-secret"), "utf8").trim() : ""
  return { system, wsUrl: m[1]!, token, pid: child.pid, dataDir, child, stop: () => child.stop() }
}
