/** The social benchmark's section of docs/PERFORMANCE.md and its stdout summary. */
import type { Summary } from "./lib/stats.ts"
import type { SuiteContext, SuiteResult } from "./lib/suite.ts"
import type { OpenResult } from "./syncOpenPeer.ts"
import type { CpuSplit } from "./uiProbe.ts"

export interface AppendResults {
  samples: number
  warmup: number
  minIntervalMs: number
  /** Messages the samples added to the big room (warm-up included). */
  appended: number
  /** seen: postMessage called → the reader's handle has it; call: postMessage itself (writer side). */
  big: { seen: Summary; call: Summary }
  empty: { seen: Summary; call: Summary }
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

export function report(_ctx: SuiteContext, r: SocialResults): SuiteResult {
  const text = JSON.stringify(r, null, 1)
  return { markdown: "```json\n" + text + "\n```", summary: text }
}
