/** The social benchmark's section of docs/PERFORMANCE.md and its stdout summary. */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { DEFAULT_APP_DIR } from "../peer-server/panel.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { mib, ms, ratio, type Summary } from "./lib/stats.ts"
import type { SuiteContext, SuiteResult } from "./lib/suite.ts"
import type { OpenResult } from "./syncOpenPeer.ts"
import type { CpuSplit } from "./uiProbe.ts"

/** Sampling interval of the Node CPU profile of the append samples, µs. */
export const PROFILE_US = 250

export interface Share {
  /** Activities only: a stable name for the analysis. */
  key?: string
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

const mean = (values: number[]) => values.reduce((a, v) => a + v, 0) / values.length
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
  const seeded = b.messages - append.appended
  const messages = n(seeded)
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
      `${messages} messages (bench/syncData.ts \`makeMessage\`: ~90 characters of content) in batches of 1000 per change ` +
      "(`handle.change(d => d.messages.push(...batch))`), as a busy room grows; relay and reader receive the changes as they come. " +
      `All three held every message after ${(seed.readerMs / 1000).toFixed(0)} s (writer done at ${(seed.writtenMs / 1000).toFixed(0)} s; the three share one event loop). ` +
      `The room saves to ${mib(seed.savedBytes)} MiB.`,
  )
  line()

  line(`### 1. Appending to a room of ${messages} messages`)
  line()
  line(
    `Method: one sample = the writer calls \`postMessage\` (src/domain/rooms/actions.ts, what the PWA's composer calls: reads the room index, validates, ` +
      "`handle.change(d => d.messages.push(message))`); the time runs from the call until the reader's handle emits the `change` that holds the message. " +
      `Big and empty room alternate sample by sample; a sample on a room starts at least ${append.minIntervalMs} ms after that room's previous one was seen ` +
      `(automerge-repo sends a document's sync messages at most every 100 ms). ${append.warmup} warm-up pairs, then ${append.samples} pairs.`,
  )
  line()
  line("| room | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |")
  line("|---|---:|---:|---:|---:|---:|---:|")
  line(summaryRow(`**${messages}-message room: postMessage → reader sees it**`, big.seen))
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
  line()
  line(`By code area (self time per message), big room: ${big.cpu.areas.slice(0, 5).map(a => `${a.label} ${ms(a.ms)} ms`).join("; ")}.`)
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

  line(`### 3. A ledger of ${n(l.entries)} entries`)
  line()
  const grants = l.grants
  line(
    `Method: ${n(l.entries)} \`LedgerEntry\` objects over ${l.residents} residents, generated deterministically with the app's idempotency keys: daily allowances ` +
      `(150, split), phase-5 rewards and mail replies (split grants), and spends on free time or journal, some larger than the balance; ${n(grants)} grants, ` +
      `${n(l.entries - grants)} spends, on whole-second times so that many share an \`at\` and the key decides the order. Derivation: \`deriveWallets(entries)\` from ` +
      `src/domain/wallets/ledger.ts (sort by \`at\`, then key; one pass with caps and voiding), ${l.deriveRuns.length} runs on the plain objects. Then the wallets document ` +
      `as the app writes it (\`entries[key] = entry\`, 1000 entries per change; building it took ${(l.buildMs / 1000).toFixed(0)} s, not measured below) is saved ` +
      `(${mib(l.savedBytes)} MiB), loaded with \`Automerge.load\` ${l.loadRuns.length} times, and the loaded copy read ${l.readRuns.length} times with \`readLedger\` ` +
      "(src/workspace/documentReaders.ts: every entry validated with the LedgerEntry schema; the first read also warms the validators up).",
  )
  line()
  line("| step | runs ms | median ms |")
  line("|---|---|---:|")
  line(`| **\`deriveWallets\` over ${n(l.entries)} entries** | ${l.deriveRuns.map(t => ms(t)).join(", ")} | **${ms(median(l.deriveRuns))}** |`)
  line(`| \`readLedger\`: validate ${n(l.entries)} entries of the loaded document | ${l.readRuns.map(t => ms(t)).join(", ")} | ${ms(median(l.readRuns))} |`)
  line(`| **\`Automerge.load\` of the wallets document** | ${l.loadRuns.map(t => ms(t)).join(", ")} | **${ms(mean(l.loadRuns))}** (mean) |`)
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
    `ledger ${n(l.entries)}: deriveWallets median ${ms(median(l.deriveRuns))} ms; readLedger median ${ms(median(l.readRuns))} ms; Automerge.load mean ${ms(mean(l.loadRuns))} ms (${mib(l.savedBytes)} MiB)`,
  ].join("\n")
  return { markdown: md.join("\n"), summary }
}

/** What dominates, from the numbers above. */
function analysis(line: (s?: string) => void, r: SocialResults): void {
  const { append, costs, node, browser: b, ledger: l } = r
  const big = append.big.cpu
  const empty = append.empty.cpu
  const act = (c: AppendCpu, key: string) => c.activities.find(a => a.key === key)?.ms ?? NaN
  const wasm = big.areas.find(a => a.label.startsWith("Automerge"))?.ms ?? NaN
  const receivePerPeer = act(big, "receive") / 2
  const cpu = b.profiled.cpu!
  const decode = cpu.top.find(f => /TextDecoder/.test(describe(f)))
  const seeded = b.messages - append.appended
  line("### What dominates")
  line()
  line(
    `**Appending: Automerge applying one message to a long list, once per hop.** A message to the ${n(seeded)}-message room is seen after ${ms(append.big.seen.p50)} ms ` +
      `instead of ${ms(append.empty.seen.p50)} ms. Per message the three peers keep the main thread busy ${ms(big.busyPerMessageMs)} ms instead of ${ms(empty.busyPerMessageMs)} ms, ` +
      `${ms(wasm)} ms of it inside Automerge's WASM: the writer's local change ${ms(act(big, "change"))} ms (${ms(act(empty, "change"))} ms on the empty room), and applying the ` +
      `received change ${ms(act(big, "receive"))} ms for relay and reader together, about ${ms(receivePerPeer)} ms each (${ms(act(empty, "receive"))} ms together on the empty room). ` +
      "automerge-repo's own work stays flat: the change-event diff " +
      `${ms(act(big, "diff"))} ms, generating sync messages ${ms(act(big, "send"))} ms, saving ${ms(act(big, "save"))} ms. Each hop pays the insert into the ${n(seeded)}-element ` +
      `list before it forwards, so the latency is roughly their sum (${ms(act(big, "change"))} + ${ms(receivePerPeer)} + ${ms(receivePerPeer)} ms). ` +
      "Not measured here but implied: every open browser tab on the room pays the same apply per message, and its `useDocument` then re-validates the whole list " +
      `(\`readRoomMessages\`: ${ms(costs.validateMs)} ms for ${n(b.messages)} messages in Node).`,
  )
  line()
  line(
    `**Opening: the whole room, always.** The room is one document (${mib(r.seed.savedBytes)} MiB saved); a peer cannot load only the newest page, so opening it costs ` +
      `${ms(node.big.allReadyMs)} ms in a fresh Node peer and ${ms(b.first.paintedAt)} ms (from the relay) / ${ms(b.second.paintedAt)} ms (from IndexedDB) in the browser, ` +
      `against ${ms(node.empty.allReadyMs)} / ${ms(b.empty[0]!.paintedAt)} / ${ms(b.empty[1]!.paintedAt)} ms for the empty room, to show ${n(b.rendered)} messages. ` +
      `In Node the parts are \`Automerge.load\` (${ms(costs.loadMs)} ms) and automerge-repo's whole-document diff on the first \`change\` event (${ms(costs.diffMs)} ms, ` +
      `${n(costs.patches)} patches, growing with the room: ${costs.diffAt.map(d => `${ms(d.ms)} ms at ${n(d.messages)}`).join(", ")}); schema validation is ${ms(costs.validateMs)} ms. ` +
      `In the browser it is one main-thread task of ${ms(b.second.longestTaskMs)} ms (the page does not respond meanwhile): Automerge WASM ${share(cpu.wasmMs, cpu.totalMs)} of the CPU, ` +
      `JavaScript ${share(cpu.appJsMs, cpu.totalMs)}${decode ? `, of which wasm-bindgen decoding every string that crosses from WASM (\`TextDecoder\`) ${share(decode.ms, cpu.totalMs)}` : ""}.`,
  )
  line()
  line(
    `**Memory is the sharper limit.** The page's Automerge WASM memory grows to ${mib(b.second.wasmBytes)} MiB for this room (${mib(b.empty[1]!.wasmBytes)} MiB with the empty room; ` +
      `WASM memory never shrinks, and 32-bit WASM stops at 4 GiB), its JS heap to ${mib(b.second.heap.usedBytes)} MiB (${mib(b.shell.usedBytes)} MiB before a room is opened). ` +
      `A fresh Node peer grows by ${mib(node.big.rssDelta)} MiB RSS (${mib(node.big.externalDelta)} MiB WASM, ${mib(node.big.heapUsedDelta)} MiB JS heap); ` +
      "every document a process or page holds shares that one WASM memory and its 4 GiB limit.",
  )
  line()
  line(
    `**The ledger: the document, not the derivation.** \`deriveWallets\` takes ${ms(median(l.deriveRuns))} ms for ${n(l.entries)} entries and \`readLedger\` ${ms(median(l.readRuns))} ms, ` +
      `but loading the ${mib(l.savedBytes)} MiB wallets document takes ${ms(mean(l.loadRuns))} ms — ${(mean(l.loadRuns) / (median(l.deriveRuns) + median(l.readRuns))).toFixed(0)}x the ` +
      "validation and derivation together. Every peer that shows or checks balances pays that load when it opens the document.",
  )
  line()
  line(
    `**Run time.** The suite took ${r.seconds.toFixed(0)} s, over the 3 minutes aimed for: filling the room (${(r.seed.readerMs / 1000).toFixed(0)} s, three peers applying ` +
      `100 growing changes in one process) and building the wallets document (${(l.buildMs / 1000).toFixed(0)} s) are ${share(r.seed.readerMs + l.buildMs, r.seconds * 1000)} of it; each open of the big room is itself ` +
      "10–20 s, and the sizes are the point of the suite. BENCH_SOCIAL_MESSAGES / BENCH_SOCIAL_ENTRIES / BENCH_SOCIAL_SAMPLES shrink it for development.",
  )
  line()
  line("What would help (not changed here; the benchmark changes no app code):")
  line()
  line(
    "1. **Segment rooms by time** (one document per room and month, or per N messages, with the room index listing the segments, as finished tasks already move to " +
      "monthly archives): open cost, memory and the per-message apply would then follow the segment's size, not the room's history; the view needs only the newest segment.",
  )
  line(
    "2. **Validate only what changed.** `useDocument` re-reads and re-validates the whole message list on every change; for an append-only list it could validate the new tail " +
      "(src/workspace/validatedRecord.ts does this for keyed entries).",
  )
  line(
    "3. **Bound the wallets document** the same way (per period), or keep a validated snapshot of derived balances next to it for a fast start, re-derived after the load.",
  )
}
