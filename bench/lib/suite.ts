/** The contract between bench/run.ts and each suite module (bench/<name>.ts). */
import { Cleanup } from "./cleanup.ts"
import type { MachineInfo } from "./machine.ts"

export interface SuiteContext {
  /** Everything the suite starts must be registered here; run.ts undoes it even on error. */
  readonly cleanup: Cleanup
  readonly machine: MachineInfo
  /** Progress lines (stderr), not part of the results. */
  log(line: string): void
}

export interface SuiteResult {
  /** Markdown for the suite's section of docs/PERFORMANCE.md, without the heading. */
  markdown: string
  /** Plain-text summary printed to stdout at the end. */
  summary: string
  /** The suite's figures as one JSON value: what `--json` prints instead of the summary (suites that offer it). */
  json?: unknown
  /** Files written next to the report (e.g. charts for docs/), path relative to the repository root. */
  files?: { path: string; content: string }[]
}

export interface BenchSuite {
  /** The name used on the command line: `npm run bench -- <name>`. */
  readonly name: string
  /** The suite's "## " heading in docs/PERFORMANCE.md; its section is replaced on each run. */
  readonly heading: string
  readonly description: string
  run(ctx: SuiteContext): Promise<SuiteResult>
}

/** Runs `fn` with its own cleanup scope, undone when `fn` finishes (and by the parent scope on a crash). */
export async function scoped<T>(parent: Cleanup, label: string, fn: (scope: Cleanup) => Promise<T>): Promise<T> {
  const scope = new Cleanup()
  const undo = parent.add(label, () => scope.runAll())
  try {
    return await fn(scope)
  } finally {
    await undo()
  }
}
