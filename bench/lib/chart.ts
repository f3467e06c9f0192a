/**
 * A small SVG line chart for docs/: one panel per series, stacked, sharing the x axis.
 * Pure (returns the SVG text); the colours are fixed so the picture reads the same in any viewer.
 */

export interface Series {
  name: string
  unit: string
  points: readonly (readonly [x: number, y: number])[]
}

const WIDTH = 720
const PANEL = 170
const MARGIN = { left: 64, right: 20, top: 34, bottom: 36 }
const COLOURS = ["#2563eb", "#c2410c", "#15803d", "#7c3aed"]

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2))

/** Round bounds: y from 0 (growth reads true) up to the largest value plus 10 %. */
function yRange(values: number[]): [number, number] {
  const max = Math.max(...values, 0)
  return [0, max > 0 ? max * 1.1 : 1]
}

export function lineChart(title: string, xLabel: string, series: readonly Series[]): string {
  const height = MARGIN.top + series.length * (PANEL + MARGIN.bottom)
  const xs = series.flatMap(s => s.points.map(p => p[0]))
  const x0 = Math.min(...xs, 0)
  const x1 = Math.max(...xs, x0 + 1)
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ]
  series.forEach((s, i) => {
    const top = MARGIN.top + i * (PANEL + MARGIN.bottom)
    const bottom = top + PANEL
    const [y0, y1] = yRange(s.points.map(p => p[1]))
    const sy = (y: number) => bottom - ((y - y0) / (y1 - y0)) * PANEL
    const colour = COLOURS[i % COLOURS.length]!
    out.push(`<rect x="${MARGIN.left}" y="${top}" width="${plotW}" height="${PANEL}" fill="none" stroke="#9ca3af"/>`)
    for (let t = 0; t <= 4; t++) {
      const v = y0 + ((y1 - y0) * t) / 4
      out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#e5e7eb"/>`)
      out.push(`<text x="${MARGIN.left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end" fill="#374151">${fmt(v)}</text>`)
    }
    for (let t = 0; t <= 5; t++) {
      const v = x0 + ((x1 - x0) * t) / 5
      out.push(`<text x="${sx(v).toFixed(1)}" y="${bottom + 15}" text-anchor="middle" fill="#374151">${fmt(v)}</text>`)
    }
    out.push(`<text x="${MARGIN.left + 6}" y="${top + 16}" fill="${colour}" font-weight="bold">${escape(`${s.name} (${s.unit})`)}</text>`)
    if (s.points.length) {
      const d = s.points.map((p, j) => `${j ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ")
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`)
    }
    out.push(`<text x="${MARGIN.left + plotW / 2}" y="${bottom + 30}" text-anchor="middle" fill="#374151">${escape(xLabel)}</text>`)
  })
  out.push("</svg>")
  return `${out.join("\n")}\n`
}
