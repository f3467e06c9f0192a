/** `vivarium relay` and `vivarium start`: run the relay (and, for start, the local worker). */
import { networkInterfaces } from "node:os"
import { resolve } from "node:path"
import { z } from "zod"
import { writeRelayAddress } from "../../peer-server/dataDir.ts"
import { startRelay, type Relay } from "../../peer-server/relay.ts"
import { parseFlags, Port } from "../args.ts"
import { DEFAULT_DATA_DIR } from "../connection.ts"
import { CliError } from "../errors.ts"
import { localOperatorIdentity } from "../operator.ts"
import { join } from "node:path"
import { Worker } from "../../worker/worker.ts"

export const EMBEDDED_WORKER = "local-worker"

/**
 * The worker started by `vivarium start` runs on the relay's machine under the relay's
 * control, so the relay (as the owner) approves it, signed, as soon as its registration arrives.
 */
function approveWhenRegistered(relay: Relay, name: string): Promise<void> {
  const root = relay.workspace.rootHandle
  return new Promise((done, fail) => {
    const check = () => {
      const peer = relay.workspace.root.peers[name]
      if (!peer) return
      root.off("change", check)
      if (peer.state !== "pending") return done()
      relay.decideAsOwner(name, "approved").then(done, fail)
    }
    root.on("change", check)
    check()
  })
}

const FLAGS = {
  // VIVARIUM_PORT when --port is not given (0: any free port, as the README's test uses).
  port: { type: "string", default: process.env.VIVARIUM_PORT ?? "8420" },
  data: { type: "string", default: DEFAULT_DATA_DIR },
  lan: { type: "boolean", default: false },
  host: { type: "string" },
  name: { type: "string" },
} as const

const Input = z.object({
  port: Port,
  data: z.string().min(1),
  lan: z.boolean(),
  host: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+$/, "expected an IP address or host name")
    .optional(),
  name: z.string().min(1).max(80).optional(),
})

export function joinLink(httpBase: string, token: string): string {
  return `${httpBase}/#join=${encodeURIComponent(token)}`
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter(a => a && a.family === "IPv4" && !a.internal)
    .map(a => a!.address)
}

export async function runRelayCommand(command: "relay" | "start", argv: string[]): Promise<number> {
  const flags = parseFlags(command, argv, FLAGS, Input)
  const host = flags.host ?? (flags.lan ? "0.0.0.0" : "127.0.0.1")
  const dataDir = resolve(flags.data)
  let relay: Relay
  try {
    relay = await startRelay({
      dataDir,
      // This machine's operator owns a workspace it creates (and approves other operators).
      owner: await localOperatorIdentity(),
      port: flags.port,
      host,
      ...(flags.name ? { workspaceName: flags.name } : {}),
      log: line => console.error(`[relay] ${line}`),
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "EADDRINUSE") throw new CliError(`${command}: port ${flags.port} is in use (another relay?); pass --port N`)
    if (code === "EADDRNOTAVAIL") throw new CliError(`${command}: cannot listen on ${host}: no such local address`)
    throw error
  }
  writeRelayAddress(dataDir, { host, port: relay.port, pid: process.pid, startedAt: relay.startedAt })
  // automerge-repo can reject a stray promise when a peer asks for a document nobody has
  // (its 60 s find timeout); one peer's missing document must not take the relay down.
  process.on("unhandledRejection", reason => {
    console.error(`[relay] unexpected error, still running: ${reason instanceof Error ? reason.message : String(reason)}`)
  })
  let worker: Worker | undefined
  if (command === "start") {
    const approved = approveWhenRegistered(relay, EMBEDDED_WORKER)
    worker = await Worker.start({
      relay: host === "0.0.0.0" || host === "::" ? `ws://127.0.0.1:${relay.port}` : relay.wsUrl,
      token: relay.token,
      dataDir: join(dataDir, "worker"),
      name: EMBEDDED_WORKER,
      playAllResidents: true,
      log: line => console.error(`[worker] ${line}`),
    })
    await approved
  }

  const localHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host
  const localBase = `http://${localHost}:${relay.port}`
  const lines = [
    `Vivarium ${command === "start" ? "is running" : "relay is running"} — workspace "${relay.workspace.root.name}"`,
    `  Control panel: ${joinLink(localBase, relay.token)}`,
    `  Relay:         ws://${localHost}:${relay.port}`,
    `  Data:          ${dataDir}`,
  ]
  if (host === "127.0.0.1" || host === "localhost" || host === "::1") {
    lines.push(`  Only this machine can connect. Restart with --lan to let other LAN machines join.`)
  } else {
    for (const ip of lanAddresses()) lines.push(`  From the LAN:  ${joinLink(`http://${ip}:${relay.port}`, relay.token)}`)
    lines.push(`  Add a worker:  vivarium worker --relay ws://<this machine>:${relay.port} --token ${relay.token}`)
  }
  if (command === "start")
    lines.push(`  Worker:        ${EMBEDDED_WORKER} (approved; ${process.env.GROQ_API_KEY ? "LLM and local tasks" : "local tasks only — set GROQ_API_KEY for LLM tasks"}; plays every resident)`)
  lines.push(
    `  Owner:         ${relay.workspace.root.authority?.owner.name ?? relay.owner.name} (approves operators: npx vivarium operator approve NAME)`,
    `  Next:          open the control panel link, pick a name, approve it with the command the page shows,`,
    `                 add a task under Queue and approve its result under Pending review`,
    `                 (or: npx vivarium task add --command "ls"; npx vivarium task list)`,
    `Press Ctrl+C to stop.`,
  )
  console.log(lines.join("\n"))

  return new Promise<number>(done => {
    const stop = (signal: string) => {
      console.error(`[relay] ${signal}: saving and stopping…`)
      Promise.resolve(worker?.stop())
        .then(() => relay.close())
        .then(
        () => done(0),
        error => {
          console.error(`[relay] error while stopping: ${(error as Error).message}`)
          done(1)
        },
      )
    }
    process.once("SIGINT", () => stop("SIGINT"))
    process.once("SIGTERM", () => stop("SIGTERM"))
  })
}
