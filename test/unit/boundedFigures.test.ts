/**
 * The pure parts of `npm run bench -- bounded`: figure verdicts, the JSON object `--json`
 * prints (its zod schema), the soak's figures and the chart. No timing here: the bench measures.
 */
import { describe, expect, it } from "vitest"
import {
  BoundedReport,
  buildReport,
  figure,
  FIGURE_NAMES,
  FIGURES,
  figuresTable,
  LAYOUTS,
  layoutRatio,
  scaleOf,
  soakFigures,
  verdict,
  type SoakSample,
} from "../../bench/boundedFigures.ts"
import { lineChart } from "../../bench/lib/chart.ts"

const machine = { date: "2026-12-05T09:00:00Z", nproc: 2, cpuModel: "test cpu", memoryGiB: 8, node: "v20.19.0", os: "Linux (x64)" }
const scale = scaleOf(0.01, 30)

describe("verdict", () => {
  it("compares against the target's bound, both ways, and has none without a value or a target", () => {
    expect(verdict(1000, { op: "<=", value: 1000 })).toBe(true)
    expect(verdict(1000.5, { op: "<=", value: 1000 })).toBe(false)
    expect(verdict(99, { op: ">=", value: 100 })).toBe(false)
    expect(verdict(100, { op: ">=", value: 100 })).toBe(true)
    expect(verdict(null, { op: "<=", value: 1 })).toBeNull()
    expect(verdict(Number.NaN, { op: "<=", value: 1 })).toBeNull()
    expect(verdict(5, null)).toBeNull()
  })
})

describe("figure", () => {
  it("carries the figure's unit and target and rounds the value", () => {
    expect(figure("pwa.coldStart", 1234.5678)).toEqual({ value: 1234.57, unit: "ms", target: { op: "<=", value: 1000 }, met: false })
    expect(figure("queue.throughput", 120)).toMatchObject({ unit: "tasks/s", met: true })
  })

  it("is null with the reason when nothing could be measured, never a guess", () => {
    expect(figure("peer.rss", { reason: "the peer failed" })).toEqual({ value: null, unit: "MiB", target: { op: "<=", value: 150 }, met: null, reason: "the peer failed" })
    expect(figure("peer.ready", Number.POSITIVE_INFINITY)).toMatchObject({ value: null, met: null })
  })
})

describe("buildReport", () => {
  const report = buildReport({
    machine,
    scale,
    layouts: {
      "single-document": { built: true, measured: { "pwa.coldStart": 5800, "queue.throughput": 29, "append.message.ratio": 1.5 } },
      segmented: { built: false, reason: "not on this branch yet" },
    },
  })

  it("has every figure of every layout, keyed <layout>/<figure>", () => {
    expect(Object.keys(report.figures).sort()).toEqual(LAYOUTS.flatMap(l => FIGURE_NAMES.map(n => `${l}/${n}`)).sort())
    expect(report.figures["single-document/pwa.coldStart"]).toMatchObject({ value: 5800, met: false })
    expect(report.figures["single-document/append.message.ratio"]).toMatchObject({ value: 1.5, met: true })
  })

  it("gives an unbuilt layout's reason on each of its figures, and says what a built one missed", () => {
    for (const name of FIGURE_NAMES) expect(report.figures[`segmented/${name}`]).toMatchObject({ value: null, met: null, reason: "not on this branch yet" })
    expect(report.figures["single-document/peer.rss"]!.reason).toMatch(/^missing/)
    expect(report.layouts).toEqual({ "single-document": { built: true }, segmented: { built: false, reason: "not on this branch yet" } })
  })

  it("survives a JSON round trip under its schema; a drifted shape is refused", () => {
    expect(BoundedReport.parse(JSON.parse(JSON.stringify(report)))).toEqual(report)
    const renamed = { ...report, figures: { ...report.figures, "single-document/pwa.coldStartMs": report.figures["single-document/pwa.coldStart"] } }
    expect(BoundedReport.safeParse(renamed).success).toBe(false)
    const noUnit = { ...report, figures: { ...report.figures, "single-document/pwa.coldStart": { value: 1, target: null, met: null } } }
    expect(BoundedReport.safeParse(noUnit).success).toBe(false)
    const { scale: _scale, ...noScale } = report
    expect(BoundedReport.safeParse(noScale).success).toBe(false)
  })

  it("writes one table row per figure with ✓/✗ and the reasons for n/a", () => {
    const table = figuresTable(report)
    for (const name of FIGURE_NAMES) expect(table).toContain(`| \`${name}\` | ${FIGURES[name].unit} |`)
    expect(table).toContain("| `pwa.coldStart` | ms | ≤ 1000 | 5800 ✗ | n/a | n/a |")
    expect(table).toContain("| `queue.throughput` | tasks/s | ≥ 100 | 29 ✗ | n/a | n/a |")
    expect(table).toContain("every `segmented` figure: not on this branch yet")
  })
})

describe("layoutRatio", () => {
  const both = buildReport({
    machine,
    scale,
    layouts: {
      "single-document": { built: true, measured: { "pwa.coldStart": 2000, "append.task.p50": 0 } },
      segmented: { built: true, measured: { "pwa.coldStart": 500, "append.task.p50": 12 } },
    },
  })

  it("is the segmented value over the single-document one, in the table's last column", () => {
    expect(layoutRatio(both, "pwa.coldStart")).toBe("0.25")
    expect(figuresTable(both)).toContain("| `pwa.coldStart` | ms | ≤ 1000 | 2000 ✗ | 500 ✓ | 0.25 |")
  })

  it("is n/a when either side is missing or the old one is 0", () => {
    expect(layoutRatio(both, "peer.rss")).toBe("n/a")
    expect(layoutRatio(both, "append.task.p50")).toBe("n/a")
  })
})

describe("scaleOf", () => {
  it("is the issue's workspace at 1 and shrinks with a floor", () => {
    expect(scaleOf(1, 120)).toEqual({ factor: 1, tasks: 100_000, liveTasks: 2_000, messages: 100_000, ledgerEntries: 100_000, residents: 1_000, soakSeconds: 120 })
    expect(scaleOf(0.0001, 10)).toMatchObject({ tasks: 50, liveTasks: 1, messages: 50, residents: 10 })
    expect(() => scaleOf(0, 10)).toThrow(/BENCH_SCALE/)
  })
})

describe("soakFigures", () => {
  const samples = (rss: (i: number) => number): SoakSample[] =>
    Array.from({ length: 20 }, (_, i) => ({ t: i, rssBytes: rss(i), storageBytes: 1000 + 30 * i, newDataBytes: 10 * i }))

  it("finds flat RSS flat, ignoring the warm-up, and growth as growth", () => {
    expect(soakFigures(samples(i => (i < 4 ? 50 + i * 10 : 100))).relayRssGrowthPct).toBe(0)
    expect(soakFigures(samples(i => 100 + i * 10)).relayRssGrowthPct).toBeGreaterThan(50)
  })

  it("measures storage growth per byte of new data", () => {
    expect(soakFigures(samples(() => 100)).storagePerNewByte).toBe(3)
    expect(soakFigures([]).storagePerNewByte).toBeNaN()
  })
})

describe("lineChart", () => {
  it("draws one panel and one line per series, with the names escaped", () => {
    const svg = lineChart("RSS <soak>", "seconds", [
      { name: "relay RSS", unit: "MiB", points: [[0, 100], [1, 101], [2, 102]] },
      { name: "storage", unit: "MiB", points: [[0, 1], [2, 3]] },
    ])
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg.match(/<path /g)).toHaveLength(2)
    expect(svg).toContain("RSS &lt;soak&gt;")
    expect(svg).toContain("relay RSS (MiB)")
  })
})
