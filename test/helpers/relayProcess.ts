/**
 * The relay as a child process — `node bin/vivarium.js relay --port 0 --data DIR` — found
 * through its "Relay: ws://127.0.0.1:PORT" line; the secret is read from DIR/join-secret.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { spawnCli, type CliChild } from "./child.ts"
import type { Teardown } from "./teardown.ts"

export interface RelayProcess extends CliChild {
  readonly dataDir: string
  readonly port: number
  readonly wsUrl: string
  readonly httpUrl: string
  readonly token: string
}

export interface SpawnRelayOptions {
  dataDir: string
  env?: Record<string, string | undefined>
  extraArgs?: string[]
  startTimeoutMs?: number
}

const RELAY_LINE = /^\s*Relay:\s+(ws:\/\/127\.0\.0\.1:(\d+))\s*$/m

export async function spawnRelay(teardown: Teardown, opts: SpawnRelayOptions): Promise<RelayProcess> {
  const run = spawnCli(["relay", "--port", "0", "--data", opts.dataDir, ...(opts.extraArgs ?? [])], {
    cwd: opts.dataDir,
    ...(opts.env ? { env: opts.env } : {}),
  })
  // Registered before anything can fail, so a half-started relay is killed too.
  teardown.add(() => run.stop("SIGKILL"))
  const timeoutMs = opts.startTimeoutMs ?? 15_000
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const fail = (why: string) => {
      cleanup()
      reject(new Error(`relay did not start: ${why}\nstdout: ${run.stdout()}\nstderr: ${run.stderr()}`))
    }
    const onData = () => {
      const m = RELAY_LINE.exec(run.stdout())
      if (!m) return
      cleanup()
      resolve(m)
    }
    const onExit = (code: number | null, signal: string | null) => fail(`exited with ${code ?? signal}`)
    const timer = setTimeout(() => fail(`no "Relay:" line within ${timeoutMs} ms`), timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      run.child.stdout!.off("data", onData)
      run.child.off("exit", onExit)
    }
    run.child.stdout!.on("data", onData)
    run.child.once("exit", onExit)
    onData()
  })
  const wsUrl = match[1]!
  const port = Number(match[2])
  const token = readFileSync(join(opts.dataDir, "join-secret"), "utf8").trim()
  return { ...run, dataDir: opts.dataDir, port, wsUrl, httpUrl: `http://127.0.0.1:${port}`, token }
}
