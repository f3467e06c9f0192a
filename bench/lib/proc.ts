/** Child processes of a benchmark: spawning, reading their lines, CPU and RSS from /proc. */
import { spawn, execFileSync, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import type { Cleanup } from "./cleanup.ts"
import { withTimeout } from "./cleanup.ts"

export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "")

/** A temp dir removed by `cleanup`. */
export function tempDir(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vivarium-bench-${prefix}-`))
  cleanup.add(`rm ${dir}`, () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Child {
  readonly pid: number
  readonly process: ChildProcess
  /** Resolves with the first stdout line matching `re` (rejects if the child exits first). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>
  /** Every stdout line so far. */
  readonly lines: string[]
  readonly stderr: () => string
  send(line: string): void
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>
  readonly exited: Promise<number | null>
}

/**
 * Runs `node [nodeArgs] script args` with cwd = repo root. `--import tsx` lets a .ts
 * script run under plain node, so `pid` is the process doing the work (no npx wrapper).
 */
export function spawnNode(cleanup: Cleanup, label: string, nodeArgs: string[], args: string[]): Child {
  const proc = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, DEBUG: "" },
  })
  if (proc.pid === undefined) throw new Error(`${label}: spawn failed`)
  const lines: string[] = []
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []
  let stderr = ""
  proc.stderr!.setEncoding("utf8")
  proc.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000)
    // BENCH_VERBOSE=1 shows every child's stderr (diagnosis).
    if (process.env.BENCH_VERBOSE === "1") process.stderr.write(chunk)
  })
  createInterface({ input: proc.stdout! }).on("line", line => {
    lines.push(line)
    for (const w of [...waiters]) {
      const m = line.match(w.re)
      if (m) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
    }
  })
  proc.stdin!.on("error", () => {})
  const exited = new Promise<number | null>(resolve => proc.once("exit", code => resolve(code)))
  const stop = async (graceMs = 5_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    proc.kill("SIGTERM")
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs)
    await exited
    clearTimeout(timer)
  }
  const unregister = cleanup.add(`stop ${label} (pid ${proc.pid})`, () => stop())
  void exited.then(() => unregister())
  return {
    pid: proc.pid,
    process: proc,
    lines,
    stderr: () => stderr,
    exited,
    send: line => void proc.stdin!.write(`${line}\n`),
    stop,
    waitForLine(re, timeoutMs) {
      const seen = lines.map(l => l.match(re)).find(m => m)
      if (seen) return Promise.resolve(seen)
      const found = new Promise<RegExpMatchArray>(resolve => waiters.push({ re, resolve }))
      const died = exited.then(code => {
        throw new Error(`${label} exited (${code}) before printing ${re}; stderr:\n${stderr.slice(-3000)}`)
      })
      return withTimeout(Promise.race([found, died]), timeoutMs, `${label} waiting for ${re}`)
    },
  }
}

let clockTicks: number | undefined
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** User + system CPU seconds the process has used so far (/proc/<pid>/stat utime + stime). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond()
}

/** CPU seconds every core of the machine has been busy so far (/proc/stat, all processes). */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond()
}

/**
 * CPU used on the machine by processes other than `ours` (pids) and this process, over a
 * window: other people's work skews every number of a run on a 2-core machine.
 */
export function foreignCpu(ours: () => number[]): { stop(): number } {
  const own = () => ours().reduce((sum, pid) => sum + safeCpu(pid), 0) + selfCpuSeconds()
  const m0 = machineBusySeconds()
  const o0 = own()
  const t0 = performance.now()
  return {
    /** Percent of one core used by other processes during the window. */
    stop() {
      const wall = (performance.now() - t0) / 1000
      return Math.max(0, ((machineBusySeconds() - m0 - (own() - o0)) / wall) * 100)
    },
  }
}

function safeCpu(pid: number): number {
  try {
    return cpuSeconds(pid)
  } catch {
    return 0
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/**
 * Resolves once process `pid` has used under `busyBelow` of one core for `quietMs` in a row
 * (checked every half second), with how long that took: a relay restarted on a big
 * workspace first catches up (its economy re-checks every finished task), and a part
 * measured meanwhile measures the catching up. Rejects after `timeoutMs`.
 */
export async function whenIdle(pid: number, what: string, opts: { busyBelow?: number; quietMs?: number; timeoutMs?: number } = {}): Promise<number> {
  const { busyBelow = 0.1, quietMs = 2000, timeoutMs = 600_000 } = opts
  const step = 500
  const t0 = performance.now()
  let quietSince = t0
  for (let cpu = cpuSeconds(pid); performance.now() - quietSince < quietMs; ) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: still busy after ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, step))
    const next = cpuSeconds(pid)
    if (next - cpu > (busyBelow * step) / 1000) quietSince = performance.now()
    cpu = next
  }
  return performance.now() - t0 - quietMs
}

/** Resident set size in bytes (/proc/<pid>/status VmRSS). */
export function rssBytes(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m)
  return m ? Number(m[1]) * 1024 : NaN
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function rssSampler(pid: number, everyMs = 200): { stop(): { peak: number; last: number } } {
  let peak = 0
  let last = NaN
  const sample = () => {
    try {
      last = rssBytes(pid)
      peak = Math.max(peak, last)
    } catch {
      /* exited */
    }
  }
  sample()
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return { peak, last }
    },
  }
}

/**
 * The wall clock at this module's load, less the monotonic clock then: both read in the same
 * breath. (`performance.timeOrigin` is taken at process start apart from its monotonic zero;
 * a process started on a saturated core can be hundreds of ms off, which made latencies across
 * processes come out negative.)
 */
const wallAtZero = Date.now() - performance.now()

/** Wall-clock milliseconds comparable across processes of this machine (sub-ms resolution). */
export function epochNow(): number {
  return wallAtZero + performance.now()
}
