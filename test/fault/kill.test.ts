/**
 * Fault campaign, SIGKILL: a relay child process is killed at random points while a Node
 * peer writes tasks, then restarted on the same data dir; every write the relay acknowledged
 * (flushToRelay resolved) must be there after the restart. Two independent chains (own data
 * dir, relay and writer) run side by side to keep the wall time down. The schedule is seeded:
 * the seed is printed, and FAULT_SEED=<seed> replays it.
 */
import { describe, expect, it } from "vitest"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { spawnRelay } from "../helpers/relayProcess.ts"
import { seedFrom, seededRandom, type SeededRandom } from "../helpers/seededRandom.ts"
import { useTeardown, type Teardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const CHAINS = 2
const ROUNDS_PER_CHAIN = 25

interface ChainResult {
  acknowledged: number
  written: number
  killedAfterAck: number
  killedMidBurst: number
}

/** Waits until `peer` sees every acknowledged task; fails naming the lost ones. */
async function allPresent(peer: NodePeer, acknowledged: Set<string>, when: string): Promise<void> {
  await waitFor(
    () => {
      const lost = [...acknowledged].filter(id => !peer.workspace.tasks.get(id))
      if (lost.length) throw new Error(`${when}: ${lost.length} of ${acknowledged.size} acknowledged tasks missing after SIGKILL, e.g. ${lost.slice(0, 5).join(", ")}`)
    },
    { timeoutMs: 5_000, events: [[peer.workspace.tasks, "change"]] },
  )
}

/** Rounds of: start the relay, check every earlier acknowledged write, write bursts, SIGKILL. */
async function killChain(teardown: Teardown, random: SeededRandom, label: string, rounds: number): Promise<ChainResult> {
  const dataDir = makeTempDir(teardown, "vivarium-kill-")
  const acknowledged = new Set<string>()
  const result: ChainResult = { acknowledged: 0, written: 0, killedAfterAck: 0, killedMidBurst: 0 }
  for (let round = 1; round <= rounds + 1; round++) {
    const relay = await spawnRelay(teardown, { dataDir })
    const writer = await connectTestPeer(teardown, relay)
    // The writers that held earlier tasks are gone: what shows here came from the relay's disk.
    await allPresent(writer, acknowledged, `${label} round ${round}`)
    if (round > rounds) {
      await writer.close()
      await relay.stop("SIGKILL")
      break
    }
    // Bursts of 1–5 tasks, each acknowledged; then a kill right after an acknowledgement, or
    // while the last burst is on its way to the relay.
    const bursts = random.int(1, 3)
    const midBurst = random.next() < 0.5
    for (let b = 0; b < bursts; b++) {
      const ids = Array.from({ length: random.int(1, 5) }, () => writer.workspace.addTask({ command: `echo ${result.written}`, title: `${label} ${result.written++}` }, operatorOf(writer)).id)
      if (midBurst && b === bursts - 1) break
      await writer.flushToRelay()
      for (const id of ids) acknowledged.add(id)
    }
    relay.child.kill("SIGKILL")
    expect(await relay.exited).toEqual({ code: null, signal: "SIGKILL" })
    result[midBurst ? "killedMidBurst" : "killedAfterAck"]++
    await writer.close()
  }
  result.acknowledged = acknowledged.size
  return result
}

describe("fault campaign: SIGKILL of the relay", () => {
  it(`loses no acknowledged write over ${CHAINS * ROUNDS_PER_CHAIN} kill-and-restart rounds`, { timeout: 300_000 }, async () => {
    const seed = seedFrom("FAULT_SEED")
    console.log(`kill campaign seed ${seed} (replay with FAULT_SEED=${seed})`)
    const results = await Promise.all(
      Array.from({ length: CHAINS }, (_, chain) => killChain(teardown, seededRandom(seed + chain), `chain ${chain} (seed ${seed})`, ROUNDS_PER_CHAIN)),
    )
    const total = results.reduce((a, r) => ({
      acknowledged: a.acknowledged + r.acknowledged,
      written: a.written + r.written,
      killedAfterAck: a.killedAfterAck + r.killedAfterAck,
      killedMidBurst: a.killedMidBurst + r.killedMidBurst,
    }))
    expect(total.killedAfterAck + total.killedMidBurst).toBe(CHAINS * ROUNDS_PER_CHAIN)
    expect(total.acknowledged).toBeGreaterThan(0)
    console.log(
      `kill campaign: ${CHAINS * ROUNDS_PER_CHAIN} SIGKILLs (${total.killedAfterAck} right after an acknowledgement, ${total.killedMidBurst} mid-burst), ${total.acknowledged} acknowledged of ${total.written} written, none lost`,
    )
  })
})
