/** The social benchmark's section of docs/PERFORMANCE.md and its stdout summary. */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { DEFAULT_APP_DIR } from "../peer-server/http.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { mib, ms, ratio, type Summary } from "./lib/stats.ts"
import type { SuiteContext, SuiteResult } from "./lib/suite.ts"
import type { OpenResult } from "./syncOpenPeer.ts"
import type { CpuSplit } from "./uiProbe.ts"

/** Sampling interval of the Node CPU profile of the append samples, µs. */
export const PROFILE_US = 250

export interface Share {
  label: string
  /** ms per appended message */
  ms: number
}

export interface AppendCpu {
  /** CPU of the whole bench process (writer, relay and reader, all threads) per profiled sample. */
  perMessageMs: number
  /** Not-idle main-thread time in the profile per sample. */
  busyPerMessageMs: number
  areas: Share[]
  activities: Share[]
  topSelf: Share[]
}

export interface AppendResults {
  samples: number
  warmup: number
  /** Extra samples per room under the CPU profiler (not in the latencies). */
  profiled: number
  minIntervalMs: number
  /** Messages the samples added to the big room (warm-up and profiled included). */
  appended: number
  /** seen: postMessage called → the reader's handle has it; call: postMessage itself (writer side). */
  big: { seen: Summary; call: Summary; cpu: AppendCpu }
  empty: { seen: Summary; call: Summary; cpu: AppendCpu }
}

export type NodeOpen = OpenResult & { messages: number }

export interface BrowserOpen {
  label: string
  /** ms since navigation start: the room view (room-messages) mounted … */
  roomAt: number
  /** … the newest message in the DOM, and the next frame. */
  shownAt: number
  paintedAt: number
  longTaskMs: number
  longestTaskMs: number
  heap: { usedBytes: number; totalBytes: number; backingBytes: number }
  /** The Automerge WASM linear memory (it only grows: the peak of the page's life). */
  wasmBytes: number
  cpu?: CpuSplit
}

export interface BrowserResults {
  chromium: string
  messages: number
  /** Messages in the DOM after the open (the view renders the newest page). */
  rendered: number
  storedRoomBytes: number
  /** Heap of the app on its dashboard, before any room was opened. */
  shell: BrowserOpen["heap"]
  empty: BrowserOpen[]
  first: BrowserOpen
  second: BrowserOpen
  profiled: BrowserOpen
}

export interface LedgerResults {
  entries: number
  residents: number
  grants: number
  status: { applied: number; capped: number; voided: number }
  deriveRuns: number[]
  buildMs: number
  savedBytes: number
  loadRuns: number[]
  readRuns: number[]
  readAndDeriveMs: number
}

export interface RoomCosts {
  /** Automerge.load of the saved room. */
  loadMs: number
  /** A.diff(doc, [], heads): automerge-repo's first change event on a fresh handle. */
  diffMs: number
  patches: number
  diffAt: { messages: number; ms: number }[]
  /** readRoomMessages over every message (the PWA's useDocument, on each change). */
  validateMs: number
}

export interface SocialResults {
  /** ms from the first batch: all written by the writer, held by the relay, held by the reader. */
  seed: { writtenMs: number; relayMs: number; readerMs: number; savedBytes: number }
  append: AppendResults
  costs: RoomCosts
  node: { empty: NodeOpen; big: NodeOpen }
  browser: BrowserResults
  ledger: LedgerResults
  seconds: number
  loadBefore: number
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? NaN
const n = (value: number) => value.toLocaleString("en")
const share = (part: number, whole: number) => `${((part / whole) * 100).toFixed(0)} %`

function summaryRow(label: string, s: Summary): string {
  return `| ${label} | ${s.n} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} | ${ms(s.mean)} |`
}

/** A profiled function, readable: Rust symbols without crate hashes; minified JS with its first characters. */
function describe(f: CpuSplit["top"][number]): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/`/g, "'")
  const js = /^(.+\.js):(\d+):(\d+)$/.exec(f.where)
  if (js) {
    const file = join(DEFAULT_APP_DIR, "assets", js[1]!)
    const source = existsSync(file) ? (readFileSync(file, "utf8").split("\n")[Number(js[2]) - 1] ?? "").slice(Number(js[3]) - 1, Number(js[3]) + 70) : ""
    return source ? `JS \`${cell(source)}…\`` : `JS ${cell(f.name)} (${cell(f.where)})`
  }
  const name = f.name.replace(/\[[0-9a-f]{6,}\]/g, "")
  return f.where.includes(".wasm") ? `WASM \`${cell(name.length > 110 ? `${name.slice(0, 107)}…` : name)}\`` : cell(name)
}

export function report(ctx: SuiteContext, r: SocialResults): SuiteResult {
  const m = ctx.machine
  const { seed, append, costs, node, browser: b, ledger: l } = r
  const md: string[] = []
  const line = (s = "") => md.push(s)
  const messages = n(r.append.appended + (b.messages - r.append.appended))
  const big = append.big
  const empty = append.empty
  const cpu = b.profiled.cpu!

  line(
    `Last run: ${m.date}. Machine: ${machineLine(m)}; Chromium ${b.chromium} (Debian, headless, playwright-core). Code: ${codeVersion(REPO_ROOT)}. ` +
      `Whole suite: ${r.seconds.toFixed(0)} s. 1-minute load average before → after: ${r.loadBefore} → ${loadAverage()} (other engineers' work shares the machine; every big/empty pair below ran interleaved or back to back, so both sides saw the same load).`,
  )
  line()
  line(
    "No targets are set for this suite: each number comes with its baseline from the same run — the same operation on an empty room, or the same fresh peer before the room was filled.",
  )
  line()
  line(
    "**Setup:** the relay runs in the bench process (`startRelay`, as `vivarium start` does, serving `dist/app`). Two Node peers from `connectPeer()` in the same process — " +
      `a *writer* and a *reader* — open the room index and two rooms: \`town_hall\` (the big room) and \`watercooler\` (the empty baseline). The writer fills town_hall with ` +
      `${n(r.browser.messages - append.appended)} messages (bench/syncData.ts \`makeMessage\`: ~90 characters of content) in batches of 1000 per change ` +
      "(`handle.change(d => d.messages.push(...batch))`), as a busy room grows; relay and reader receive the changes as they come. " +
      `All three held every message after ${(seed.readerMs / 1000).toFixed(0)} s (writer done at ${(seed.writtenMs / 1000).toFixed(0)} s; the three share one event loop). ` +
      `The room saves to ${mib(seed.savedBytes)} MiB.`,
  )
  line()

  line("### 1. Appending to a room of 100,000 messages")
  line()
  line(
    `Method: one sample = the writer calls \`postMessage\` (src/workspace/socialActions.ts, what the PWA's composer calls: reads the room index, validates, ` +
      "`handle.change(d => d.messages.push(message))`); the time runs from the call until the reader's handle emits the `change` that holds the message. " +
      `Big and empty room alternate sample by sample; a sample on a room starts at least ${append.minIntervalMs} ms after that room's previous one was seen ` +
      `(automerge-repo sends a document's sync messages at most every 100 ms). ${append.warmup} warm-up pairs, then ${append.samples} pairs.`,
  )
  line()
  line("| room | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |")
  line("|---|---:|---:|---:|---:|---:|---:|")
  line(summaryRow(`**${messages} messages: postMessage → reader sees it**`, big.seen))
  line(summaryRow("empty room (baseline)", empty.seen))
  line(`| **big / empty** | | **${ratio(big.seen.p50, empty.seen.p50)}** | ${ratio(big.seen.p90, empty.seen.p90)} | **${ratio(big.seen.p99, empty.seen.p99)}** | | ${ratio(big.seen.mean, empty.seen.mean)} |`)
  line(summaryRow(`… of which \`postMessage\` itself returns (writer), big room`, big.call))
  line(summaryRow("… of which `postMessage` itself returns (writer), empty room", empty.call))
  line()
  line(
    `CPU per message: ${append.profiled} more samples per room ran under the V8 sampling profiler (\`node:inspector\`, ${PROFILE_US} µs; not in the latencies above; ` +
      "summarised with bench/queueProfile.ts). All three peers live in this process, so the numbers are the writer, the relay and the reader together. " +
      "Inclusive times overlap (the diff runs inside the change and inside the receive).",
  )
  line()
  line("| per message, ms | big room | empty room |")
  line("|---|---:|---:|")
  line(`| process CPU (\`process.cpuUsage\`, all threads, incl. the relay's background timers) | ${ms(big.cpu.perMessageMs)} | ${ms(empty.cpu.perMessageMs)} |`)
  line(`| main thread busy (profile, not idle) | **${ms(big.cpu.busyPerMessageMs)}** | ${ms(empty.cpu.busyPerMessageMs)} |`)
  for (const [i, a] of big.cpu.activities.entries()) line(`| ${a.label} | ${ms(a.ms)} | ${ms(empty.cpu.activities[i]?.ms ?? NaN)} |`)
  line(`| by code area (self time), big room: ${big.cpu.areas.slice(0, 5).map(a => `${a.label} ${ms(a.ms)}`).join("; ")} | | |`)
  line()

  line("### 2. Opening the room")
  line()
  line(
    "**Node.** A fresh peer in its own process (bench/syncOpenPeer.ts, the sync suite's, `node --expose-gc`) connects with `connectPeer()`, finds the room index and " +
      "town_hall, waits until every message is there and validates them with `validateList(Message)`; memory is `process.memoryUsage()` after two `gc()` calls " +
      "before and after, everything still referenced. Baseline: the same peer before the room was filled.",
  )
  line()
  line("| fresh Node peer | empty room | big room | big / empty |")
  line("|---|---:|---:|---:|")
  const nrow = (label: string, pick: (o: NodeOpen) => number, fmt: (v: number) => string = ms) =>
    line(`| ${label} | ${fmt(pick(node.empty))} | ${fmt(pick(node.big))} | ${ratio(pick(node.big), pick(node.empty))} |`)
  nrow("messages", o => o.messages, n)
  nrow("**open: connect → all messages validated, ms**", o => o.allReadyMs)
  nrow("… connect (HTTP lookup, WebSocket, `Workspace.open`), ms", o => o.connectMs)
  nrow("… validating the messages, ms", o => o.roomValidateMs)
  nrow("CPU of the peer, ms", o => o.cpuMs)
  nrow("longest event-loop block, ms", o => o.maxBlockMs)
  nrow("**RSS delta, MiB**", o => o.rssDelta, mib)
  nrow("heapUsed delta (JS objects), MiB", o => o.heapUsedDelta, mib)
  nrow("external delta (Automerge WASM memory), MiB", o => o.externalDelta, mib)
  nrow("RSS after the open, MiB", o => o.rssAfter, mib)
  line()
  line(
    `What the open is made of, measured on the writer's copy in the bench process (same WASM): \`Automerge.load\` of the saved room ${ms(costs.loadMs)} ms; ` +
      `automerge-repo's first \`change\` event on a fresh handle, \`A.diff(doc, [], heads)\` over the whole document, ${ms(costs.diffMs)} ms for ${n(costs.patches)} patches ` +
      `(the same diff up to ${costs.diffAt.map(d => `${n(d.messages)} messages: ${ms(d.ms)} ms`).join(", ")}); \`readRoomMessages\` over all ${n(b.messages)} messages ${ms(costs.validateMs)} ms.`,
  )
  line()
  line(
    "**Browser.** One browser context opens the join link and registers an operator (`operator-name`, `operator-save`), waits for the service worker, and closes the page. " +
      "Each open below is a new page in that context (IndexedDB and service worker kept) navigated to `/rooms/<room>`; the time runs from navigation start until the newest " +
      "message (`message-<id>` inside `room-messages`; the view renders the newest 200) — for the empty room `room-empty` — is in the DOM, plus one animation frame. " +
      "An init script added by the bench (no app code changed) notes when the room view mounts, long tasks, and keeps the Automerge WASM instance's memory to read its size. " +
      "The JS heap is CDP `Runtime.getHeapUsage` after `HeapProfiler.collectGarbage`; the WASM memory is outside it and only grows, so it is the page's peak. " +
      `First open of the big room: it is not in IndexedDB yet, the relay sends it. Second: from IndexedDB (${mib(b.storedRoomBytes)} MiB stored), relay up.`,
  )
  line()
  line("| open | room view mounted ms | newest message painted ms | long tasks, sum ms | longest task ms | JS heap MiB | Automerge WASM memory MiB |")
  line("|---|---:|---:|---:|---:|---:|---:|")
  const brow = (o: BrowserOpen, bold = false) => {
    const t = bold ? `**${ms(o.paintedAt)}**` : ms(o.paintedAt)
    line(`| ${o.label} | ${ms(o.roomAt)} | ${t} | ${ms(o.longTaskMs)} | ${ms(o.longestTaskMs)} | ${mib(o.heap.usedBytes)} | ${mib(o.wasmBytes)} |`)
  }
  brow(b.empty[0]!)
  brow(b.first, true)
  brow(b.second, true)
  brow(b.empty[1]!)
  brow(b.profiled)
  line(`| the app on its dashboard, before any room (for reference) | | | | | ${mib(b.shell.usedBytes)} | |`)
  line()
  line(
    `Big / empty: first open ${ratio(b.first.paintedAt, b.empty[0]!.paintedAt)}, from IndexedDB ${ratio(b.second.paintedAt, b.empty[1]!.paintedAt)}. ` +
      `${n(b.rendered)} messages were in the DOM. CPU of the profiled open (renderer main thread, CDP sampling profiler, 250 µs): ${ms(cpu.totalMs)} ms = ` +
      `Automerge WASM ${ms(cpu.wasmMs)} ms (${share(cpu.wasmMs, cpu.totalMs)}), JavaScript of the app bundle ${ms(cpu.appJsMs)} ms (${share(cpu.appJsMs, cpu.totalMs)}), ` +
      `GC ${ms(cpu.gcMs)} ms, other ${ms(cpu.otherMs)} ms. Functions with the most self time:`,
  )
  line()
  line("| function | self ms | share |")
  line("|---|---:|---:|")
  for (const f of cpu.top.slice(0, 8)) line(`| ${describe(f)} | ${ms(f.ms)} | ${share(f.ms, cpu.totalMs)} |`)
  line()

  line("### 3. A ledger of 100,000 entries")
  line()
  const grants = l.grants
  line(
    `Method: ${n(l.entries)} \`LedgerEntry\` objects over ${l.residents} residents, generated deterministically with the app's idempotency keys: daily allowances ` +
      `(150, split), phase-5 rewards and mail replies (split grants), and spends on free time or journal, some larger than the balance; ${n(grants)} grants, ` +
      `${n(l.entries - grants)} spends, on whole-second times so that many share an \`at\` and the key decides the order. Derivation: \`deriveWallets(entries)\` from ` +
      `src/core/ledger.ts (sort by \`at\`, then key; one pass with caps and voiding), ${l.deriveRuns.length} runs on the plain objects. Then the wallets document ` +
      `as the app writes it (\`entries[key] = entry\`, 1000 entries per change; building it took ${(l.buildMs / 1000).toFixed(0)} s, not measured below) is saved ` +
      `(${mib(l.savedBytes)} MiB), loaded with \`Automerge.load\` ${l.loadRuns.length} times, and each loaded copy read with \`readLedger\` ` +
      "(src/workspace/documentReaders.ts: every entry validated with the LedgerEntry schema).",
  )
  line()
  line("| step | runs ms | median ms |")
  line("|---|---|---:|")
  line(`| **\`deriveWallets\` over ${n(l.entries)} entries** | ${l.deriveRuns.map(t => ms(t)).join(", ")} | **${ms(median(l.deriveRuns))}** |`)
  line(`| \`readLedger\`: validate ${n(l.entries)} entries of the loaded document | ${l.readRuns.map(t => ms(t)).join(", ")} | ${ms(median(l.readRuns))} |`)
  line(`| **\`Automerge.load\` of the wallets document** | ${l.loadRuns.map(t => ms(t)).join(", ")} | **${ms(median(l.loadRuns))}** |`)
  line(`| \`readLedger\` + \`deriveWallets\` from a loaded document (what a reader of balances pays after the load) | ${ms(l.readAndDeriveMs)} | |`)
  line()
  line(
    `Outcome of the derivation: ${n(l.status.applied)} entries applied, ${n(l.status.capped)} grants capped (free time ≤ 500, journal ≤ 200: ` +
      `the generated residents earn more than they spend), ${n(l.status.voided)} spends voided.`,
  )
  line()
  analysis(line, r)

  const summary = [
    `append (${messages} messages vs empty): p50 ${ms(big.seen.p50)} vs ${ms(empty.seen.p50)} ms (${ratio(big.seen.p50, empty.seen.p50)}), p99 ${ms(big.seen.p99)} vs ${ms(empty.seen.p99)} ms; postMessage call p50 ${ms(big.call.p50)} vs ${ms(empty.call.p50)} ms`,
    `fresh Node peer open: ${ms(node.big.allReadyMs)} ms vs ${ms(node.empty.allReadyMs)} ms empty; RSS +${mib(node.big.rssDelta)} MiB vs +${mib(node.empty.rssDelta)} MiB`,
    `browser open: first ${ms(b.first.paintedAt)} ms, IndexedDB ${ms(b.second.paintedAt)} ms (empty room ${ms(b.empty[0]!.paintedAt)} / ${ms(b.empty[1]!.paintedAt)} ms); JS heap ${mib(b.second.heap.usedBytes)} MiB, WASM ${mib(b.second.wasmBytes)} MiB`,
    `room in Node: load ${ms(costs.loadMs)} ms, first-change diff ${ms(costs.diffMs)} ms, readRoomMessages ${ms(costs.validateMs)} ms`,
    `ledger ${n(l.entries)}: deriveWallets median ${ms(median(l.deriveRuns))} ms; readLedger median ${ms(median(l.readRuns))} ms; Automerge.load median ${ms(median(l.loadRuns))} ms (${mib(l.savedBytes)} MiB)`,
  ].join("\n")
  return { markdown: md.join("\n"), summary }
}

/** What dominates, from the numbers above. */
function analysis(line: (s?: string) => void, r: SocialResults): void {
  const { append, costs, node, browser: b, ledger: l } = r
  const big = append.big.cpu
  const empty = append.empty.cpu
  const extra = big.busyPerMessageMs - empty.busyPerMessageMs
  const cpu = b.profiled.cpu!
  line("### What dominates")
  line()
  line(
    `**Appending** costs ${ms(append.big.seen.p50)} ms at the median instead of ${ms(append.empty.seen.p50)} ms: the main thread is busy ${ms(big.busyPerMessageMs)} ms per message ` +
      `for the three peers instead of ${ms(empty.busyPerMessageMs)} ms, so ${ms(extra)} ms of work grows with the room. ` +
      `${big.activities.map(a => `${a.label.replace(/:.*$/, "")}: ${ms(a.ms)} ms`).slice(0, 4).join("; ")} (inclusive, per message, all three peers).`,
  )
  line()
  line(
    `**Opening** the room is one document of ${mib(r.seed.savedBytes)} MiB on disk that every peer loads whole, however few messages it shows: ` +
      `Node ${ms(node.big.allReadyMs)} ms (load ${ms(costs.loadMs)} ms + automerge-repo's whole-document diff ${ms(costs.diffMs)} ms + validation ${ms(costs.validateMs)} ms), ` +
      `browser ${ms(b.first.paintedAt)} ms / ${ms(b.second.paintedAt)} ms, of which ${share(cpu.wasmMs, cpu.totalMs)} in Automerge's WASM. ` +
      `Memory is the bigger problem: the Node peer's RSS grows by ${mib(node.big.rssDelta)} MiB (${mib(node.big.externalDelta)} MiB of WASM memory), the page's ` +
      `Automerge WASM memory reaches ${mib(b.second.wasmBytes)} MiB (JS heap ${mib(b.second.heap.usedBytes)} MiB) to show ${b.rendered} messages.`,
  )
  line()
  line(
    `**The ledger** derivation is cheap (${ms(median(l.deriveRuns))} ms for ${n(l.entries)} entries); reading balances from the document is dominated by ` +
      `\`Automerge.load\` (${ms(median(l.loadRuns))} ms), then validation (${ms(median(l.readRuns))} ms).`,
  )
}
