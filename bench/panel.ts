/**
 * `npm run bench -- panel`: how soon the control panel paints and becomes usable in headless
 * Chromium, against an in-process relay with a modest workspace (200 tasks, 200 messages in
 * town_hall). An operator joins once (key approved, service worker installed, documents in
 * IndexedDB); then each start is a new page at the panel's address, timed from navigation
 * start: the browser's first paint and first contentful paint (PerformanceObserver paint
 * entries), the app shell, and "dashboard usable" — the dashboard's queued count painted,
 * after the last long task that began before it.
 *
 * BENCH_PANEL_STARTS sets the number of starts (default 7).
 */
import type { Page } from "playwright-core"
import { joinAsOperator, launchChromium, serviceWorkerActivated } from "../test/helpers/browser.ts"
import { codeVersion, loadAverage, machineLine } from "./lib/machine.ts"
import { REPO_ROOT } from "./lib/proc.ts"
import { ms, ratio, summarize, type Summary } from "./lib/stats.ts"
import { scoped, type BenchSuite, type SuiteContext, type SuiteResult } from "./lib/suite.ts"
import { benchRelay, newContext, seed, startOnce, storageSettled } from "./ui.ts"
import { addProbe, readProbe, usableAt, type ProbeResult } from "./uiProbe.ts"

export const CONFIG = {
  tasks: 200,
  messages: 200,
  starts: Number(process.env.BENCH_PANEL_STARTS ?? 7),
  timeoutMs: 120_000,
}

export const suite: BenchSuite = {
  name: "panel",
  heading: "## Panel start (npm run bench -- panel)",
  description: "control panel first paint and time to a usable dashboard in headless Chromium, 200 tasks + 200 messages",
  run,
}

/** One start, in ms since navigation start. */
interface Start {
  firstPaint: number
  firstContentfulPaint: number
  shell: number
  usable: number
  longTaskMs: number
}

function startOf(probe: ProbeResult): Start {
  const paint = (name: string) => probe.paints.find(p => p.name === name)?.start ?? Number.NaN
  const shown = probe.paintedAt ?? Number.NaN
  const before = probe.longTasks.filter(t => t.start < shown)
  return {
    firstPaint: paint("first-paint"),
    firstContentfulPaint: paint("first-contentful-paint"),
    shell: probe.shellAt ?? Number.NaN,
    usable: usableAt(probe, shown),
    longTaskMs: before.reduce((sum, t) => sum + t.end - t.start, 0),
  }
}

async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const started = performance.now()
  const loadBefore = loadAverage()
  const browser = await launchChromium()
  ctx.cleanup.add("close Chromium", () => browser.close())
  const { join, starts } = await scoped(ctx.cleanup, "panel starts", async scope => {
    const { relay } = await benchRelay(scope)
    await seed(ctx, relay, CONFIG)
    const queued = () => String(relay.workspace.countByStatus().queued)
    const context = await newContext(scope, browser)
    let page: Page = await context.newPage()
    // The join visit: its paints are the join screen's; the rest waits on the operator's approval.
    await addProbe(page, "dash-count-queued", queued())
    await joinAsOperator(page, relay, "Bench")
    const join = startOf(await readProbe(page, CONFIG.timeoutMs))
    await serviceWorkerActivated(page)
    await storageSettled(page)
    const starts: Start[] = []
    for (let i = 0; i < CONFIG.starts; i++) {
      const r = await startOnce(context, page, `${relay.httpUrl}/`, false, queued())
      page = r.page
      starts.push(startOf(r.start.probe))
      ctx.log(`start ${i + 1}: first paint ${ms(starts.at(-1)!.firstPaint)} ms, usable ${ms(starts.at(-1)!.usable)} ms`)
    }
    return { join, starts }
  })
  return report(ctx, browser.version(), join, starts, { loadBefore, loadAfter: loadAverage(), seconds: (performance.now() - started) / 1000 })
}

function report(ctx: SuiteContext, chromium: string, join: Start, starts: Start[], run: { loadBefore: number; loadAfter: number; seconds: number }): SuiteResult {
  const of = (key: keyof Start): Summary => summarize(starts.map(s => s[key]))
  const fp = of("firstPaint")
  const fcp = of("firstContentfulPaint")
  const shell = of("shell")
  const usable = of("usable")
  const longTasks = of("longTaskMs")
  const row = (label: string, s: Summary, key: keyof Start) => `| ${label} | ${starts.map(x => ms(x[key])).join(", ")} | **${ms(s.p50)}** | ${ms(s.max)} |`
  const markdown = [
    `Last run: ${ctx.machine.date}. Machine: ${machineLine(ctx.machine)}; Chromium ${chromium} (Debian, headless, playwright-core). Code: ${codeVersion(REPO_ROOT)}. Whole suite: ${run.seconds.toFixed(0)} s. 1-minute load average before → after: ${run.loadBefore} → ${run.loadAfter}.`,
    "",
    "No target is set here; the `ui` suite holds the cold-start target for a 10,000-task workspace.",
    "",
    `**Setup:** the relay runs in the bench process (\`startRelay\`, serving \`dist/app\`) with ${CONFIG.tasks} local tasks in its queue and ${CONFIG.messages} messages in town_hall (bench/syncData.ts, as the \`ui\` suite). An operator joins once through the join link and is approved by the owner (the test helper \`joinAsOperator\`); the bench waits until the service worker is active and IndexedDB stops changing. Then ${CONFIG.starts} starts: close the page, open a new one in the same browser context at the panel's address, relay up. Times come from an init script added by the bench (bench/uiProbe.ts; no app code changed), in ms since navigation start: *first paint* and *first contentful paint* are the browser's paint entries (PerformanceObserver, type \`paint\`); *app shell* is when the workspace name is in the DOM; *dashboard usable* is when the dashboard's queued count shows the relay's number and the next frame is painted, or the end of the last long task that began before it, if later.`,
    "",
    "| operator's start | runs ms | median ms | max ms |",
    "|---|---|---:|---:|",
    row("first paint", fp, "firstPaint"),
    row("first contentful paint", fcp, "firstContentfulPaint"),
    row("app shell in the DOM", shell, "shell"),
    row("**dashboard usable**", usable, "usable"),
    row("long tasks before it (sum)", longTasks, "longTaskMs"),
    "",
    `Dashboard usable ÷ first contentful paint: **${ratio(usable.p50, fcp.p50)}** (medians). For reference, the join visit (new browser, nothing stored) painted first at ${ms(join.firstPaint)} ms and contentfully at ${ms(join.firstContentfulPaint)} ms (the join screen); its dashboard waits on the operator's approval, so it is not timed.`,
  ].join("\n")
  const summary = `panel (${CONFIG.tasks} tasks): first paint ${ms(fp.p50)} ms, first contentful paint ${ms(fcp.p50)} ms, dashboard usable ${ms(usable.p50)} ms (medians of ${starts.length})`
  return { markdown, summary }
}
