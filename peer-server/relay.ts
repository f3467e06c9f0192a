/**
 * The relay: one HTTP server that upgrades authenticated WebSockets into automerge-repo
 * sync, keeps every document on disk, and answers health, metrics and workspace lookups.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { Duplex } from "node:stream"
import { randomUUID } from "node:crypto"
import { Repo, type AutomergeUrl, type PeerId } from "@automerge/automerge-repo"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import createDebug from "debug"
import { WebSocketServer, type WebSocket } from "ws"
import { createWorkspace } from "../src/workspace/createWorkspace.ts"
import { Workspace } from "../src/workspace/workspace.ts"
import { flushReady } from "../src/workspace/sync.ts"
import { ClosableStorageAdapter } from "../src/peer/closableStorage.ts"
import { presentedToken, tokenMatches } from "./auth.ts"
import { ensureDataDir, loadOrCreateSecret, readWorkspacePointer, writeWorkspacePointer } from "./dataDir.ts"
import { handleHttp, staticApp } from "./http.ts"
import { archiveFinishedTasks } from "./archiver.ts"
import { DEFAULT_ARCHIVE_AFTER_MS } from "../src/core/defaults.ts"
import { totalSpend } from "../src/core/scheduling.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { registerPeer } from "../src/workspace/registerPeer.ts"
import { SCHEMA_VERSION, type ArchiveDoc, type AuditKind, type IdentitiesDoc, type MailboxDoc, type RootDoc } from "../schemas/index.ts"
import { Economy } from "./economy.ts"
import { Scheduler } from "./scheduler.ts"
import { join } from "node:path"
import { RelayMetrics } from "./metrics.ts"
import { ChangeGate } from "./gate/changeGate.ts"
import { GatedServerAdapter, INTERIM_AUTHORITY } from "./gate/interimBinding.ts"

const debug = createDebug("app:relay")

export interface RelayOptions {
  dataDir: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  workspaceName?: string
  /** How long the relay may hold a received change before writing it to disk. */
  saveDebounceMs?: number
  /** Finished tasks older than this leave the live queue for a monthly archive. */
  archiveAfterMs?: number
  /** How often the relay looks for tasks to archive. */
  archiveIntervalMs?: number
  /** How long a silent peer stays connected before the relay drops it. */
  keepAliveMs?: number
  /** Lease length and system-scan interval (docs/RUNTIME_CONTRACT.md). */
  leaseMs?: number
  schedulerTickMs?: number
  /** Length of a resident-day, for the daily allowance (default 24 h). */
  residentDayMs?: number
  /** How often the economy loop re-checks without a document change. */
  economyTickMs?: number
  /** A worker whose heartbeat is older than this is offline (for the "no key" rule). */
  onlineWindowMs?: number
  /** The built PWA to serve (default dist/app; a missing build serves a "run npm run build" page). */
  appDir?: string
  /** Operator-facing log lines (auth failures, data issues). Never given secrets. */
  log?: (line: string) => void
}

export interface Relay {
  readonly host: string
  readonly port: number
  /** http://host:port */
  readonly httpUrl: string
  /** ws://host:port (add ?token=SECRET to connect) */
  readonly wsUrl: string
  readonly token: string
  readonly rootUrl: AutomergeUrl
  readonly repo: Repo
  readonly workspace: Workspace
  readonly metrics: RelayMetrics
  readonly startedAt: number
  close(): Promise<void>
}

export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const log = opts.log ?? ((line: string) => console.error(line))
  const paths = ensureDataDir(opts.dataDir)
  const token = loadOrCreateSecret(paths)
  const metrics = new RelayMetrics()

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 })
  // Keep-alive: a peer busy in one long Automerge call (opening a 10,000-task queue blocks
  // for seconds) must not be dropped as dead; the default 5 s is too short for that.
  const adapter = new GatedServerAdapter(wss as unknown as ConstructorParameters<typeof GatedServerAdapter>[0], opts.keepAliveMs ?? 30_000)
  // Documents each peer has asked for or sent. The relay announces exactly these back, so a
  // peer that rejoins (after a silently dropped connection) restarts sync with fresh state
  // for its documents, and no peer learns of a document it never named.
  const named = new Map<PeerId, Set<string>>()
  const storage = new ClosableStorageAdapter(new NodeFSStorageAdapter(paths.storage))
  const repo = new Repo({
    network: [adapter],
    storage,
    peerId: `relay-${randomUUID().slice(0, 8)}` as PeerId,
    sharePolicy: async (peerId, documentId) => documentId !== undefined && (named.get(peerId)?.has(documentId) ?? false),
    saveDebounceRate: opts.saveDebounceMs ?? 25,
  })

  repo.networkSubsystem.on("message", msg => {
    if (!("documentId" in msg) || !msg.documentId) return
    let docs = named.get(msg.senderId)
    if (!docs) named.set(msg.senderId, (docs = new Set()))
    docs.add(msg.documentId)
  })
  // A rejoining peer keeps its id, so its list outlives a disconnect, but not forever.
  const forget = new Map<PeerId, NodeJS.Timeout>()
  repo.networkSubsystem.on("peer-disconnected", ({ peerId }) => {
    const timer = setTimeout(() => (named.delete(peerId), forget.delete(peerId)), 10 * 60_000)
    timer.unref()
    forget.set(peerId, timer)
  })
  repo.networkSubsystem.on("peer", ({ peerId }) => {
    clearTimeout(forget.get(peerId))
    forget.delete(peerId)
  })

  let pointer = readWorkspacePointer(paths)
  const existedBefore = !!pointer
  let rootUrl: AutomergeUrl
  if (pointer) {
    rootUrl = pointer.rootUrl as AutomergeUrl
  } else {
    const now = Date.now()
    const workspaceId = randomUUID()
    const root = createWorkspace(repo, { name: opts.workspaceName ?? "Vivarium", workspaceId, createdBy: "relay", now })
    await repo.flush()
    rootUrl = root.url
    pointer = { rootUrl, workspaceId, createdAt: now }
    writeWorkspacePointer(paths, pointer)
  }
  const workspace = await Workspace.open(repo, rootUrl)
  await upgradeWorkspace(repo, workspace)
  // Validate before apply: every peer's change passes the gate before the Repo sees it.
  adapter.useGate(new ChangeGate({ repo, workspace, rootUrl, dataDir: paths.dir, log, interim: INTERIM_AUTHORITY }), () => workspace.root)
  const reportIssues = () => {
    const issues = workspace.issues
    if (issues.length !== metrics.dataIssues)
      for (const i of issues.slice(0, 10)) log(`data issue: ${i.doc} ${i.path}: ${i.message}`)
    metrics.dataIssues = issues.length
  }
  reportIssues()
  workspace.tasks.on("change", reportIssues)
  workspace.rootHandle.on("change", reportIssues)

  // The relay signs what it does as `system` (lease grants, expiries, blocks) in its own log.
  const identity = await loadOrCreateIdentity(join(paths.dir, "relay-identity"), "relay", "relay")
  const audit = await registerPeer(repo, workspace, identity, "approved")
  let archivedSpendUsd = 0
  for (const url of Object.values(workspace.root.docs.archives)) {
    const archive = await repo.find<ArchiveDoc>(url as AutomergeUrl)
    archivedSpendUsd += totalSpend(Object.values(archive.doc().tasks ?? {}))
  }
  const relayAudit = (kind: AuditKind, subject: string, data: Record<string, unknown>) =>
    void audit.append(kind, subject, data).catch(error => log(`audit append failed: ${(error as Error).message}`))
  const economy = new Economy(workspace, {
    ...(opts.residentDayMs !== undefined ? { dayMs: opts.residentDayMs } : {}),
    ...(opts.onlineWindowMs !== undefined ? { onlineWindowMs: opts.onlineWindowMs } : {}),
    audit: relayAudit,
    log,
  })
  const scheduler = new Scheduler(workspace, {
    residentHolders: () => economy.holders(),
    ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
    ...(opts.onlineWindowMs !== undefined ? { onlineWindowMs: opts.onlineWindowMs } : {}),
    archivedSpendUsd: () => archivedSpendUsd,
    audit: relayAudit,
    log,
  })
  await economy.start(opts.economyTickMs ?? 1_000)
  scheduler.start(opts.schedulerTickMs ?? 500)

  // The server adapter attaches asynchronously; a client accepted earlier would be ignored.
  while (!adapter.peerId) await new Promise(resolve => setImmediate(resolve))

  wss.on("connection", socket => countTraffic(socket, metrics))
  const startedAt = Date.now()
  const app = staticApp(opts.appDir)
  if (!app) log(`the control panel is not built (no ${opts.appDir ?? "dist/app"}): run 'npm run build' to serve it`)
  const server: Server = createServer((req, res) => {
    metrics.documentsLoaded = Object.keys(repo.handles).length
    handleHttp(req, res, { token, rootUrl, pointer, metrics, startedAt, workspace, app, onAuthFailure: reason => refuse(req, reason) })
  })
  const refuse = (req: IncomingMessage, reason: string) => {
    metrics.authFailures++
    log(`refused ${req.socket.remoteAddress ?? "?"} ${req.method} ${new URL(req.url ?? "/", "http://x").pathname}: ${reason}`)
  }
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const presented = presentedToken(req)
    if (!tokenMatches(presented, token)) {
      refuse(req, presented ? "wrong secret" : "no secret")
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      return
    }
    wss.handleUpgrade(req, socket, head, ws => wss.emit("connection", ws, req))
  })

  const archiveAfterMs = opts.archiveAfterMs ?? DEFAULT_ARCHIVE_AFTER_MS
  const archiveTimer = setInterval(() => {
    archiveFinishedTasks(repo, workspace, Date.now(), archiveAfterMs).then(
      moved => {
        if (!moved.length) return
        archivedSpendUsd += totalSpend(moved)
        log(`archived ${moved.length} finished tasks`)
      },
      error => log(`archiving failed (will retry): ${(error as Error).message}`),
    )
  }, opts.archiveIntervalMs ?? 60_000)
  archiveTimer.unref()

  const host = opts.host ?? "127.0.0.1"
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(opts.port ?? 0, host, () => resolve())
    })
  } catch (error) {
    // Port in use or no such address: stop everything started so far, so the process can exit.
    clearInterval(archiveTimer)
    scheduler.stop()
    await economy.stop()
    workspace.close()
    wss.close()
    await flushReady(repo)
    await repo.shutdown().catch(() => {})
    await storage.close()
    throw error
  }
  if (!existedBefore) log(`created workspace ${pointer.workspaceId} in ${paths.dir}`)
  const address = server.address()
  const port = typeof address === "object" && address ? address.port : (opts.port ?? 0)
  const urlHost = host.includes(":") ? `[${host}]` : host
  debug("listening on %s:%d", host, port)


  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      clearInterval(archiveTimer)
      for (const timer of forget.values()) clearTimeout(timer)
      scheduler.stop()
      await economy.stop()
      await audit.settled()
      workspace.close()
      server.close()
      for (const client of wss.clients) client.terminate()
      wss.close()
      await flushReady(repo)
      await repo.shutdown().catch(error => debug("shutdown: %O", error))
      await storage.close()
      server.closeAllConnections()
    })())

  return {
    host,
    port,
    httpUrl: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}`,
    token,
    rootUrl,
    repo,
    workspace,
    metrics,
    startedAt,
    close,
  }
}

/** Counts sync traffic per socket for /metrics (each frame is one repo message). */
function countTraffic(socket: WebSocket, metrics: RelayMetrics): void {
  metrics.connectedPeers++
  socket.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    metrics.messagesIn++
    metrics.bytesIn += Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength
  })
  socket.once("close", () => metrics.connectedPeers--)
  const send = socket.send.bind(socket) as (data: Uint8Array, ...rest: unknown[]) => void
  socket.send = ((data: Uint8Array, ...rest: unknown[]) => {
    metrics.messagesOut++
    metrics.bytesOut += data.byteLength ?? 0
    send(data, ...rest)
  }) as typeof socket.send
}

/**
 * Brings a workspace created by an older version up to the current documents. Only the relay
 * does this, so no two peers create the same map concurrently (one of them would be lost).
 */
async function upgradeWorkspace(repo: Repo, workspace: Workspace): Promise<void> {
  if (!workspace.root.docs.mailbox) {
    const mailbox = repo.create<MailboxDoc>({ schemaVersion: SCHEMA_VERSION, kind: "mailbox", messages: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.mailbox = mailbox.url
    })
  }
  const identities = await repo.find<IdentitiesDoc>(workspace.root.docs.identities as AutomergeUrl)
  const doc = identities.doc()
  if (!doc.seedsUsed || !doc.leases)
    identities.change(d => {
      d.seedsUsed ??= {}
      d.leases ??= {}
    })
}
