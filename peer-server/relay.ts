/**
 * The relay: one HTTP server that upgrades authenticated WebSockets into automerge-repo
 * sync, keeps every document on disk, and answers health, metrics and workspace lookups.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { Duplex } from "node:stream"
import { randomUUID } from "node:crypto"
import { Repo, interpretAsDocumentId, type AutomergeUrl, type PeerId } from "@automerge/automerge-repo"
import createDebug from "debug"
import { WebSocketServer, type WebSocket } from "ws"
import { LIMITS } from "../schemas/common.ts"
import { RELAY_PROTOCOL } from "../schemas/wire.ts"
import { createWorkspace } from "../src/workspace/createWorkspace.ts"
import { Workspace } from "../src/workspace/workspace.ts"
import { flushReady } from "../src/workspace/sync.ts"
import type { BackoffOptions } from "../src/core/backoff.ts"
import { DurableAcks } from "./storage/durableAcks.ts"
import { DamagedStorageError, DurableFileStorage, type WriteFaults } from "./storage/durableFileStorage.ts"
import { StorageHealth } from "./storage/storageHealth.ts"
import { ensureDataDir, loadOrCreateSecret, readWorkspacePointer, writeWorkspacePointer } from "./dataDir.ts"
import { handleHttp, staticApp } from "./http.ts"
import { archiveFinishedTasks } from "./archiver.ts"
import { DEFAULT_ARCHIVE_AFTER_MS } from "../src/core/defaults.ts"
import { totalSpend } from "../src/core/spend.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { openOwnAuditLog, writePeerRecord, type PeerIdentity } from "../src/workspace/registerPeer.ts"
import { SCHEMA_VERSION, Task, type ArchiveDoc, type AuditKind, type IdentitiesDoc, type MailboxDoc, type RootDoc } from "../schemas/index.ts"
import { fileAnchorPins } from "../src/peer/anchorPins.ts"
import type { AuditLog } from "../src/workspace/auditLog.ts"
import { decidePeer } from "../src/workspace/operatorActions.ts"
import { validateEntries } from "../src/core/validate.ts"
import { enrol, enrolmentLimiter } from "./enrolment.ts"
import { authenticateUpgrade, ChallengeStore, principalFor } from "./transport/connectionAuth.ts"
import { RelayServerAdapter, type ConnectionLimits, type RelayAdapterHooks } from "./transport/relayServerAdapter.ts"
import type { Principal } from "./principal.ts"
import { Economy } from "./economy.ts"
import { Scheduler } from "./scheduler.ts"
import { fileLeaseStore } from "./leaseClock.ts"
import { join } from "node:path"
import { RelayMetrics } from "./metrics.ts"
import { ChangeGate } from "./gate/changeGate.ts"

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
  /** WebSocket ping interval: a peer that answers no ping for two intervals is dropped (default 5 s). */
  heartbeatMs?: number
  /** Per-connection frame size and rate limits (defaults in relayServerAdapter.ts). */
  connectionLimits?: Partial<ConnectionLimits>
  /** Hooks into every connection (the change gate, durability); mayRead defaults to the pending rule. */
  hooks?: RelayAdapterHooks
  /**
   * The workspace owner: registered as an approved operator and pinned in `root.authority`
   * when the workspace is created (or, for an older workspace, on the first start that has
   * none). `vivarium start`/`relay` pass the local operator; without one the relay keeps an
   * owner identity of its own in DATA/owner-identity.
   */
  owner?: PeerIdentity
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
  /** ws://host:port (a connection proves a registered key; see connectionAuth.ts) */
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
  /** The owner anchored in `root.authority` (with its private key when the relay made it). */
  readonly owner: PeerIdentity
  /** The relay's side of every sync connection. */
  readonly adapter: RelayServerAdapter
  /**
   * Approves or revokes a peer as the owner, signed with the owner's key (which the relay
   * holds when it made the owner or was given it): the embedded worker of `vivarium start`.
   */
  decideAsOwner(peer: string, state: "approved" | "revoked"): Promise<void>
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

  const frameBytes = opts.connectionLimits?.frameBytes ?? LIMITS.frameBytes
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: frameBytes,
    handleProtocols: offered => (offered.has(RELAY_PROTOCOL) ? RELAY_PROTOCOL : false),
  })
  // Filled in once the workspace is open: what a principal may read.
  let mayRead: (principal: Principal, documentId: string) => boolean = () => false
  // Filled in once the Repo exists: a sync reply waits until its document is on disk.
  let durableAcks: DurableAcks | undefined
  // Filled in once the workspace is open; until then nothing a peer sends is applied.
  let gate: ChangeGate | undefined
  const adapter = new RelayServerAdapter({
    hooks: {
      mayRead: (p, id) => mayRead(p, id),
      beforeMessage: (principal, message) => {
        if (message.type !== "sync" && message.type !== "request") return Promise.resolve("accept")
        if (!gate) return Promise.resolve({ refuse: "the relay is still starting; send it again in a moment" })
        const storageRefusal = storageHealth.refusal()
        if (storageRefusal) return gate.refuseIfChanges(principal, message.documentId, message.data, storageRefusal)
        return gate.check(principal, message.documentId, message.data)
      },
      beforeSend: message => durableAcks?.beforeSend(message) ?? Promise.resolve(),
      ...opts.hooks,
    },
    ...(opts.connectionLimits ? { limits: opts.connectionLimits } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    onClosed: ({ peer, code, reason }) => {
      metrics.connectionsClosed++
      log(`closed the connection of ${peer}: ${code} ${reason}`)
    },
    log,
  })
  // Documents each peer has asked for or sent. The relay announces exactly these back, so a
  // peer that rejoins (after a silently dropped connection) restarts sync with fresh state
  // for its documents, and no peer learns of a document it never named.
  const named = new Map<PeerId, Set<string>>()
  const mayReadAs = (peerId: PeerId, documentId: string) => {
    const principal = adapter.principalOf(peerId)
    return !!principal && mayRead(principal, documentId)
  }
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
    shareConfig: {
      announce: async (peerId, documentId) => documentId !== undefined && (named.get(peerId)?.has(documentId) ?? false) && mayReadAs(peerId, documentId),
      access: async (peerId, documentId) => documentId !== undefined && mayReadAs(peerId, documentId),
    },
    saveDebounceRate: opts.saveDebounceMs ?? 25,
  })
  durableAcks = new DurableAcks(repo)

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

  // The relay signs what it does as `system` (lease grants, expiries, payments) with this key.
  const identity = await loadOrCreateIdentity(join(paths.dir, "relay-identity"), "relay", "relay")
  const owner = opts.owner ?? (await loadOrCreateIdentity(join(paths.dir, "owner-identity"), "owner", "operator"))

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
  let workspace: Workspace
  try {
    workspace = await Workspace.open(repo, rootUrl, { anchors: fileAnchorPins(paths.dir) })
  } catch (error) {
    await repo.shutdown().catch(() => {})
    await storage.close()
    throw error
  }
  await upgradeWorkspace(repo, workspace)
  anchorAuthority(repo, workspace, owner, identity, log)
  const workspaceId = pointer.workspaceId
  // Validate before apply: every peer's change passes the gate before the Repo sees it.
  gate = new ChangeGate({ repo, workspace, rootUrl, dataDir: paths.dir, log })
  const reportIssues = () => {
    const issues = workspace.issues
    if (issues.length !== metrics.dataIssues)
      for (const i of issues.slice(0, 10)) log(`data issue: ${i.doc} ${i.path}: ${i.message}`)
    metrics.dataIssues = issues.length
  }
  reportIssues()
  workspace.tasks.on("change", reportIssues)
  workspace.rootHandle.on("change", reportIssues)

  const audit = await openOwnAuditLog(repo, workspace.root, identity)

  // Pending peers read the root and their own audit log; approved peers read everything.
  mayRead = (principal, documentId) => {
    if (principal.role !== "pending") return true
    const root = workspace.root
    return documentId === workspace.rootHandle.documentId || root.peers[principal.peer]?.auditUrl === `automerge:${documentId}`
  }
  // A registration that changes (approved, revoked, key replaced) changes what its open
  // connections speak for at once.
  // (Not repo.shareConfigChanged(): its asynchronous re-evaluation can end a sync that a
  // request started meanwhile; the adapter answers the requests it refused instead.)
  const refreshPrincipals = () => {
    const root = workspace.root
    adapter.refreshPrincipals(current => {
      const verdict = principalFor(root, current.peer, current.publicKeyHex)
      return verdict.ok ? verdict.principal : undefined
    })
  }
  workspace.rootHandle.on("change", refreshPrincipals)
  const challenges = new ChallengeStore()
  const enrolments = enrolmentLimiter()
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

  const startedAt = Date.now()
  const app = staticApp(opts.appDir)
  if (!app) log(`the control panel is not built (no ${opts.appDir ?? "dist/app"}): run 'npm run build' to serve it`)
  const server: Server = createServer((req, res) => {
    metrics.documentsLoaded = Object.keys(repo.handles).length
    handleHttp(req, res, {
      token,
      rootUrl,
      pointer,
      metrics,
      storageHealth,
      startedAt,
      workspace,
      app,
      challenges,
      enrol: body => enrol(body, { repo, workspace, workspaceId, challenges, limiter: enrolments }),
      onAuthFailure: reason => refuse(req, reason),
    })
  })
  const refuse = (req: IncomingMessage, reason: string) => {
    metrics.authFailures++
    log(`refused ${req.socket.remoteAddress ?? "?"} ${req.method} ${new URL(req.url ?? "/", "http://x").pathname}: ${reason}`)
  }
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", error => debug("upgrade socket error: %s", error.message))
    authenticateUpgrade(req, { workspaceId, challenges, root: () => workspace.root }).then(
      verdict => {
        if (!verdict.ok) {
          refuse(req, verdict.reason)
          const status = verdict.status === 403 ? "403 Forbidden" : "401 Unauthorized"
          socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
          return
        }
        wss.handleUpgrade(req, socket, head, ws => {
          countTraffic(ws, metrics)
          adapter.accept(ws, verdict.principal)
        })
      },
      error => {
        log(`upgrade failed: ${(error as Error).message}`)
        socket.destroy()
      },
    )
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
      workspace.rootHandle.off("change", refreshPrincipals)
      scheduler.stop()
      await economy.stop()
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
    owner,
    adapter,
    async decideAsOwner(peer, state) {
      const ownerAudit = await openOwnAuditLog(repo, workspace.root, owner)
      const role = workspace.root.peers[peer]?.role === "operator" ? "operator" : "worker"
      await decidePeer({ workspace, audit: ownerAudit, actor: { kind: "operator", name: owner.name } }, peer, state, role)
      await ownerAudit.settled()
    },
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
 * Registers the relay and the owner (an approved operator) and pins both keys in
 * `root.authority`, once: at creation, or on the first start of an older workspace. A
 * workspace whose authority is already pinned keeps it; another local operator starting the
 * relay later is told it is not the owner.
 */
function anchorAuthority(repo: Repo, workspace: Workspace, owner: PeerIdentity, relay: PeerIdentity, log: (line: string) => void): void {
  const root = workspace.rootHandle
  const now = Date.now()
  const pinned = workspace.root.authority
  if (!pinned) {
    const taken = Object.hasOwn(workspace.root.peers, owner.name) ? workspace.root.peers[owner.name] : undefined
    if (taken && taken.publicKey !== owner.publicKeyHex)
      throw new Error(`cannot make ${owner.name} the workspace owner: that name is registered with another key here; start the relay as the operator who holds it (VIVARIUM_OPERATOR)`)
    // The anchors come first: readers judge the registrations below by them.
    root.change((d: RootDoc) => {
      d.authority = { owner: { name: owner.name, publicKey: owner.publicKeyHex }, relay: { name: relay.name, publicKey: relay.publicKeyHex } }
    })
  }
  writePeerRecord(repo, root, { name: relay.name, role: "relay", publicKey: relay.publicKeyHex, state: "approved" }, now)
  if (pinned) {
    if (pinned.owner.name !== owner.name || pinned.owner.publicKey !== owner.publicKeyHex)
      log(`the workspace owner is ${pinned.owner.name}; ${owner.name} starts this relay as an ordinary operator`)
    return
  }
  writePeerRecord(repo, root, { name: owner.name, role: "operator", publicKey: owner.publicKeyHex, state: "approved", decidedBy: relay.name, decidedAt: now }, now)
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
