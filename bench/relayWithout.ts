/**
 * The Vivarium relay with some of its extensions left out, everything else as `vivarium relay`
 * runs it (key-bound connections, durable acknowledgements, the economy and scheduler): the
 * gate benchmark's baseline leaves out `change-gate`, the bounded benchmark's old layout the
 * extensions that segment documents. Run as a child process:
 *
 *   node bench/launch.js bench/relayWithout.ts <data dir> [extension,…]
 *
 * Prints `Relay: ws://127.0.0.1:PORT`; stops on SIGTERM/SIGINT or when stdin closes.
 */
import { startRelay } from "../peer-server/relay.ts"
import { leavingOut } from "./lib/relays.ts"

const [dataDir, names = ""] = process.argv.slice(2)
if (!dataDir) {
  console.error("usage: relayWithout.ts <data dir> [extension,…]")
  process.exit(2)
}
const relay = await startRelay({
  dataDir,
  port: 0,
  host: "127.0.0.1",
  // As `vivarium relay` does, the owner's key stays in the data directory (bench peers use it).
  extensions: leavingOut(names.split(",").filter(Boolean)),
  log: line => console.error(`[relay] ${line}`),
})
console.log(`Relay: ${relay.wsUrl}`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  relay.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
process.stdin.on("end", stop)
process.stdin.resume()
