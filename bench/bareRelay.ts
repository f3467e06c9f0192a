/**
 * The baseline relay: a bare automerge-repo sync server with no Vivarium code. A plain
 * Repo with NodeFSStorageAdapter and a NodeWSServerAdapter on a `ws` server, serving only
 * what peers push or ask for. Run as a child process by the benchmarks:
 *
 *   node --import tsx bench/bareRelay.ts <storage dir> [port]
 *
 * Prints `Relay: ws://127.0.0.1:PORT` once clients may connect; stops on SIGTERM/SIGINT
 * or when its stdin closes (the parent went away).
 */
import { Repo, type PeerId } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
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
})
// The server adapter attaches after storage init; announce the address only then, so no
// client connects to an adapter that would ignore it.
while (!adapter.peerId) await new Promise(resolve => setImmediate(resolve))
const address = wss.address()
const port = typeof address === "object" && address ? address.port : 0
console.log(`Relay: ws://127.0.0.1:${port}`)

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
