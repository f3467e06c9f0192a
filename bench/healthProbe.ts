/**
 * Child process of the editors benchmark: polls a relay's /healthz and /metrics every 250 ms
 * from an event loop of its own (the bench's loop is busy observing every keystroke, which
 * would show up as slow answers), until stdin says STOP.
 *
 *   node bench/launch.js bench/healthProbe.ts <http base>   → `READY`, then on STOP → `DONE {"maxMs":…,"failures":…}`
 */
import { createInterface } from "node:readline"

const base = process.argv[2]
if (!base) {
  console.error("usage: node bench/launch.js bench/healthProbe.ts <http base>")
  process.exit(2)
}
let maxMs = 0
let failures = 0
let running = true
const loop = (async () => {
  for (let i = 0; running; i++) {
    const t0 = performance.now()
    try {
      const res = await fetch(`${base}/${i % 2 ? "metrics" : "healthz"}`, { signal: AbortSignal.timeout(10_000) })
      await res.text()
      if (res.status >= 500 && res.status !== 503) failures++
    } catch {
      failures++
    }
    maxMs = Math.max(maxMs, performance.now() - t0)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
})()
createInterface({ input: process.stdin }).on("line", line => {
  if (line !== "STOP") return
  running = false
  void loop.then(() => {
    console.log(`DONE ${JSON.stringify({ maxMs, failures })}`)
    process.exit(0)
  })
})
console.log("READY")
