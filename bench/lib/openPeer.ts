/**
 * A fresh Node peer in its own process (bench/syncOpenPeer.ts) opening a workspace: its result,
 * or an error saying where it failed. The child runs built JavaScript, bundled as the CLI is
 * (scripts/nodeBuildOptions.js), so its time and memory are a built peer's: under tsx the
 * TypeScript loader alone adds about 75 MiB of resident memory.
 */
import { build } from "esbuild"
import { join } from "node:path"
import { nodeBuildOptions } from "../../scripts/nodeBuildOptions.js"
import type { OpenConfig, OpenFailure, OpenResult } from "../syncOpenPeer.ts"
import { withTimeout, type Cleanup } from "./cleanup.ts"
import { REPO_ROOT, spawnNode } from "./proc.ts"

const BUILT = join(REPO_ROOT, "dist/bench/syncOpenPeer.js")
let built: Promise<unknown> | undefined

/** The child's answer: what it measured, or where it failed. */
export async function runFreshPeer(scope: Cleanup, label: string, config: OpenConfig, timeoutMs: number): Promise<OpenResult | OpenFailure> {
  await (built ??= build({ ...nodeBuildOptions(REPO_ROOT), entryPoints: ["bench/syncOpenPeer.ts"], outfile: BUILT, logLevel: "warning" }))
  // Diagnosis only: extra node flags, e.g. BENCH_PEER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = process.env.BENCH_PEER_NODE_ARGS?.split(" ").filter(Boolean) ?? []
  const child = spawnNode(scope, label, ["--expose-gc", ...extra], [BUILT, JSON.stringify(config)])
  const m = await child.waitForLine(/^(RESULT|FAILED) (.*)$/, timeoutMs)
  await withTimeout(child.exited, 15_000, `${label} exit`).catch(() => child.stop())
  return JSON.parse(m[2]!) as OpenResult | OpenFailure
}

/** The child's measurements; its failure thrown, saying where it failed. */
export async function openFreshPeer(scope: Cleanup, label: string, config: OpenConfig, timeoutMs: number): Promise<OpenResult> {
  const r = await runFreshPeer(scope, label, config, timeoutMs)
  if ("step" in r) throw new Error(`${label} failed at ${r.step} after ${r.afterMs.toFixed(0)} ms: ${r.error}`)
  return r
}
