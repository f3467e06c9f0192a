/**
 * The relay: one HTTP server that upgrades authenticated WebSockets into automerge-repo
 * sync and keeps every document on disk. The core here opens the data directory, the
 * durable storage, the Repo and the workspace, and runs the server; every concern beyond
 * that (who a connection speaks for, validating changes, durable acknowledgements, leases,
 * the economy, archiving, health, metrics, the control panel) is an extension with named
 * hooks (extension.ts), listed in `standardExtensions` in the order their hooks run.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import type { Server } from "node:net"
import type { Duplex } from "node:stream"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { Repo, interpretAsDocumentId, type AutomergeUrl, type PeerId } from "@automerge/automerge-repo"
import createDebug from "debug"
import { WebSocketServer } from "ws"
import { LIMITS } from "../schemas/common.ts"
import { RELAY_PROTOCOL } from "../schemas/wire.ts"
import type { AuditKind } from "../schemas/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { flushReady } from "../src/workspace/sync.ts"
import type { BackoffOptions } from "../src/core/backoff.ts"
import type { RotationPolicy } from "../src/domain/tasks/index.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { socketAddress } from "../src/peer/relayClientAdapter.ts"
import { openOwnAuditLog, type PeerIdentity, decidePeer } from "../src/domain/peers/index.ts"
import type { AuditLog } from "../src/domain/audit/index.ts"
import { DamagedStorageError, DurableFileStorage, type WriteFaults } from "./storage/durableFileStorage.ts"
import { durableAcknowledgements } from "./storage/durableAcks.ts"
import { StorageHealth } from "./storage/storageHealth.ts"
import { DEFAULT_OWNER_NAME, ensureDataDir, keepSecret, loadOrCreateSecret, readWorkspacePointer } from "./dataDir.ts"
import { ExtensionChain, type RelayContext, type RelayExtension } from "./extension.ts"
import { logRefusal, sendJson } from "./http.ts"
import { keyAuth } from "./transport/keyAuth.ts"
import { LiveForwarding } from "./transport/liveForwarding.ts"
import { RelayServerAdapter, type ConnectionLimits } from "./transport/relayServerAdapter.ts"
import { SharePolicy } from "./transport/sharePolicy.ts"
import { changeGate } from "./gate/changeGate.ts"
import { ephemeralGate } from "./gate/ephemeralGate.ts"
import { economyLoop } from "./economy.ts"
import { improvementLoops } from "./improvementLoops.ts"
import { communityPass } from "./communityPass.ts"
import { residentInitiative } from "./initiative.ts"
import { ledgerBooks } from "./ledgerBooks.ts"
import { leaseScheduler } from "./scheduler.ts"
import { queueGenerations } from "./queueGenerations.ts"
import { Liveness, livenessMarks } from "./liveness.ts"
import { archiver } from "./archiver.ts"
import { roomSegmenter } from "./roomSegments.ts"
import { auditSegmenter } from "./auditSegments.ts"
import { healthReport } from "./health.ts"
import { metricsEndpoint, RelayMetrics } from "./metrics.ts"
import { controlPanel } from "./panel.ts"
import { openRelayWorkspace } from "./workspaceSetup.ts"
import { ActorBindings } from "./gate/actorBindings.ts"
import { followerCopy, openFollowedWorkspace, reachUpstream, UpstreamAdapter, type FollowOptions } from "./upstream.ts"
import { serverOptions, type TlsCredentials } from "./tls/credentials.ts"
import { plainOnly, trustOnboarding, type TrustOnboarding } from "./tls/trustOnboarding.ts"

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
  /** How often the relay checks whether the live queue is due a new generation (default a minute). */
  queueGenerationIntervalMs?: number
  /** When a new queue generation is due (src/domain/tasks/queueGenerations.ts). */
  queueRotation?: RotationPolicy
  /** WebSocket ping interval: a peer that answers no ping for two intervals is dropped (default 5 s). */
  heartbeatMs?: number
  /** Per-connection frame size and rate limits (defaults in relayServerAdapter.ts). */
  connectionLimits?: Partial<ConnectionLimits>
  /**
   * Live forwarding (transport/liveForwarding.ts): the coalescing window per document and its
   * widest under load, ms (defaults 25 and 400); `false` leaves every peer to automerge-repo's
   * sync rounds (for comparison).
   */
  liveForwarding?: { windowMs?: number; maxWindowMs?: number } | false
  /**
   * The relay's extensions: given the standard list (in hook order), returns the list to run.
   * Tests use it to leave one out (a relay without the change gate) or add one.
   */
  extensions?: (standard: RelayExtension[]) => RelayExtension[]
  /**
   * The workspace owner: registered as an approved operator and pinned in `root.authority`
   * when the workspace is created (or, for an older workspace, on the first start that has
   * none). By default the relay keeps the owner's key in DATA/owner-identity (0600), where the
   * CLI on the relay's machine finds it; tests and embedders may pass another.
   */
  owner?: PeerIdentity
  /** How long a pairing code is good for (default 5 minutes; tests shorten it). */
  pairingTtlMs?: number
  /** Lease length and system-scan interval (docs/RUNTIME_CONTRACT.md). */
  leaseMs?: number
  schedulerTickMs?: number
  /** Length of a resident-day, for the daily allowance (default 24 h). */
  residentDayMs?: number
  /** How often the economy loop re-checks without a document change. */
  economyTickMs?: number
  /** How often residents' initiative is looked for (messages asking for them, bounties for their traits; default 2 s). */
  initiativeTickMs?: number
  /** A worker whose heartbeat is older than this is offline (for the "no key" rule). */
  onlineWindowMs?: number
  /** The built PWA to serve (default dist/app; a missing build serves a "run npm run build" page). */
  appDir?: string
  /** Operator-facing log lines (auth failures, data issues). Never given secrets. */
  log?: (line: string) => void
  /**
   * Also serve the relay over TLS (`vivarium start --lan`), on its own address, with the
   * trust onboarding (tls/trustOnboarding.ts) and its plain helper port. The plain listener
   * stays at `host`/`port` (loopback, for this machine's CLI, worker and browser).
   */
  tls?: RelayTlsOptions
  /**
   * Follow another relay (upstream.ts): replicate its whole workspace, serve it to this
   * relay's peers and forward their changes upstream. A follower runs no system actor
   * (scheduler, economy, archiver); its join secret is the upstream's.
   */
  follow?: FollowOptions
}

export interface RelayTlsOptions {
  credentials: TlsCredentials
  host: string
  /** 0 picks a free port (as the helper's). */
  port: number
  helperPort: number
}

export interface Relay {
  readonly host: string
  readonly port: number
  /** http://host:port */
  readonly httpUrl: string
  /** ws://host:port (a connection proves a registered key; see connectionAuth.ts) */
  readonly wsUrl: string
  /** With `tls`: https://host:port and wss://host:port of the TLS listener, and the plain trust helper's http://host:port. */
  readonly httpsUrl?: string
  readonly wssUrl?: string
  readonly trustHelperUrl?: string
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
  /**
   * The owner anchored in `root.authority` (with its private key when the relay made it). A
   * follower holds no owner key: this is its own `mirror` key, which decides nothing.
   */
  readonly owner: PeerIdentity
  /** For a follower: the upstream connection (`remotePeerId` while connected). */
  readonly upstream?: UpstreamAdapter
  /** A primary's sightings of its peers and the lease renewals their beats carry (peer-server/liveness.ts). */
  readonly liveness?: Liveness
  /** The relay's side of every sync connection. */
  readonly adapter: RelayServerAdapter
  /**
   * Approves or revokes a peer as the owner, signed with the owner's key (which the relay
   * holds when it made the owner or was given it): the embedded worker of `vivarium start`.
   */
  decideAsOwner(peer: string, state: "approved" | "revoked"): Promise<void>
  close(): Promise<void>
}

/**
 * The relay's concerns in hook order: authentication first, the control panel (which answers
 * every other GET) last. A follower (`opts.follow`) runs no system actor: the economy, the
 * scheduler, the archiver, the ledger's books and the room and audit segmenters are the primary's alone
 * (single writers); it keeps a copy of every document instead.
 */
export function standardExtensions(
  opts: RelayOptions,
  upstream: () => UpstreamAdapter | undefined = () => undefined,
  // Who is online and which leases are renewed, by this relay's clock (the primary's alone).
  liveness: Liveness | undefined = opts.follow ? undefined : new Liveness(opts.onlineWindowMs),
): RelayExtension[] {
  const systemActor = (liveness: Liveness) => {
    const economy = economyLoop({ dayMs: opts.residentDayMs, onlineWindowMs: opts.onlineWindowMs, tickMs: opts.economyTickMs })
    return [
      livenessMarks(liveness),
      ledgerBooks(),
      economy,
      residentInitiative({ holders: economy.holders, tickMs: opts.initiativeTickMs }),
      improvementLoops({ tickMs: opts.economyTickMs }),
      communityPass({ tickMs: opts.economyTickMs }),
      leaseScheduler({ leaseMs: opts.leaseMs, tickMs: opts.schedulerTickMs, onlineWindowMs: opts.onlineWindowMs, residentHolders: economy.holders, liveness }),
      archiver({ afterMs: opts.archiveAfterMs, intervalMs: opts.archiveIntervalMs }),
      roomSegmenter(),
      queueGenerations({ intervalMs: opts.queueGenerationIntervalMs, policy: opts.queueRotation }),
      auditSegmenter(),
    ]
  }
  return [
    keyAuth({ pairingTtlMs: opts.pairingTtlMs, ...(opts.follow ? { registersAt: socketAddress(opts.follow.url) } : {}) }),
    metricsEndpoint(),
    changeGate(),
    ephemeralGate(liveness),
    durableAcknowledgements(),
    ...(liveness ? systemActor(liveness) : [followerCopy(opts.follow!, upstream)]),
    healthReport(),
    opts.tls ? trustOnboarding({ credentials: opts.tls.credentials, helperHost: opts.tls.host, helperPort: opts.tls.helperPort }) : plainOnly(),
    controlPanel(opts.appDir),
  ]
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
  const upstream = opts.follow && (await reachUpstream(paths, opts.follow, log))
  const token = opts.follow ? keepSecret(paths, opts.follow.token) : loadOrCreateSecret(paths)
  const metrics = new RelayMetrics()
  const actorBindings = new ActorBindings(paths.dir)
  const upstreamAdapter = upstream && new UpstreamAdapter(opts.follow!, upstream.pointer.workspaceId, upstream.identity, actorBindings, log)
  const liveness = opts.follow ? undefined : new Liveness(opts.onlineWindowMs)
  const standard = standardExtensions(opts, () => upstreamAdapter, liveness)
  const chosen = opts.extensions ? opts.extensions(standard) : standard
  const extensions = new ExtensionChain(chosen)

  const adapter = new RelayServerAdapter({
    hooks: {
      mayRead: (principal, documentId) => extensions.mayRead(principal, documentId),
      beforeMessage: (principal, message) => extensions.beforeMessage(principal, message),
      beforeSend: message => extensions.beforeSend(message),
      declareActors: (principal, actors) => actorBindings.declare(principal.peer, actors),
    },
    ...(opts.connectionLimits ? { limits: opts.connectionLimits } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    actors: actorBindings,
    onClosed: closed => extensions.connectionClosed(closed),
    log,
  })
  let forwarding: LiveForwarding | undefined
  const sharing = new SharePolicy(
    (peerId, documentId) => {
      const principal = adapter.principalOf(peerId)
      return !!principal && extensions.mayRead(principal, documentId)
    },
    peerId => !!upstreamAdapter && peerId === upstreamAdapter.remotePeerId,
    (peerId, documentId) => !!forwarding?.isLive(peerId, documentId),
  )
  const pointer = readWorkspacePointer(paths)
  const rootDocumentId = pointer && interpretAsDocumentId(pointer.rootUrl as AutomergeUrl)
  const storage = new DurableFileStorage(paths.storage, {
    health: storageHealth,
    essential: documentId => documentId === rootDocumentId,
    ...(opts.storageRetry ? { retry: opts.storageRetry } : {}),
    ...(opts.storageFaults ? { faults: opts.storageFaults } : {}),
    log,
  })
  const repo = new Repo({
    network: upstreamAdapter ? [adapter, upstreamAdapter] : [adapter],
    storage,
    peerId: `relay-${randomUUID().slice(0, 8)}` as PeerId,
    shareConfig: sharing.shareConfig,
    saveDebounceRate: opts.saveDebounceMs ?? 25,
  })
  sharing.watch(repo)
  if (opts.liveForwarding !== false) {
    forwarding = new LiveForwarding({ repo, send: message => adapter.sendAsRelay(message), selfId: () => adapter.peerId, ...opts.liveForwarding })
    adapter.forwardWith(forwarding)
    metrics.forwarding = () => forwarding!.stats()
  }
  const stopStorage = async () => {
    storage.stopRetrying()
    await flushReady(repo).catch(error => log(`could not save everything while stopping: ${(error as Error).message}`))
    await repo.shutdown().catch(error => debug("shutdown: %O", error))
    await storage.close()
  }

  // The relay signs what it does as `system` (lease grants, expiries, payments) with this key;
  // a follower has its `mirror` key instead, and signs nothing anyone counts.
  const identity = upstream ? upstream.identity : await loadOrCreateIdentity(join(paths.dir, "relay-identity"), "relay", "relay")
  const owner = opts.owner ?? (upstream ? upstream.identity : await loadOrCreateIdentity(paths.ownerIdentity, DEFAULT_OWNER_NAME, "operator"))
  let opened: Awaited<ReturnType<typeof openRelayWorkspace>>
  try {
    opened = upstream
      ? { workspace: await openFollowedWorkspace(repo, paths, upstream, upstreamAdapter!, log), pointer: upstream.pointer, existedBefore: true }
      : await openRelayWorkspace(repo, paths, { name: opts.workspaceName, owner, relay: identity, log })
  } catch (error) {
    sharing.close()
    await stopStorage()
    throw error
  }
  const { workspace, pointer: opening } = opened
  const rootUrl = opening.rootUrl as AutomergeUrl
  const audit = await openOwnAuditLog(repo, () => workspace.root, identity)
  const startedAt = Date.now()
  const ctx: RelayContext = {
    repo,
    workspace,
    rootUrl,
    workspaceId: opening.workspaceId,
    token,
    dataDir: paths.dir,
    audit,
    auditLater: (kind: AuditKind, subject: string, data: Record<string, unknown>) =>
      void audit.append(kind, subject, data).catch(error => log(`audit append failed: ${(error as Error).message}`)),
    owner,
    adapter,
    ...(forwarding ? { forwarding } : {}),
    actorBindings,
    storageHealth,
    metrics,
    startedAt,
    ports: () => ({ http: portOf(server), ...(tlsServer ? { https: portOf(tlsServer) } : {}) }),
    log,
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.connectionLimits?.frameBytes ?? LIMITS.frameBytes,
    handleProtocols: offered => (offered.has(RELAY_PROTOCOL) ? RELAY_PROTOCOL : false),
  })
  const request = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://relay.invalid").pathname
    if (extensions.request(req, res, path)) return
    if (req.method !== "GET" && req.method !== "HEAD") sendJson(res, 405, { error: `method ${req.method} not allowed; every route here but /api/enrol and /api/pair is GET` })
    else sendJson(res, 404, { error: `no route ${path}` })
  }
  // The same relay on each listener: plain HTTP, and with `tls` also HTTPS (the only choice the core makes).
  const server = createServer(request)
  const tlsServer = opts.tls && createHttpsServer(serverOptions(opts.tls.credentials), request)
  tlsServer?.on("tlsClientError", error => debug("TLS handshake failed: %s", error.message))
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", error => debug("upgrade socket error: %s", error.message))
    extensions.authenticate(req).then(
      verdict => {
        if (!verdict.ok) {
          logRefusal(ctx, req, verdict.reason)
          const status = verdict.status === 403 ? "403 Forbidden" : "401 Unauthorized"
          socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
          return
        }
        wss.handleUpgrade(req, socket, head, ws => {
          extensions.connect(ws, verdict.principal)
          adapter.accept(ws, verdict.principal)
        })
      },
      error => {
        log(`upgrade failed: ${(error as Error).message}`)
        socket.destroy()
      },
    )
  }
  server.on("upgrade", upgrade)
  tlsServer?.on("upgrade", upgrade)

  const host = opts.host ?? "127.0.0.1"
  const stopAll = async () => {
    await extensions.stop()
    await audit.settled()
    workspace.close()
    forwarding?.close()
    sharing.close()
    server.close()
    tlsServer?.close()
    for (const client of wss.clients) client.terminate()
    wss.close()
    // A failing disk gets one more attempt per write, not retries: what is unsaved was
    // never acknowledged, and the peers that sent it push it again to the next relay.
    await stopStorage()
    server.closeAllConnections()
    tlsServer?.closeAllConnections()
  }
  try {
    await extensions.start(ctx)
    // The server adapter attaches asynchronously; a client accepted earlier would be ignored.
    while (!adapter.peerId) await new Promise(resolve => setImmediate(resolve))
    await listen(server, opts.port ?? 0, host)
    if (tlsServer) await listen(tlsServer, opts.tls!.port, opts.tls!.host)
  } catch (error) {
    // Port in use or no such address: stop everything started so far, so the process can exit.
    await stopAll()
    throw error
  }
  if (!opened.existedBefore) log(`created workspace ${opening.workspaceId} in ${paths.dir}`)
  const port = portOf(server)
  const urlHost = hostInUrl(host)
  const trust = chosen.find((e): e is TrustOnboarding => e.name === "trust-onboarding" && "helperPort" in e)
  const tlsUrls = tlsServer && {
    httpsUrl: `https://${hostInUrl(opts.tls!.host)}:${portOf(tlsServer)}`,
    wssUrl: `wss://${hostInUrl(opts.tls!.host)}:${portOf(tlsServer)}`,
    ...(trust ? { trustHelperUrl: `http://${hostInUrl(opts.tls!.host)}:${trust.helperPort()}` } : {}),
  }
  debug("listening on %s:%d with %s", host, port, extensions.names().join(", "))

  let closing: Promise<void> | undefined
  return {
    host,
    port,
    httpUrl: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}`,
    ...tlsUrls,
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
    ...(upstreamAdapter ? { upstream: upstreamAdapter } : {}),
    ...(liveness ? { liveness } : {}),
    async decideAsOwner(peer, state) {
      const ownerAudit = await openOwnAuditLog(repo, workspace.root, owner)
      await decidePeer({ workspace, audit: ownerAudit, actor: { kind: "operator", name: owner.name } }, peer, state)
      await ownerAudit.settled()
    },
    close: () => (closing ??= stopAll()),
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => resolve())
  })
}

function portOf(server: Server): number {
  const address = server.address()
  return typeof address === "object" && address ? address.port : 0
}

function hostInUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host
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
