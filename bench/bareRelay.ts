/**
 * The baseline relay: a bare automerge-repo sync server with no Vivarium code. A plain
 * Repo with NodeFSStorageAdapter and a NodeWSServerAdapter on a `ws` server, serving only
 * what peers push or ask for. Run as a child process by the benchmarks:
 *
 *   node bench/launch.js bench/bareRelay.ts <storage dir> [port]
 *
 * Prints `Relay: ws://127.0.0.1:PORT` once clients may connect; stops on SIGTERM/SIGINT
 * or when its stdin closes (the parent went away).
 */
import { Repo, type PeerId } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { WebSocketServer } from "ws"

const [dir, portArg] = process.argv.slice(2)
if (!dir) {
  console.error("usage: bareRelay.ts <storage dir> [port]")
  process.exit(2)
}

const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(portArg ?? 0) })
await new Promise<void>((resolve, reject) => {
  wss.once("listening", resolve)
  wss.once("error", reject)
})
const adapter = new NodeWSServerAdapter(wss as unknown as ConstructorParameters<typeof NodeWSServerAdapter>[0])
const repo = new Repo({
  network: [adapter],
  storage: new NodeFSStorageAdapter(dir),
  peerId: `bare-relay-${process.pid}` as PeerId,
  sharePolicy: async () => false,
  // Diagnosis only (BENCH_BARE_SAVE_DEBOUNCE=25 mimics the Vivarium relay); default: automerge-repo's 100 ms.
  ...(process.env.BENCH_BARE_SAVE_DEBOUNCE ? { saveDebounceRate: Number(process.env.BENCH_BARE_SAVE_DEBOUNCE) } : {}),
})
// The server adapter attaches after storage init; announce the address only then, so no
// client connects to an adapter that would ignore it.
while (!adapter.peerId) await new Promise(resolve => setImmediate(resolve))
const address = wss.address()
const port = typeof address === "object" && address ? address.port : 0
console.log(`Relay: ws://127.0.0.1:${port}`)

// BENCH_RELAY_DIAG=1: log event-loop stalls and peer drops to stderr (diagnosis only).
if (process.env.BENCH_RELAY_DIAG === "1") {
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()
  setInterval(() => {
    if (h.max > 300e6) console.error(`[bare relay] ${new Date().toISOString()} event loop blocked up to ${(h.max / 1e6).toFixed(0)} ms`)
    h.reset()
  }, 1000).unref()
  repo.networkSubsystem.on("peer", ({ peerId }) => console.error(`[bare relay] ${new Date().toISOString()} peer ${peerId} connected`))
  repo.networkSubsystem.on("peer-disconnected", ({ peerId }) => console.error(`[bare relay] ${new Date().toISOString()} peer ${peerId} disconnected`))
}

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  for (const client of wss.clients) client.terminate()
  wss.close()
  await repo.flush().catch(() => {})
  await repo.shutdown().catch(() => {})
  process.exit(0)
}
process.once("SIGTERM", () => void stop())
process.once("SIGINT", () => void stop())
process.stdin.on("end", () => void stop())
process.stdin.resume()
