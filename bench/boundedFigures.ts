/**
 * The figures of `npm run bench -- bounded` (issue 12's targets): their names, units and
 * targets, the verdict of a measured value against its target, the JSON object `--json`
 * prints (checked by a zod schema, so the format cannot drift) and the markdown table.
 * Pure: no I/O, no clock.
 *
 * A figure is taken once per workspace layout, side by side, under the key
 * `<layout>/<figure>` (e.g. `single-document/pwa.coldStart`). A figure that cannot be
 * measured (a layout that is not built yet, a part that failed) has `value: null` and a
 * `reason`; it is never guessed.
 */
import { z } from "zod"

export const LAYOUTS = ["single-document", "segmented"] as const
export type LayoutName = (typeof LAYOUTS)[number]

export const Target = z.object({ op: z.enum(["<=", ">="]), value: z.number() })
export type Target = z.infer<typeof Target>

interface FigureDefinition {
  unit: string
  /** null: reported for context (an absolute figure next to a ratio), no target. */
  target: Target | null
  /** What is measured, for docs/PERFORMANCE.md. */
  what: string
}

const atMost = (value: number): Target => ({ op: "<=", value })
const atLeast = (value: number): Target => ({ op: ">=", value })

export const FIGURES = {
  "pwa.coldStart": { unit: "ms", target: atMost(1000), what: "PWA cold start from IndexedDB (relay up): navigation start → the dashboard's count painted and every long task begun before it ended (median of the starts)" },
  "pwa.shellUsable": { unit: "ms", target: atMost(300), what: "the app shell (workspace name, navigation) in the DOM with the main thread free: no long task begun before it still running (median)" },
  "pwa.longestTask": { unit: "ms", target: atMost(100), what: "the longest main-thread task from navigation start until the dashboard is usable (worst start)" },
  "room.openNewest": { unit: "ms", target: atMost(300), what: "navigation start → the room's newest message painted, /rooms/town_hall opened from IndexedDB" },
  "page.memory": { unit: "MiB", target: atMost(250), what: "JS heap after a full GC + the Automerge WASM memory of the page showing the big room" },
  "peer.ready": { unit: "ms", target: atMost(500), what: "a fresh Node peer (a CLI or a worker; own process, nothing stored) connected with every live task validated" },
  "peer.rss": { unit: "MiB", target: atMost(150), what: "that peer's resident set size once ready (after a GC)" },
  "append.message.p50": { unit: "ms", target: null, what: "postMessage into the big room → a second Node peer sees it, p50" },
  "append.message.ratio": { unit: "x", target: atMost(2), what: "append.message.p50 over the same on an empty workspace (samples interleaved)" },
  "append.task.p50": { unit: "ms", target: null, what: "addTask into the live queue → a second Node peer sees it, p50" },
  "append.task.ratio": { unit: "x", target: atMost(2), what: "append.task.p50 over the same on an empty workspace" },
  "append.grant.p50": { unit: "ms", target: null, what: "a signed grant written into the ledger → a second Node peer sees it, p50" },
  "append.grant.ratio": { unit: "x", target: atMost(2), what: "append.grant.p50 over the same on an empty workspace" },
  "queue.throughput": { unit: "tasks/s", target: atLeast(100), what: "queued → approved with 4 worker processes and a fake LLM answering at once (bench/queue.ts), relay on this workspace" },
  "queue.dispatchP50": { unit: "ms", target: atMost(20), what: "an idle queue: task written as queued → the LLM request arriving, p50" },
  "soak.relayRssGrowth": { unit: "%", target: atMost(10), what: "relay RSS under a steady task + message load: mean of the last fifth of the samples over the mean of the second fifth, minus 1" },
  "soak.storagePerNewByte": { unit: "x", target: null, what: "bytes the relay's data directory grew by over the soak, per byte of new data (the JSON of the tasks and messages written)" },
} as const satisfies Record<string, FigureDefinition>

export type FigureName = keyof typeof FIGURES
export const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[]

export const Figure = z.object({
  value: z.number().nullable(),
  unit: z.string().min(1),
  target: Target.nullable(),
  /** null when there is no value or no target. */
  met: z.boolean().nullable(),
  /** Why value is null. */
  reason: z.string().optional(),
})
export type Figure = z.infer<typeof Figure>

export const FigureKey = z.string().regex(new RegExp(`^(${LAYOUTS.join("|")})/(${FIGURE_NAMES.map(n => n.replace(/\./g, "\\.")).join("|")})$`))

export const BoundedReport = z.object({
  machine: z.object({ date: z.string(), nproc: z.number(), cpuModel: z.string(), memoryGiB: z.number(), node: z.string(), os: z.string() }),
  scale: z.object({
    factor: z.number().positive(),
    tasks: z.number().int().nonnegative(),
    liveTasks: z.number().int().nonnegative(),
    messages: z.number().int().nonnegative(),
    ledgerEntries: z.number().int().nonnegative(),
    residents: z.number().int().nonnegative(),
    soakSeconds: z.number().nonnegative(),
  }),
  layouts: z.record(z.enum(LAYOUTS), z.object({ built: z.boolean(), reason: z.string().optional() })),
  figures: z.record(FigureKey, Figure),
})
export type BoundedReport = z.infer<typeof BoundedReport>
export type Scale = BoundedReport["scale"]

/** The workspace of issue 12 at `factor` (BENCH_SCALE): 100,000 tasks (2 % live), 100,000 messages, 100,000 ledger entries, 1,000 residents. */
export function scaleOf(factor: number, soakSeconds: number): Scale {
  if (!(factor > 0)) throw new Error(`BENCH_SCALE must be a positive number, not ${factor}`)
  const n = (full: number, least: number) => Math.max(least, Math.round(full * factor))
  const tasks = n(100_000, 50)
  return { factor, tasks, liveTasks: Math.max(1, Math.round(tasks * 0.02)), messages: n(100_000, 50), ledgerEntries: n(100_000, 50), residents: n(1_000, 10), soakSeconds }
}

export function verdict(value: number | null, target: Target | null): boolean | null {
  if (value === null || !Number.isFinite(value) || !target) return null
  return target.op === "<=" ? value <= target.value : value >= target.value
}

/** A measured value, or null with the reason it could not be measured. */
export type Measured = number | { reason: string }

export function figure(name: FigureName, measured: Measured): Figure {
  const { unit, target } = FIGURES[name]
  if (typeof measured !== "number" || !Number.isFinite(measured))
    return { value: null, unit, target, met: null, reason: typeof measured === "number" ? `not a finite number (${measured})` : measured.reason }
  const value = Math.round(measured * 100) / 100
  return { value, unit, target, met: verdict(value, target) }
}

/**
 * The whole report: every figure of every layout, measured or null. A layout that was not
 * built gets its reason on each of its figures; a figure a built layout did not produce
 * gets `missing` as its reason.
 */
export function buildReport(input: {
  machine: BoundedReport["machine"]
  scale: Scale
  layouts: Record<LayoutName, { built: true; measured: Partial<Record<FigureName, Measured>> } | { built: false; reason: string }>
}): BoundedReport {
  const figures: Record<string, Figure> = {}
  const layouts = {} as BoundedReport["layouts"]
  for (const layout of LAYOUTS) {
    const l = input.layouts[layout]
    layouts[layout] = l.built ? { built: true } : { built: false, reason: l.reason }
    for (const name of FIGURE_NAMES)
      figures[`${layout}/${name}`] = figure(name, l.built ? (l.measured[name] ?? { reason: "missing: this part of the run produced no value" }) : { reason: l.reason })
  }
  return BoundedReport.parse({ machine: input.machine, scale: input.scale, layouts, figures })
}

function targetText(t: Target | null): string {
  return t ? `${t.op === "<=" ? "≤" : "≥"} ${t.value}` : "—"
}

function cell(f: Figure | undefined): string {
  if (!f || f.value === null) return "n/a"
  return `${f.value}${f.met === null ? "" : f.met ? " ✓" : " ✗"}`
}

const [OLD_LAYOUT, NEW_LAYOUT] = LAYOUTS

/** The new layout's value over the old one's, e.g. "0.42" (below 1: smaller); n/a unless both are measured and the old one is not 0. */
export function layoutRatio(report: BoundedReport, name: FigureName): string {
  const old = report.figures[`${OLD_LAYOUT}/${name}`]?.value
  const now = report.figures[`${NEW_LAYOUT}/${name}`]?.value
  return old == null || now == null || old === 0 ? "n/a" : (now / old).toFixed(2)
}

/** One row per figure, one column per layout (value, ✓ met / ✗ missed) and their ratio; then the reasons for n/a. */
export function figuresTable(report: BoundedReport): string {
  const lines = [
    `| figure | unit | target | ${LAYOUTS.join(" | ")} | ${NEW_LAYOUT} / ${OLD_LAYOUT} |`,
    `|---|---|---|${LAYOUTS.map(() => "---").join("|")}|---|`,
    ...FIGURE_NAMES.map(
      name =>
        `| \`${name}\` | ${FIGURES[name].unit} | ${targetText(FIGURES[name].target)} | ${LAYOUTS.map(l => cell(report.figures[`${l}/${name}`])).join(" | ")} | ${layoutRatio(report, name)} |`,
    ),
  ]
  const reasons = new Map<string, string[]>()
  for (const [key, f] of Object.entries(report.figures)) if (f.reason) reasons.set(f.reason, [...(reasons.get(f.reason) ?? []), key])
  const notes = [...reasons].map(([reason, keys]) =>
    keys.length === FIGURE_NAMES.length && keys.every(k => k.startsWith(keys[0]!.split("/")[0]!)) ? `- every \`${keys[0]!.split("/")[0]}\` figure: ${reason}` : `- ${keys.map(k => `\`${k}\``).join(", ")}: ${reason}`,
  )
  return [...lines, ...(notes.length ? ["", "n/a:", ...notes] : [])].join("\n")
}

/** What each figure measures, for the section's legend. */
export function figuresLegend(): string {
  return FIGURE_NAMES.map(name => `- \`${name}\` (${FIGURES[name].unit}): ${FIGURES[name].what}.`).join("\n")
}

// ── the soak ────────────────────────────────────────────────────────────────

export interface SoakSample {
  /** Seconds since the load started. */
  t: number
  rssBytes: number
  storageBytes: number
  /** Bytes of new data written so far (the JSON of the tasks and messages). */
  newDataBytes: number
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1)

/**
 * RSS growth: the mean of the last fifth of the samples over the mean of the second fifth
 * (the first fifth is warm-up: the relay loading the workspace, caches filling), in %.
 * Storage per new byte: what the data directory grew by over the soak, per byte written.
 */
export function soakFigures(samples: readonly SoakSample[]): { relayRssGrowthPct: number; storagePerNewByte: number } {
  const fifth = Math.max(1, Math.floor(samples.length / 5))
  const second = samples.slice(fifth, 2 * fifth).map(s => s.rssBytes)
  const last = samples.slice(-fifth).map(s => s.rssBytes)
  const first = samples[0]
  const end = samples.at(-1)
  return {
    relayRssGrowthPct: second.length && last.length ? (mean(last) / mean(second) - 1) * 100 : NaN,
    storagePerNewByte: first && end && end.newDataBytes > 0 ? (end.storageBytes - first.storageBytes) / end.newDataBytes : NaN,
  }
}
