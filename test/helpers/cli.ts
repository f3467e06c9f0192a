/**
 * Runs one CLI command to completion: `node bin/vivarium.js ARGS` → {code, stdout, stderr},
 * or cheaper, cli/main.ts's main() in this process.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { vi } from "vitest"
import { main } from "../../cli/main.ts"
import { captureConsole, type Captured } from "./captureConsole.ts"
import { spawnCli } from "./child.ts"
import { testOperatorHome } from "./operatorHome.ts"

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunCliOptions {
  /** Working directory; defaults to an empty temp dir, so no stray .vivarium/ is found. */
  cwd?: string
  /** Added to the environment (undefined removes a variable). VIVARIUM_* of ours never leak in. */
  env?: Record<string, string | undefined>
  timeoutMs?: number
}

export async function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  // By default an empty directory of its own, so no stray .vivarium/ is found.
  const scratch = opts.cwd ? undefined : mkdtempSync(join(tmpdir(), "vivarium-cli-cwd-"))
  const run = spawnCli(args, { cwd: opts.cwd ?? scratch!, ...(opts.env ? { env: opts.env } : {}) })
  const timeoutMs = opts.timeoutMs ?? 20_000
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill("SIGKILL")
      reject(new Error(`vivarium ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout: ${run.stdout()}\nstderr: ${run.stderr()}`))
    }, timeoutMs)
  })
  try {
    const exit = await Promise.race([run.exited, timedOut])
    return { ...exit, stdout: run.stdout(), stderr: run.stderr() }
  } finally {
    clearTimeout(timer)
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  }
}

/**
 * main(argv) in this process, as the test operator, with VIVARIUM_RELAY/TOKEN only from
 * `env`: no child process per command, so many cases stay cheap.
 */
export async function runMain(argv: string[], env: Record<string, string | undefined> = {}): Promise<Captured<number>> {
  vi.stubEnv("VIVARIUM_RELAY", undefined)
  vi.stubEnv("VIVARIUM_TOKEN", undefined)
  vi.stubEnv("VIVARIUM_HOME", testOperatorHome())
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v)
  try {
    return await captureConsole(() => main(argv))
  } finally {
    vi.unstubAllEnvs()
  }
}
