/**
 * Instruments the control panel from outside its code, for the `ui` benchmark: an init
 * script (runs in the page before the app) timestamps the WASM instantiation, the
 * IndexedDB reads, long tasks and the moment a testid shows the expected text; a CDP CPU
 * profile splits the start's CPU time into Automerge WASM, app JavaScript and GC.
 */
import type { CDPSession, Page } from "playwright-core"

export interface Span {
  start: number
  end: number
}

export interface IdbRead extends Span {
  store: string
  /** First element of the key (the Automerge document id for the "documents" store). */
  key: string
  bytes: number
}

/** Times are the page's performance.now(): milliseconds since its navigation started. */
export interface ProbeResult {
  wasm: Span[]
  idb: IdbRead[]
  longTasks: Span[]
  /** The browser's paint entries: first-paint and first-contentful-paint. */
  paints: { name: string; start: number }[]
  /** The app shell (workspace name) is in the DOM. */
  shellAt?: number
  /** The testid first showed the expected text (DOM committed) … */
  shownAt?: number
  /** … and the next animation frame after it (painted). */
  paintedAt?: number
  responseEnd: number
  domContentLoaded: number
  /** The page's script, as fetched (from the service worker when installed). */
  scripts: { name: string; start: number; end: number; fromServiceWorker: boolean }[]
}

declare global {
  interface Window {
    __uiProbe?: ProbeResult
    __uiClicks?: number[]
    __uiSyncSends?: number[]
  }
}

/** Runs in the page (addInitScript): must be self-contained. */
function probeScript({ testId, text }: { testId: string; text: string }): void {
  const now = () => performance.now()
  const probe: ProbeResult = { wasm: [], idb: [], longTasks: [], paints: [], responseEnd: 0, domContentLoaded: 0, scripts: [] }
  window.__uiProbe = probe

  const wasm = WebAssembly as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
  for (const name of ["instantiateStreaming", "instantiate", "compileStreaming", "compile"]) {
    const original = wasm[name]
    if (!original) continue
    wasm[name] = function (this: unknown, ...args: unknown[]) {
      const span = { start: now(), end: NaN }
      const result = original.apply(this, args)
      void result.then(() => ((span.end = now()), probe.wasm.push(span))).catch(() => {})
      return result
    }
  }

  const store = IDBObjectStore.prototype as unknown as Record<string, (...args: unknown[]) => IDBRequest>
  for (const method of ["get", "getAll", "openCursor"]) {
    const original = store[method]!
    store[method] = function (this: IDBObjectStore, ...args: unknown[]) {
      const request = original.apply(this, args)
      const query = args[0]
      const first = query instanceof IDBKeyRange ? query.lower : query
      const read: IdbRead = { store: this.name, key: String(Array.isArray(first) ? first[0] : first), bytes: 0, start: now(), end: NaN }
      probe.idb.push(read)
      const size = (value: unknown) => (value as { binary?: Uint8Array } | undefined)?.binary?.byteLength ?? 0
      request.addEventListener("success", () => {
        const result = request.result as unknown
        if (result instanceof IDBCursorWithValue) return void (read.bytes += size(result.value))
        read.bytes += Array.isArray(result) ? result.reduce((n: number, v) => n + size(v), 0) : size(result)
        read.end = now()
      })
      return request
    }
  }

  new PerformanceObserver(list => {
    for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, end: e.startTime + e.duration })
  }).observe({ type: "longtask", buffered: true })
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) probe.paints.push({ name: e.name, start: e.startTime })
  }).observe({ type: "paint", buffered: true })

  const check = () => {
    if (probe.shellAt === undefined && document.querySelector('[data-testid="workspace-name"]')) probe.shellAt = now()
    if (probe.shownAt !== undefined) return
    const el = document.querySelector(`[data-testid="${testId}"]`)
    if (el?.textContent?.trim() !== text) return
    probe.shownAt = now()
    requestAnimationFrame(() => (probe.paintedAt = now()))
    observer.disconnect()
  }
  const observer = new MutationObserver(check)
  observer.observe(document, { subtree: true, childList: true, characterData: true })
}

/** Adds the probe to every page of the context opened from now on. */
export async function addProbe(page: Page, testId: string, text: string): Promise<void> {
  // tsx compiles with keepNames: the serialized function calls esbuild's __name helper.
  await page.addInitScript({ content: "self.__name = self.__name || (fn => fn)" })
  await page.addInitScript(probeScript, { testId, text })
}

/** Waits until the probe saw the text, then returns its record (with navigation timing). */
export async function readProbe(page: Page, timeoutMs: number): Promise<ProbeResult> {
  try {
    await page.waitForFunction(() => window.__uiProbe?.paintedAt !== undefined, undefined, { timeout: timeoutMs, polling: 50 })
  } catch (error) {
    const seen = await page.evaluate(() => ({ probe: !!window.__uiProbe, text: document.querySelector("main")?.textContent?.slice(0, 300) })).catch(e => String(e))
    throw new Error(`${(error as Error).message}; the page showed ${JSON.stringify(seen)}`)
  }
  return page.evaluate(() => {
    const probe = window.__uiProbe!
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined
    probe.responseEnd = nav?.responseEnd ?? NaN
    probe.domContentLoaded = nav?.domContentLoadedEventEnd ?? NaN
    probe.scripts = (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter(r => /\.(js|wasm)$/.test(new URL(r.name).pathname))
      .map(r => ({ name: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd, fromServiceWorker: r.workerStart > 0 }))
    return probe
  })
}

/**
 * When something shown at `at` could first answer a click: `at`, or the end of the last long
 * task that began before it, if later (a click waits for the main thread).
 */
export function usableAt(probe: Pick<ProbeResult, "longTasks">, at: number): number {
  return Math.max(at, ...probe.longTasks.filter(t => t.start < at).map(t => t.end))
}

/** Records the time (epoch ms, page clock) of every click, in the capture phase, before the app's handler runs. */
export async function recordClicks(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__uiClicks = []
    document.addEventListener("click", () => window.__uiClicks!.push(performance.timeOrigin + performance.now()), true)
  })
}

export function clicks(page: Page): Promise<number[]> {
  return page.evaluate(() => window.__uiClicks ?? [])
}

/**
 * Records when the page hands an automerge-repo sync message to a WebSocket (epoch ms, page
 * clock). The messages are CBOR maps whose first key is type: "dtype" "dsync" in the bytes.
 */
export async function recordSyncSends(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__uiSyncSends = []
    const send = WebSocket.prototype.send
    const latin1 = new TextDecoder("latin1")
    WebSocket.prototype.send = function (this: WebSocket, data: Parameters<WebSocket["send"]>[0]) {
      const at = performance.timeOrigin + performance.now()
      if (data instanceof ArrayBuffer && latin1.decode(data.slice(0, 16)).includes("dtypedsync")) window.__uiSyncSends!.push(at)
      return send.call(this, data)
    }
  })
}

export function syncSends(page: Page): Promise<number[]> {
  return page.evaluate(() => window.__uiSyncSends ?? [])
}

/** CPU time by category from a V8 sampling profile. */
export interface CpuSplit {
  totalMs: number
  wasmMs: number
  appJsMs: number
  gcMs: number
  otherMs: number
  /** The functions with the most self time (minified names for the app bundle). */
  top: { name: string; where: string; ms: number }[]
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples?: number[]
  timeDeltas?: number[]
}

export async function startProfile(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 250 })
  await cdp.send("Profiler.start")
  return cdp
}

export async function stopProfile(cdp: CDPSession): Promise<CpuSplit> {
  const { profile } = (await cdp.send("Profiler.stop")) as { profile: Profile }
  await cdp.detach()
  const category = new Map<number, "wasmMs" | "appJsMs" | "gcMs" | "otherMs" | "idle">()
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame
    category.set(
      node.id,
      functionName === "(idle)" ? "idle" : functionName === "(garbage collector)" ? "gcMs" : url.startsWith("wasm://") || url.endsWith(".wasm") ? "wasmMs" : url ? "appJsMs" : "otherMs",
    )
  }
  const split: CpuSplit = { totalMs: 0, wasmMs: 0, appJsMs: 0, gcMs: 0, otherMs: 0, top: [] }
  const byNode = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // A sample's time is the delta to the next sample (µs).
  for (let i = 0; i < samples.length; i++) {
    const c = category.get(samples[i]!)
    const t = (deltas[i + 1] ?? 0) / 1000
    if (!c || c === "idle") continue
    split[c] += t
    split.totalMs += t
    byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + t)
  }
  const byFunction = new Map<string, { name: string; where: string; ms: number }>()
  const nodes = new Map(profile.nodes.map(n => [n.id, n]))
  for (const [id, t] of byNode) {
    const { functionName, url, lineNumber, columnNumber } = nodes.get(id)!.callFrame
    const where = url ? `${url.split("/").pop()}:${lineNumber + 1}:${columnNumber + 1}` : ""
    const key = `${functionName}@${where}`
    const entry = byFunction.get(key) ?? { name: functionName || "(anonymous)", where, ms: 0 }
    entry.ms += t
    byFunction.set(key, entry)
  }
  split.top = [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, 15)
  return split
}
