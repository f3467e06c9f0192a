/** `vivarium relay` and `vivarium start`: run the relay (and, for start, the local worker). */
import { resolve } from "node:path"
import { z } from "zod"
import { writeRelayAddress } from "../../peer-server/dataDir.ts"
import { startRelay, type Relay, type RelayTlsOptions } from "../../peer-server/relay.ts"
import type { FollowOptions } from "../../peer-server/upstream.ts"
import { CertificateFileError, suppliedCredentials, workspaceCredentials, type TlsCredentials } from "../../peer-server/tls/credentials.ts"
import { lanAddresses } from "../../peer-server/tls/machineNames.ts"
import { parseFlags, Port } from "../args.ts"
import { DEFAULT_DATA_DIR } from "../connection.ts"
import { CliError } from "../errors.ts"
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

export const RELAY_FLAGS = {
  // VIVARIUM_PORT when --port is not given (0: any free port, as the README's test uses).
  port: { type: "string", default: process.env.VIVARIUM_PORT ?? "8420" },
  data: { type: "string", default: DEFAULT_DATA_DIR },
  lan: { type: "boolean", default: false },
  host: { type: "string" },
  name: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  // `relay --follow ws(s)://primary:port`: a follower relay (peer-server/upstream.ts).
  follow: { type: "string" },
  token: { type: "string" },
  "follower-name": { type: "string" },
} as const

export const RelayInput = z.object({
  port: Port,
  data: z.string().min(1),
  lan: z.boolean(),
  host: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+$/, "expected an IP address or host name")
    .optional(),
  name: z.string().min(1).max(80).optional(),
  cert: z.string().min(1, "expected a PEM certificate file").optional(),
  key: z.string().min(1, "expected a PEM private key file").optional(),
  follow: z
    .string()
    .regex(/^wss?:\/\/[^/?#@]+\/?$/, "expected ws://host:port or wss://host:port (the join secret goes in --token or VIVARIUM_TOKEN, never in the address)")
    .optional(),
  token: z.string().min(1, "token is empty").optional(),
  "follower-name": z.string().min(1).max(80).optional(),
})

/** `relay --follow`: the primary's address and its join secret (from --token, else VIVARIUM_TOKEN). */
function followOptions(command: string, flags: z.infer<typeof RelayInput>): FollowOptions | undefined {
  if (!flags.follow) {
    if (flags.token || flags["follower-name"]) throw new CliError(`${command}: --token and --follower-name go with --follow`)
    return undefined
  }
  if (command !== "relay") throw new CliError(`${command}: --follow runs a follower relay: use vivarium relay --follow (a follower runs no local worker)`)
  const token = flags.token ?? process.env.VIVARIUM_TOKEN
  if (!token) throw new CliError(`${command}: --follow needs the workspace's join secret: pass --token SECRET or set VIVARIUM_TOKEN`)
  return { url: flags.follow, token, ...(flags["follower-name"] ? { name: flags["follower-name"] } : {}) }
}

export function joinLink(httpBase: string, token: string): string {
  return `${httpBase}/#join=${encodeURIComponent(token)}`
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1"])
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::"])

/**
 * With --lan (or --host naming a LAN address) the relay serves TLS on HOST:PORT+1 with a
 * plain trust helper on HOST:PORT+2, and keeps plain HTTP on 127.0.0.1:PORT for this
 * machine's CLI, worker and browser: plain http stays for localhost only.
 */
async function lanTls(command: string, flags: z.infer<typeof RelayInput>, dataDir: string, log: (line: string) => void): Promise<RelayTlsOptions | undefined> {
  const lan = flags.lan || (flags.host !== undefined && !LOOPBACK_HOSTS.has(flags.host))
  if (!flags.cert !== !flags.key) throw new CliError(`${command}: --cert and --key go together (the certificate and its private key)`)
  if (!lan) {
    if (flags.cert) throw new CliError(`${command}: --cert and --key serve HTTPS on the LAN: add --lan`)
    return undefined
  }
  if (flags.port > 65533) throw new CliError(`${command}: --port with --lan uses PORT, PORT+1 (https) and PORT+2 (trust helper): pick a port up to 65533`)
  const host = flags.host ?? "0.0.0.0"
  let credentials: TlsCredentials
  try {
    credentials = flags.cert
      ? suppliedCredentials(resolve(flags.cert), resolve(flags.key!))
      : await workspaceCredentials(dataDir, { extraNames: WILDCARD_HOSTS.has(host) ? [] : [host], log })
  } catch (error) {
    if (error instanceof CertificateFileError) throw new CliError(`${command}: ${error.message}`)
    throw error
  }
  const next = (n: number) => (flags.port === 0 ? 0 : flags.port + n)
  return { credentials, host, port: next(1), helperPort: next(2) }
}

/** The host names and addresses another LAN device can use in a link (no wildcards, no loopback). */
function lanLinkHosts(tls: RelayTlsOptions): string[] {
  if (!WILDCARD_HOSTS.has(tls.host)) return [tls.host]
  const names = tls.credentials.names
  const dns = names.dns.filter(n => !LOOPBACK_HOSTS.has(n) && !n.includes("*") && n.includes("."))
  return [...lanAddresses(names), ...dns].map(h => (h.includes(":") ? `[${h}]` : h))
}

export async function runRelayCommand(command: "relay" | "start", argv: string[]): Promise<number> {
  const flags = parseFlags(command, argv, RELAY_FLAGS, RelayInput)
  const follow = followOptions(command, flags)
  const dataDir = resolve(flags.data)
  const log = (line: string) => console.error(`[relay] ${line}`)
  const tls = await lanTls(command, flags, dataDir, log)
  const host = tls ? "127.0.0.1" : (flags.host ?? "127.0.0.1")
  let relay: Relay
  try {
    relay = await startRelay({
      // The owner's key stays in the data directory: the CLI next to it acts as the owner.
      dataDir,
      port: flags.port,
      host,
      ...(flags.name ? { workspaceName: flags.name } : {}),
      ...(tls ? { tls } : {}),
      ...(follow ? { follow } : {}),
      log,
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const ports = tls ? `${flags.port}, ${tls.port} or ${tls.helperPort}` : `${flags.port}`
    if (code === "EADDRINUSE") throw new CliError(`${command}: port ${ports} is in use (another relay?); pass --port N`)
    if (code === "EADDRNOTAVAIL") throw new CliError(`${command}: cannot listen on ${tls?.host ?? host}: no such local address`)
    throw error
  }
  // With --lan: the names other devices reach this machine by, and the HTTPS links (kept for join-link).
  const lan = tls && { hosts: lanLinkHosts(tls), httpsPort: new URL(relay.httpsUrl!).port }
  const lanUrls = lan && lan.hosts.map(h => `https://${h}:${lan.httpsPort}`)
  writeRelayAddress(dataDir, { host, port: relay.port, pid: process.pid, startedAt: relay.startedAt, ...(lanUrls ? { lanUrls } : {}) })
  // automerge-repo can reject a stray promise when a peer asks for a document nobody has
  // (its 60 s find timeout); one peer's missing document must not take the relay down.
  process.on("unhandledRejection", reason => {
    console.error(`[relay] unexpected error, still running: ${reason instanceof Error ? reason.message : String(reason)}`)
  })
  let worker: Worker | undefined
  if (command === "start") {
    const approved = approveWhenRegistered(relay, EMBEDDED_WORKER)
    worker = await Worker.start({
      relay: relay.wsUrl,
      token: relay.token,
      dataDir: join(dataDir, "worker"),
      name: EMBEDDED_WORKER,
      playAllResidents: true,
      log: line => console.error(`[worker] ${line}`),
    })
    await approved
  }

  const lines = [
    `Vivarium ${command === "start" ? "is running" : "relay is running"} — workspace "${relay.workspace.root.name}"`,
    `  Control panel: ${joinLink(relay.httpUrl, relay.token)}`,
    `  Relay:         ${relay.wsUrl}`,
    `  Data:          ${dataDir}`,
  ]
  if (follow) lines.push(`  Following:     ${follow.url} as ${relay.owner.name} (new keys enrol and pair there; peers may use either relay)`)
  if (!tls) {
    lines.push(`  Only this machine can connect. Restart with --lan to let other LAN machines join (over HTTPS).`)
  } else {
    const { hosts, httpsPort } = lan!
    const helperPort = new URL(relay.trustHelperUrl!).port
    for (const url of lanUrls!) lines.push(`  From the LAN:  ${joinLink(url, relay.token)}`)
    if (!hosts.length) lines.push(`  From the LAN:  no LAN address found; the HTTPS listener is ${relay.httpsUrl}`)
    const trust = tls.credentials.trust
    lines.push(`  Trust first:   http://${hosts[0] ?? "<this machine>"}:${helperPort}/ — on each new device: install the certificate, steps, QR code`)
    if (trust) lines.push(`  CA SHA-256:    ${trust.fingerprint}`, `                 (compare it with the one the trust page shows before trusting)`)
    lines.push(`  Certificate:   ${tls.credentials.source}, for ${[...tls.credentials.names.dns, ...tls.credentials.names.ips].join(", ")}`)
    lines.push(
      `  Add a worker:  fetch http://${hosts[0] ?? "<this machine>"}:${helperPort}/ca.pem, then`,
      `                 NODE_EXTRA_CA_CERTS=ca.pem vivarium worker --relay wss://${hosts[0] ?? "<this machine>"}:${httpsPort} --token ${relay.token}`,
    )
  }
  if (command === "start")
    lines.push(`  Worker:        ${EMBEDDED_WORKER} (approved; ${process.env.GROQ_API_KEY ? "LLM and local tasks" : "local tasks only — set GROQ_API_KEY for LLM tasks"}; plays every resident)`)
  lines.push(
    `  Owner:         vivarium commands ${dataDir === resolve(DEFAULT_DATA_DIR) ? "run in this directory" : `given --data ${flags.data}`} act as the owner (npx vivarium operator approve NAME);`,
    `                 on another machine, pair a terminal with your operator: npx vivarium pair`,
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
