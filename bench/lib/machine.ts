/** What machine a benchmark ran on, for the report header. */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg, totalmem } from "node:os"

export interface MachineInfo {
  date: string
  nproc: number
  cpuModel: string
  memoryGiB: number
  node: string
  os: string
}

export function machineInfo(): MachineInfo {
  let nproc = availableParallelism()
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || nproc
  } catch {
    /* keep availableParallelism */
  }
  let cpuModel = cpus()[0]?.model ?? "unknown"
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find(l => l.startsWith("model name"))
    if (line) cpuModel = line.split(":").slice(1).join(":").trim()
  } catch {
    /* not Linux */
  }
  let os = `${process.platform} ${process.arch}`
  try {
    const pretty = readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1]
    if (pretty) os = `${pretty} (${process.arch})`
  } catch {
    /* keep platform */
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc,
    cpuModel,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os,
  }
}

export function machineLine(m: MachineInfo): string {
  return `${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.os}`
}

/** The 1-minute load average: other work on the machine skews every number of a run. */
export function loadAverage(): number {
  return Math.round(loadavg()[0]! * 100) / 100
}

/** The commit measured, and whether the product code had uncommitted edits at the time. */
export function codeVersion(cwd: string): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" }).trim()
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "peer-server", "cli", "schemas", "bin"], { cwd, encoding: "utf8" })
      .split("\n")
      .filter(Boolean).length
    return dirty ? `commit ${head} + ${dirty} uncommitted file(s) in src/ peer-server/ cli/ schemas/ bin/` : `commit ${head}`
  } catch {
    return "unknown (no git)"
  }
}
