/**
 * The relay: one HTTP server that upgrades authenticated WebSockets into automerge-repo
 * sync, keeps every document on disk, and answers health, metrics and workspace lookups.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { Duplex } from "node:stream"
import { randomUUID } from "node:crypto"
import { Repo, interpretAsDocumentId, type AutomergeUrl, type Message, type PeerId, type RepoMessage } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import createDebug from "debug"
import { WebSocketServer, type WebSocket } from "ws"
import { createWorkspace } from "../src/workspace/createWorkspace.ts"
import { Workspace } from "../src/workspace/workspace.ts"
import { flushReady } from "../src/workspace/sync.ts"
import type { BackoffOptions } from "../src/core/backoff.ts"
import { DurableAcks } from "./storage/durableAcks.ts"
import { DamagedStorageError, DurableFileStorage, type WriteFaults } from "./storage/durableFileStorage.ts"
import { StorageHealth } from "./storage/storageHealth.ts"
import { presentedToken, tokenMatches } from "./auth.ts"
import { ensureDataDir, loadOrCreateSecret, readWorkspacePointer, writeWorkspacePointer } from "./dataDir.ts"
import { handleHttp, staticApp } from "./http.ts"
import { archiveFinishedTasks } from "./archiver.ts"
import { DEFAULT_ARCHIVE_AFTER_MS } from "../src/core/defaults.ts"
import { totalSpend } from "../src/core/spend.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { registerPeer } from "../src/workspace/registerPeer.ts"
import { SCHEMA_VERSION, Task, type AnchorKey, type ArchiveDoc, type AuditKind, type IdentitiesDoc, type MailboxDoc, type RootDoc, type WorkspaceAuthority } from "../schemas/index.ts"
import { fileAnchorPins } from "../src/peer/anchorPins.ts"
import type { AuditLog } from "../src/workspace/auditLog.ts"
import { validateEntries } from "../src/core/validate.ts"
import { approveOperatorsAsOwner } from "./ownerApprovals.ts"
import { Economy } from "./economy.ts"
import { Scheduler } from "./scheduler.ts"
import { fileLeaseStore } from "./leaseClock.ts"
import { join } from "node:path"
import { RelayMetrics } from "./metrics.ts"

const debug = createDebug("app:relay")

export interface RelayOptions {
  dataDir: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  workspaceName?: string
  /** How long the relay may hold a received change before writing it to disk (a peer's
   *  change is acknowledged only once saved, whatever this is). */
  saveDebounceMs?: number
  /** Delay between retries of a failing storage write (disk full, I/O error). */
  storageRetry?: BackoffOptions
  /** Fault injection for tests: fails storage writes as a full or broken disk would. */
  storageFaults?: WriteFaults
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
  /**
   * The workspace's owner, written into `root.authority` when the relay creates the workspace.
   * Default: the relay's own key, which then also approves operators as they register.
   */
  owner?: AnchorKey
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
  /** Whether storage takes writes (the change gate refuses writes while it does not). */
  readonly storageHealth: StorageHealth
  /** The relay's own audit log; its signer is the relay's key (payments, its own decisions). */
  readonly audit: AuditLog
  readonly startedAt: number
  close(): Promise<void>
}

export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const storageHealth = new StorageHealth()
  try {
    return await openRelay(opts, storageHealth)
  } catch (error) {
    throw startFailure(error as Error, storageHealth)
  }
}

async function openRelay(opts: RelayOptions, storageHealth: StorageHealth): Promise<Relay> {
  const log = opts.log ?? ((line: string) => console.error(line))
  const paths = ensureDataDir(opts.dataDir)
  const token = loadOrCreateSecret(paths)
  const metrics = new RelayMetrics()

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 })
  // Keep-alive: a peer busy in one long Automerge call (opening a 10,000-task queue blocks
  // for seconds) must not be dropped as dead; the default 5 s is too short for that.
  const adapter = new NodeWSServerAdapter(wss as unknown as ConstructorParameters<typeof NodeWSServerAdapter>[0], opts.keepAliveMs ?? 30_000)
  // A server adapter is ready once it listens. Left as is, it is "ready" only at the first
  // connection, and a document the start needs but storage lacks (a damaged chunk moved aside)
  // would wait for a connection that cannot come before the start ends, instead of failing.
  adapter.whenReady = () => Promise.resolve()
  // Documents each peer has asked for or sent. The relay announces exactly these back, so a
  // peer that rejoins (after a silently dropped connection) restarts sync with fresh state
  // for its documents, and no peer learns of a document it never named.
  const named = new Map<PeerId, Set<string>>()
  let pointer = readWorkspacePointer(paths)
  const rootDocumentId = pointer && interpretAsDocumentId(pointer.rootUrl as AutomergeUrl)
  const storage = new DurableFileStorage(paths.storage, {
    health: storageHealth,
    essential: documentId => documentId === rootDocumentId,
    ...(opts.storageRetry ? { retry: opts.storageRetry } : {}),
    ...(opts.storageFaults ? { faults: opts.storageFaults } : {}),
    log,
  })
  watchStorage(storageHealth, metrics, log)
  const repo = new Repo({
    network: [adapter],
    storage,
    peerId: `relay-${randomUUID().slice(0, 8)}` as PeerId,
    sharePolicy: async (peerId, documentId) => documentId !== undefined && (named.get(peerId)?.has(documentId) ?? false),
    saveDebounceRate: opts.saveDebounceMs ?? 25,
  })
  // TEMPORARY until the relay's own server adapter calls DurableAcks.beforeSend itself.
  sendWhenDurable(adapter, new DurableAcks(repo))

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

  // The relay signs what it does as `system` (lease grants, payments) with this key.
  const identity = await loadOrCreateIdentity(join(paths.dir, "relay-identity"), "relay", "relay")
  const relayAnchor = { name: identity.name, publicKey: identity.publicKeyHex }
  const authority = { owner: opts.owner ?? relayAnchor, relay: relayAnchor }

  const existedBefore = !!pointer
  let rootUrl: AutomergeUrl
  if (pointer) {
    rootUrl = pointer.rootUrl as AutomergeUrl
  } else {
    const now = Date.now()
    const workspaceId = randomUUID()
    const root = createWorkspace(repo, { name: opts.workspaceName ?? "Vivarium", workspaceId, createdBy: "relay", now, authority })
    await repo.flush()
    rootUrl = root.url
    pointer = { rootUrl, workspaceId, createdAt: now }
    writeWorkspacePointer(paths, pointer)
  }
  let workspace: Workspace
  try {
    workspace = await Workspace.open(repo, rootUrl, { anchors: fileAnchorPins(paths.dir) })
  } catch (error) {
    await repo.shutdown().catch(() => {})
    await storage.close()
    throw error
  }
  await upgradeWorkspace(repo, workspace, authority)
  const reportIssues = () => {
    const issues = workspace.issues
    if (issues.length !== metrics.dataIssues)
      for (const i of issues.slice(0, 10)) log(`data issue: ${i.doc} ${i.path}: ${i.message}`)
    metrics.dataIssues = issues.length
  }
  reportIssues()
  workspace.tasks.on("change", reportIssues)
  workspace.rootHandle.on("change", reportIssues)

  const audit = await registerPeer(repo, workspace, identity, "approved")
  const ownerApprovals = opts.owner ? undefined : approveOperatorsAsOwner(workspace, audit, log)
  const relayAudit = (kind: AuditKind, subject: string, data: Record<string, unknown>) =>
    void audit.append(kind, subject, data).catch(error => log(`audit append failed: ${(error as Error).message}`))
  const economy = new Economy(workspace, {
    signer: audit.signer,
    ...(opts.residentDayMs !== undefined ? { dayMs: opts.residentDayMs } : {}),
    ...(opts.onlineWindowMs !== undefined ? { onlineWindowMs: opts.onlineWindowMs } : {}),
    audit: relayAudit,
    log,
  })
  const scheduler = new Scheduler(workspace, {
    residentHolders: () => economy.holders(),
    leaseStore: fileLeaseStore(join(paths.dir, "leases.json"), log),
    ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
    ...(opts.onlineWindowMs !== undefined ? { onlineWindowMs: opts.onlineWindowMs } : {}),
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
    handleHttp(req, res, { token, rootUrl, pointer, metrics, storageHealth, startedAt, workspace, app, onAuthFailure: reason => refuse(req, reason) })
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
        if (moved.length) log(`archived ${moved.length} finished tasks`)
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
    storage.stopRetrying()
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
      ownerApprovals?.stop()
      await audit.settled()
      workspace.close()
      server.close()
      for (const client of wss.clients) client.terminate()
      wss.close()
      // A failing disk gets one more attempt per write, not retries: what is unsaved was
      // never acknowledged, and the peers that sent it push it again to the next relay.
      storage.stopRetrying()
      await flushReady(repo).catch(error => log(`could not save everything while stopping: ${(error as Error).message}`))
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
    storageHealth,
    audit,
    startedAt,
    close,
  }
}

/**
 * A start that failed after damaged chunks were moved aside most likely failed for want of
 * those documents: say so, and what to do.
 */
function startFailure(error: Error, health: StorageHealth): Error {
  if (!health.damaged.length || error instanceof DamagedStorageError) return error
  return new Error(
    `${error.message}. Damaged storage found: ${health.warnings().join("; ")}. The relay needs these documents to start: ` +
      `restore the data directory from a backup, or copy the documents' files from a worker's storage directory (same layout), then start again`,
    { cause: error },
  )
}

/** Keeps the storage metrics current and logs when storage fails, recovers or holds damage. */
function watchStorage(health: StorageHealth, metrics: RelayMetrics, log: (line: string) => void): void {
  let wasFailing = false
  let damagedSeen = 0
  health.on("change", () => {
    metrics.storageFailing = health.failing ? 1 : 0
    metrics.storageWriteFailures = health.failedWrites
    metrics.damagedChunks = health.damaged.length
    if (health.failing && !wasFailing) log(`storage failing: ${health.reasons().join("; ")}; refusing new writes and retrying`)
    if (!health.failing && wasFailing) log("storage works again: pending writes saved")
    wasFailing = health.failing
    for (const warning of health.warnings().slice(damagedSeen)) log(warning)
    damagedSeen = health.damaged.length
  })
}

/**
 * TEMPORARY until the relay's own server adapter (which calls `beforeSend` per peer) lands:
 * holds each outgoing message until `acks.beforeSend` resolves, keeping each peer's order.
 * Messages queued for a connection that closed are dropped (a rejoining peer starts over).
 */
function sendWhenDurable(adapter: NodeWSServerAdapter, acks: DurableAcks): void {
  const send = adapter.send.bind(adapter)
  const queues = new Map<PeerId, Promise<void>>()
  const connection = new Map<PeerId, number>()
  adapter.on("peer-disconnected", ({ peerId }) => connection.set(peerId, (connection.get(peerId) ?? 0) + 1))
  adapter.send = (message: Message) => {
    const target = message.targetId
    const current = connection.get(target) ?? 0
    const durable = acks.beforeSend(message as RepoMessage)
    const next = Promise.all([queues.get(target), durable]).then(
      () => {
        if ((connection.get(target) ?? 0) !== current) return
        try {
          send(message)
        } catch (error) {
          debug("not sent to %s: %O", target, error)
        }
      },
      error => debug("not sent to %s: %O", target, error),
    )
    queues.set(target, next)
    void next.finally(() => queues.get(target) === next && queues.delete(target))
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
async function upgradeWorkspace(repo: Repo, workspace: Workspace, authority: WorkspaceAuthority): Promise<void> {
  if (!workspace.root.authority)
    workspace.rootHandle.change((d: RootDoc) => {
      d.authority = authority
    })
  if (!workspace.root.docs.mailbox) {
    const mailbox = repo.create<MailboxDoc>({ schemaVersion: SCHEMA_VERSION, kind: "mailbox", messages: {} })
    workspace.rootHandle.change((d: RootDoc) => {
      d.docs.mailbox = mailbox.url
    })
  }
  if (workspace.queueHandle.doc().archivedSpendUsd === undefined) {
    // Archives from before the queue carried their spend: counted once, validated task by task.
    let archivedSpendUsd = 0
    for (const url of Object.values(workspace.root.docs.archives)) {
      const archive = await repo.find<ArchiveDoc>(url as AutomergeUrl)
      archivedSpendUsd += totalSpend(validateEntries(Task, archive.doc().tasks, `archive ${url}`, ["tasks"], [], "id").values())
    }
    workspace.queueHandle.change(d => {
      d.archivedSpendUsd ??= archivedSpendUsd
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
