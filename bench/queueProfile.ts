/**
 * Reading V8 `.cpuprofile` files (written by `node --cpu-prof`): where a process spent its
 * CPU, by function (self and inclusive time) and by code area.
 */
import { readFileSync } from "node:fs"

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  /** Profiled time (samples weighted by their interval, each capped at two intervals), ms. */
  wallMs: number
  /** Of which not idle (everything but "(idle)"): close to CPU time, ms. */
  busyMs: number
  /** Self time by code area, ms. */
  areas: Map<string, number>
  /** Self time by function, ms. */
  self: Map<string, number>
  /** Inclusive time by function (each sample counted once per function on its stack), ms. */
  inclusive: Map<string, number>
}

/** A short location: package name for node_modules, repo-relative path for our code. */
export function shortUrl(url: string): string {
  if (!url) return ""
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/")
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const m = url.match(/\/work\/[^/]+\/(.*?)(\?.*)?$/) ?? url.match(/([^/]+\/[^/]+)$/)
  return m ? m[1]! : url
}

export function areaOf(frame: CallFrame): string {
  const { functionName: fn, url } = frame
  if (fn === "(garbage collector)") return "GC"
  if (fn === "(idle)") return "(idle)"
  if (fn === "(program)") return "(program: native, not attributed)"
  if (url.startsWith("wasm://")) return "Automerge (WASM + bindings)"
  if (!url) return "native / builtins"
  if (url.includes("node_modules/@automerge/automerge-repo")) return "automerge-repo (JS)"
  if (url.includes("node_modules/@automerge/automerge/")) return "Automerge (WASM + bindings)"
  if (url.includes("node_modules/zod")) return "zod (validation)"
  if (url.includes("node_modules/cbor")) return "cbor (message encoding)"
  if (url.includes("node_modules/ws/")) return "ws (WebSocket)"
  if (url.includes("node_modules/xstate")) return "xstate (DocHandle state machine)"
  if (url.includes("node_modules/groq-sdk") || url.includes("node_modules/undici")) return "groq-sdk / HTTP client"
  if (url.includes("node_modules/tsx") || url.includes("node_modules/esbuild")) return "tsx loader (start-up)"
  if (url.includes("node_modules/")) return `other packages (${shortUrl(url)})`
  if (url.startsWith("node:")) return "Node internals"
  if (url.includes("/src/") || url.includes("/schemas/")) return "Vivarium src/ + schemas/"
  if (url.includes("/worker/")) return "Vivarium worker/"
  if (url.includes("/peer-server/")) return "Vivarium peer-server/"
  if (url.includes("/bench/")) return "bench harness"
  return `other (${shortUrl(url)})`
}

export function frameKey(frame: CallFrame): string {
  const where = shortUrl(frame.url)
  return `${frame.functionName || "(anonymous)"}${where ? ` ${where}:${frame.lineNumber + 1}` : ""}`
}

export function summarizeProfile(path: string, samplingIntervalUs = 500): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const node of profile.nodes) {
    byId.set(node.id, node)
    for (const child of node.children ?? []) parent.set(child, node.id)
  }
  const profilerFrame = new Map<number, boolean>()
  const isProfilerFrame = (id: number): boolean => {
    let v = profilerFrame.get(id)
    if (v === undefined) {
      const node = byId.get(id)!
      const p = parent.get(id)
      v = node.callFrame.url === "node:inspector" || (p !== undefined && isProfilerFrame(p))
      profilerFrame.set(id, v)
    }
    return v
  }
  const keyOf = new Map<number, string>()
  for (const node of profile.nodes) keyOf.set(node.id, frameKey(node.callFrame))

  const areas = new Map<string, number>()
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
  let wallUs = 0
  let idleUs = 0
  // timeDeltas[i] is the wall time before sample i. A thread that waits for a core (2 cores,
  // many processes) gets its next sample late, and the whole wait would be charged to the
  // frame it was preempted in; capping each sample at 2 intervals keeps the weights close to
  // CPU time (checked against /proc CPU seconds: within ~10 %).
  const cap = 2 * samplingIntervalUs
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = Math.min(cap, Math.max(0, profile.timeDeltas[i] ?? 0))
    wallUs += dt
    const id = profile.samples[i]!
    const node = byId.get(id)
    if (!node) continue
    const ms = dt / 1000
    // The profiler's own stop call (serialising the profile) is not the program's work.
    if (node.callFrame.functionName === "(idle)" || isProfilerFrame(id)) {
      idleUs += dt
      continue
    }
    add(areas, areaOf(node.callFrame), ms)
    add(self, keyOf.get(id)!, ms)
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf.get(cur)!
      if (seen.has(k)) continue
      seen.add(k)
      add(inclusive, k, ms)
    }
  }
  return { wallMs: wallUs / 1000, busyMs: (wallUs - idleUs) / 1000, areas, self, inclusive }
}

/** Sums several processes' summaries (e.g. all workers). */
export function mergeSummaries(list: ProfileSummary[]): ProfileSummary {
  const out: ProfileSummary = { wallMs: 0, busyMs: 0, areas: new Map(), self: new Map(), inclusive: new Map() }
  for (const s of list) {
    out.wallMs += s.wallMs
    out.busyMs += s.busyMs
    for (const field of ["areas", "self", "inclusive"] as const)
      for (const [k, v] of s[field]) out[field].set(k, (out[field].get(k) ?? 0) + v)
  }
  return out
}

/** Inclusive ms of the first function whose key matches each pattern (name and file). */
export function inclusiveOf(s: ProfileSummary, pattern: RegExp): number {
  let sum = 0
  for (const [k, v] of s.inclusive) if (pattern.test(k)) sum += v
  return sum
}

export function top(m: Map<string, number>, n: number, skip: (k: string) => boolean = () => false): [string, number][] {
  return [...m.entries()].filter(([k]) => !skip(k)).sort((a, b) => b[1] - a[1]).slice(0, n)
}
