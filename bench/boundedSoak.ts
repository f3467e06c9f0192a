/**
 * The shortened soak of `npm run bench -- bounded`: the relay (own process: bench/relayWithout.ts,
 * the same for every layout, with the layout's extensions left out) on the workspace built by the bench, a steady load of new tasks and room messages from one
 * Node peer, the relay's RSS and the size of its data directory sampled once a second.
 * BENCH_SOAK_S sets its length. The figures from the samples: soakFigures (bench/boundedFigures.ts).
 */
import { readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { postMessage } from "../src/domain/rooms/index.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { connectBenchPeer, ownerIdentity, whenRelayHas } from "./lib/peers.ts"
import { rssBytes, whenIdle } from "./lib/proc.ts"
import { startRelayProcess } from "./lib/relays.ts"
import type { SuiteContext } from "./lib/suite.ts"
import type { SoakSample } from "./boundedFigures.ts"

export interface SoakResult {
  seconds: number
  writesPerSecond: number
  writes: number
  samples: SoakSample[]
}

/** Total size of the files under `dir`. */
export function directoryBytes(dir: string): number {
  let bytes = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    try {
      bytes += entry.isDirectory() ? directoryBytes(path) : statSync(path).size
    } catch {
      /* removed meanwhile (a temp file renamed) */
    }
  }
  return bytes
}

const sleep = (t: number) => new Promise<void>(resolve => setTimeout(resolve, Math.max(0, t)))

/** Writes one task and one message every `1 / writesPerSecond` seconds for `seconds`, sampling every second. */
export async function soak(ctx: SuiteContext, scope: Cleanup, dataDir: string, seconds: number, leaveOut: readonly string[], writesPerSecond = 4): Promise<SoakResult> {
  const relay = await startRelayProcess(scope, "vivarium", { dataDir, leaveOut })
  const peer = await connectBenchPeer("vivarium", relay)
  scope.add("close soak peer", () => peer.close())
  const ws = peer.workspace!
  // The relay's change gate takes a task or a message only from the operator it names: the owner, whom the peer speaks for.
  const actor = { kind: "operator", name: (await ownerIdentity(dataDir)).name } as const
  // The load starts once the relay is idle and answers: a relay restarted on a big workspace
  // first catches up (the economy re-checks every finished task), which is no steady state.
  const warm = performance.now()
  await whenIdle(relay.pid, "the soak's relay catching up")
  ws.addTask({ prompt: "Soak warm-up: summarise the nightly build log in one sentence." }, actor)
  await postMessage({ workspace: ws, actor }, "town_hall", { content: "Soak warm-up: the relay is up.", importance: 3 })
  await whenRelayHas(peer, ws.queueHandle)
  ctx.log(`soak: the relay idle and the first task and message taken after ${(performance.now() - warm).toFixed(0)} ms`)
  const samples: SoakSample[] = []
  let newDataBytes = 0
  let writes = 0
  const t0 = performance.now()
  const sample = () =>
    samples.push({ t: (performance.now() - t0) / 1000, rssBytes: rssBytes(relay.pid), storageBytes: directoryBytes(dataDir), newDataBytes })
  sample()
  let nextSample = 1000
  const gap = 1000 / writesPerSecond
  for (let i = 0; performance.now() - t0 < seconds * 1000; i++) {
    const task = ws.addTask({ prompt: `Soak task ${i}: summarise the nightly build log in one sentence.` }, actor)
    const message = await postMessage({ workspace: ws, actor }, "town_hall", { content: `Soak message ${i}: the nightly run finished; two tests were flaky.`, importance: 3 })
    newDataBytes += JSON.stringify(task).length + JSON.stringify(message).length
    writes += 2
    if (performance.now() - t0 >= nextSample) {
      sample()
      nextSample += 1000
    }
    await sleep(t0 + (i + 1) * gap - performance.now())
  }
  await whenRelayHas(peer, ws.queueHandle)
  sample()
  const last = samples.at(-1)!
  ctx.log(`soak: ${writes} writes in ${last.t.toFixed(0)} s; relay RSS ${(samples[0]!.rssBytes / 1024 ** 2).toFixed(0)} → ${(last.rssBytes / 1024 ** 2).toFixed(0)} MiB, storage +${((last.storageBytes - samples[0]!.storageBytes) / 1024 ** 2).toFixed(1)} MiB`)
  await relay.stop()
  return { seconds: last.t, writesPerSecond, writes, samples }
}
