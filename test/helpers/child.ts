/**
 * Spawning `node bin/vivarium.js …` with captured output. Every child is also killed when
 * the test process exits, as a safety net behind the teardowns.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { testOperatorHome } from "./operatorHome.ts"

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const BIN = fileURLToPath(new URL("../../bin/vivarium.js", import.meta.url))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface CliChild {
  readonly child: ChildProcess
  readonly pid: number
  stdout(): string
  stderr(): string
  /** Resolves once the process has exited and its output is fully read. */
  readonly exited: Promise<Exit>
  isRunning(): boolean
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
}

const live = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL")
})

/**
 * The environment for a CLI child: ours without VIVARIUM_* (so nothing leaks in), with the
 * test process's VIVARIUM_HOME, plus `env`. Run next to a relay's data directory (`--data`,
 * or a cwd holding `.vivarium/`), a child acts as that relay's owner.
 */
export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VIVARIUM_") && k !== "DEBUG") base[k] = v
  base.VIVARIUM_HOME = testOperatorHome()
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k]
    else base[k] = v
  }
  return base
}

export function spawnCli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: cliEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] })
  live.add(child)
  let out = ""
  let err = ""
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s))
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s))
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once("error", error => {
      live.delete(child)
      reject(error)
    })
    // 'close' comes after 'exit' once stdout and stderr are drained.
    child.once("close", (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
  })
  const isRunning = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    isRunning,
    async stop(signal = "SIGTERM") {
      if (isRunning()) child.kill(signal)
      return exited
    },
  }
}
