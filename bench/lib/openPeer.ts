/** A fresh Node peer in its own process (bench/syncOpenPeer.ts) opening a workspace: its result, or an error saying where it failed. */
import type { OpenConfig, OpenFailure, OpenResult } from "../syncOpenPeer.ts"
import { withTimeout, type Cleanup } from "./cleanup.ts"
import { spawnNode } from "./proc.ts"

export async function openFreshPeer(scope: Cleanup, label: string, config: OpenConfig, timeoutMs: number): Promise<OpenResult> {
  const child = spawnNode(scope, label, ["--expose-gc"], ["bench/launch.js", "bench/syncOpenPeer.ts", JSON.stringify(config)])
  const m = await child.waitForLine(/^(RESULT|FAILED) (.*)$/, timeoutMs)
  await withTimeout(child.exited, 15_000, `${label} exit`).catch(() => child.stop())
  if (m[1] === "FAILED") {
    const f = JSON.parse(m[2]!) as OpenFailure
    throw new Error(`${label} failed at ${f.step} after ${f.afterMs.toFixed(0)} ms: ${f.error}`)
  }
  return JSON.parse(m[2]!) as OpenResult
}
