/**
 * The line protocol of the queue benchmark's child processes (bench/queueRelay.ts,
 * bench/queueWorker.ts): commands arrive on stdin as `<command> <seq>`, answers go to
 * stdout as `<COMMAND> <seq> <json>`. `stop` (or stdin closing, or SIGTERM/SIGINT) ends
 * the process cleanly through `process.exit`, so that `--cpu-prof` writes its profile.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { createInterface } from "node:readline"

export type Handlers = Record<string, () => unknown | Promise<unknown>>

let session: Session | undefined

/**
 * `profstart` / `profstop` commands: a V8 CPU profile of this process's main thread over
 * exactly the measured window (`node --cpu-prof` would include start-up and module loading),
 * written as `<path>` in the .cpuprofile format that Chrome DevTools opens.
 */
export function profilerHandlers(path: string | undefined): Handlers {
  if (!path) return {}
  return {
    profstart: async () => {
      session = new Session()
      session.connect()
      await session.post("Profiler.enable")
      await session.post("Profiler.setSamplingInterval", { interval: 500 })
      await session.post("Profiler.start")
      return {}
    },
    profstop: async () => {
      if (!session) throw new Error("profiler not started")
      const { profile } = await session.post("Profiler.stop")
      writeFileSync(path, JSON.stringify(profile))
      session.disconnect()
      session = undefined
      return { path }
    },
  }
}

export function serveCommands(handlers: Handlers, stop: () => Promise<void>): void {
  let stopping = false
  const shutdown = async (code = 0) => {
    if (stopping) return
    stopping = true
    try {
      await stop()
    } catch (error) {
      console.error(`stop failed: ${(error as Error).stack ?? error}`)
      code = 1
    }
    process.exit(code)
  }
  process.once("SIGTERM", () => void shutdown())
  process.once("SIGINT", () => void shutdown())
  const rl = createInterface({ input: process.stdin })
  rl.on("close", () => void shutdown())
  rl.on("line", line => {
    const [command = "", seq = "0"] = line.trim().split(/\s+/)
    if (command === "stop") return void shutdown()
    const handler = handlers[command]
    if (!handler) return void console.error(`unknown command ${command}`)
    void Promise.resolve()
      .then(handler)
      .then(
        value => console.log(`${command.toUpperCase()} ${seq} ${JSON.stringify(value ?? null)}`),
        error => console.log(`${command.toUpperCase()} ${seq} ${JSON.stringify({ error: String((error as Error).message ?? error) })}`),
      )
  })
}
