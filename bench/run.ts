/**
 * `npm run bench [-- <suite> ...]`: runs the named suites (all of them without an
 * argument), prints a summary and writes each suite's section of docs/PERFORMANCE.md
 * (and the files it returns, such as charts).
 *
 * `npm run bench -- <suite> --json`: one suite that offers JSON; prints exactly one JSON
 * object on stdout (progress stays on stderr) and writes nothing to docs/.
 *
 * Adding a suite: write bench/<name>.ts exporting `suite: BenchSuite` and add a line to
 * SUITES. Suites are loaded lazily, so one suite's imports never slow another down.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Cleanup } from "./lib/cleanup.ts"
import { machineInfo } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { writeSection } from "./lib/report.ts"
import type { BenchSuite } from "./lib/suite.ts"

const SUITES: Record<string, () => Promise<BenchSuite>> = {
  sync: async () => (await import("./sync.ts")).suite,
  queue: async () => (await import("./queue.ts")).suite,
  ui: async () => (await import("./ui.ts")).suite,
  social: async () => (await import("./social.ts")).suite,
  gate: async () => (await import("./gate.ts")).suite,
  cli: async () => (await import("./cli.ts")).suite,
  panel: async () => (await import("./panel.ts")).suite,
  waits: async () => (await import("./waits.ts")).suite,
  follow: async () => (await import("./follow.ts")).suite,
  bounded: async () => (await import("./bounded.ts")).suite,
  rooms: async () => (await import("./rooms.ts")).suite,
  ledger: async () => (await import("./ledger.ts")).suite,
  leases: async () => (await import("./leases.ts")).suite,
  audit: async () => (await import("./audit.ts")).suite,
  cognition: async () => (await import("./cognition.ts")).suite,
  editors: async () => (await import("./editors.ts")).suite,
}

const REPORT = `${REPO_ROOT}/docs/PERFORMANCE.md`

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`Usage: npm run bench [-- <suite> ...] [--json]\nSuites: ${Object.keys(SUITES).join(", ")} (default: all)`)
    return 0
  }
  const json = argv.includes("--json")
  const args = argv.filter(a => a !== "--json")
  const names = args.length ? args : Object.keys(SUITES)
  if (json && names.length !== 1) {
    console.error("bench: --json runs exactly one suite")
    return 2
  }
  const unknown = names.filter(n => !(n in SUITES))
  if (unknown.length) {
    console.error(`bench: unknown suite ${unknown.join(", ")} (known: ${Object.keys(SUITES).join(", ")})`)
    return 2
  }

  const cleanup = new Cleanup()
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return
    interrupted = true
    console.error(`[bench] ${signal}: cleaning up…`)
    void cleanup.runAll().finally(() => process.exit(130))
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)

  // With --json stdout carries the JSON object only: anything else printed goes to stderr.
  const print = console.log
  if (json) console.log = (...args: unknown[]) => console.error(...args)
  const machine = machineInfo()
  const summaries: string[] = []
  const outputs: unknown[] = []
  let failed = 0
  try {
    for (const name of names) {
      const suite = await SUITES[name]!()
      const started = performance.now()
      console.error(`[bench] suite ${name}: ${suite.description}`)
      try {
        const result = await suite.run({ cleanup, machine, log: line => console.error(`[bench:${name}] ${line}`) })
        const seconds = ((performance.now() - started) / 1000).toFixed(0)
        if (json) {
          if (result.json === undefined) throw new Error(`suite ${name} offers no --json output`)
          outputs.push(result.json)
          continue
        }
        writeSection(REPORT, suite.heading, result.markdown)
        for (const file of result.files ?? []) writeFileSync(join(REPO_ROOT, file.path), file.content)
        summaries.push(`=== ${name} (${seconds} s; written to docs/PERFORMANCE.md, "${suite.heading}") ===\n${result.summary}`)
      } catch (error) {
        failed++
        console.error(`[bench] suite ${name} failed: ${(error as Error).stack ?? error}`)
      } finally {
        await cleanup.runAll()
      }
    }
  } finally {
    await cleanup.runAll()
  }
  if (json) {
    console.log = print
    if (outputs.length) process.stdout.write(`${JSON.stringify(outputs[0])}\n`)
  } else console.log(summaries.join("\n\n"))
  return failed ? 1 : 0
}

process.exitCode = await main(process.argv.slice(2))
// Repos and sockets of finished suites may keep timers alive; everything was cleaned up.
process.exit()
