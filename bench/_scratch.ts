import { Cleanup } from "./lib/cleanup.ts"
import { machineInfo } from "./lib/machine.ts"
import { openPart } from "./sync.ts"
const cleanup = new Cleanup()
try {
  const r = await openPart({ cleanup, machine: machineInfo(), log: l => console.error(`[${new Date().toISOString().slice(11, 19)}] ${l}`) })
  console.log(JSON.stringify(r.median, null, 1))
} finally { await cleanup.runAll() }
process.exit()
