/** `vivarium worker` (run a worker peer) and `worker approve|revoke|list` (operator decisions). */
import { resolve } from "node:path"
import { z } from "zod"
import { Id, MAX_PLAYED_RESIDENTS, PeerName } from "../../schemas/index.ts"
import { decidePeer } from "../../src/domain/peers/index.ts"
import { Worker } from "../../worker/worker.ts"
import { numberFlag, parseFlags, takePositionals } from "../args.ts"
import { CONNECTION_FLAGS, ConnectionInput, resolveConnection, withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { withOperator } from "../operatorPeer.ts"
import { isOnline } from "../../src/domain/tasks/index.ts"

export const WORKER_FLAGS = {
  ...CONNECTION_FLAGS,
  name: { type: "string" },
  concurrency: { type: "string", default: "1" },
  "lease-ms": { type: "string" },
  residents: { type: "string" },
  "min-score": { type: "string" },
} as const
export const WorkerInput = ConnectionInput.extend({
  name: PeerName.optional(),
  concurrency: numberFlag({ min: 1, max: 64, nan: "concurrency must be a whole number from 1 to 64", int: "concurrency must be a whole number from 1 to 64" }),
  "lease-ms": numberFlag({ min: 200, max: 3_600_000, nan: "lease-ms must be a whole number of milliseconds from 200 to 3600000", int: "lease-ms must be a whole number of milliseconds from 200 to 3600000" }).optional(),
  /** The voluntary acceptance score work offered to a resident must reach (default 0: everything is taken up). */
  "min-score": numberFlag({ min: 0, max: 100, nan: "min-score must be a number from 0 to 100" }).optional(),
  /** Residents this worker offers to play, comma-separated ids, or "all" (new ones too); the relay leases each to one worker. */
  residents: z
    .literal("all")
    .or(
      z
        .string()
        .transform(s => s.split(",").map(x => x.trim()).filter(Boolean))
        .pipe(z.array(Id).max(MAX_PLAYED_RESIDENTS)),
    )
    .optional(),
})

/** Stops `worker` on SIGINT/SIGTERM, giving its running tasks back first. */
export function stopOnSignals(stop: () => Promise<void>): Promise<number> {
  return new Promise(done => {
    const handler = (signal: string) => {
      console.error(`[worker] ${signal}: giving running tasks back and stopping…`)
      stop().then(() => done(0), () => done(1))
    }
    process.once("SIGINT", () => handler("SIGINT"))
    process.once("SIGTERM", () => handler("SIGTERM"))
  })
}

async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("worker", argv, WORKER_FLAGS, WorkerInput)
  const { relay, token } = resolveConnection({ ...(flags.relay ? { relay: flags.relay } : {}), ...(flags.token ? { token: flags.token } : {}) })
  const dataDir = resolve(flags.data ?? ".vivarium-worker")
  const worker = await Worker.start({
    relay,
    token,
    dataDir,
    concurrency: flags.concurrency,
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags["lease-ms"] ? { leaseMs: flags["lease-ms"] } : {}),
    ...(flags["min-score"] !== undefined ? { minAcceptScore: flags["min-score"] } : {}),
    ...(flags.residents === "all" ? { playAllResidents: true } : flags.residents ? { identities: flags.residents } : {}),
    log: line => console.error(line),
  })
  console.log(
    `worker ${worker.name} connected to ${relay} (data ${dataDir}, concurrency ${flags.concurrency}, ` +
      `${process.env.GROQ_API_KEY ? "LLM key present" : "no GROQ_API_KEY: local tasks only"})`,
  )
  return stopOnSignals(() => worker.stop())
}

function decide(state: "approved" | "revoked") {
  return async (argv: string[]): Promise<number> => {
    const command = `worker ${state === "approved" ? "approve" : "revoke"}`
    const [[name], rest] = takePositionals(command, argv, ["NAME"])
    const flags = parseFlags(command, rest, CONNECTION_FLAGS, ConnectionInput)
    await withOperator(flags, ({ peer, actor, audit }) => decidePeer({ workspace: peer.workspace, audit, actor }, name!, state, "worker"))
    console.log(`${name} ${state}`)
    return 0
  }
}

const LIST_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const
async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("worker list", argv, LIST_FLAGS, ConnectionInput.extend({ json: z.boolean() }))
  const workers = await withPeer(flags, peer =>
    Object.values(peer.workspace.root.peers)
      .filter(p => p.role === "worker")
      .map(p => ({
        name: p.name,
        state: p.state,
        online: isOnline(p, Date.now()),
        hasLlmKey: p.hasLlmKey ?? false,
        lastSeen: p.lastSeen,
      })),
  )
  if (flags.json) console.log(JSON.stringify(workers, null, 2))
  else if (!workers.length) console.log("no workers registered")
  else for (const w of workers) console.log(`${w.name.padEnd(24)} ${w.state.padEnd(9)} ${w.online ? "online " : "offline"} ${w.hasLlmKey ? "llm+local" : "local"}`)
  return 0
}

export async function runWorkerCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === "approve") return decide("approved")(rest)
  if (sub === "revoke") return decide("revoked")(rest)
  if (sub === "list") return list(rest)
  if (sub && !sub.startsWith("-")) throw new CliError(`worker: unknown subcommand '${sub}' (expected approve, revoke, list, or flags to run a worker)`)
  return run(argv)
}
