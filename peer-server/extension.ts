/**
 * The relay is a small core (data dir, durable storage, Repo, workspace, HTTP server) and a
 * list of extensions, each one concern with named hooks. The core calls the hooks in list
 * order; an extension implements only the hooks its concern needs.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo"
import type { WebSocket } from "ws"
import type { AuditKind } from "../schemas/index.ts"
import type { AuditLog } from "../src/domain/audit/index.ts"
import type { PeerIdentity } from "../src/domain/peers/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import type { ActorBindings } from "./gate/actorBindings.ts"
import type { RelayMetrics } from "./metrics.ts"
import type { Principal } from "./principal.ts"
import type { StorageHealth } from "./storage/storageHealth.ts"
import type { LiveForwarding } from "./transport/liveForwarding.ts"
import type { ClosedConnection, MessageVerdict, RelayServerAdapter, RepoMessage } from "./transport/relayServerAdapter.ts"

export type { MessageVerdict }

/** What every extension may use once the workspace is open. */
export interface RelayContext {
  readonly repo: Repo
  readonly workspace: Workspace
  readonly rootUrl: AutomergeUrl
  readonly workspaceId: string
  /** The join secret (HTTP routes compare it; never logged). */
  readonly token: string
  /** The data directory (extensions keep their own files here). */
  readonly dataDir: string
  /** The relay's own audit log, signed with the relay's key. */
  readonly audit: AuditLog
  /** Appends to the relay's audit log without waiting; a failure is logged. */
  readonly auditLater: (kind: AuditKind, subject: string, data: Record<string, unknown>) => void
  readonly owner: PeerIdentity
  readonly adapter: RelayServerAdapter
  /** Live forwarding, unless the relay runs without it (transport/liveForwarding.ts). */
  readonly forwarding?: LiveForwarding
  /** Which peer each Automerge actor belongs to (the change gate's, shared with a follower's upstream connection). */
  readonly actorBindings: ActorBindings
  readonly storageHealth: StorageHealth
  readonly metrics: RelayMetrics
  readonly startedAt: number
  /** The ports the relay listens on (plain, and HTTPS with TLS); known once it listens, 0 before. */
  readonly ports: () => { http: number; https?: number }
  readonly log: (line: string) => void
}

export type UpgradeVerdict = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; reason: string }

export interface RelayExtension {
  /** Names the extension in logs and in `RelayOptions.extensions`. */
  readonly name: string
  /** Once the workspace is open, before the relay listens. A throw stops the start. */
  onStart?(ctx: RelayContext): void | Promise<void>
  /** A WebSocket upgrade: the first extension that has this hook decides who it speaks for. */
  onAuthenticate?(req: IncomingMessage): Promise<UpgradeVerdict>
  /** An authenticated socket, before it joins sync. */
  onConnect?(socket: WebSocket, principal: Principal): void
  /** Every repo message a peer sends, before the Repo sees it: the first refusal wins. */
  beforeMessage?(principal: Principal, message: RepoMessage): MessageVerdict | Promise<MessageVerdict>
  /** Awaited before each message to a peer (in per-peer order). */
  beforeSend?(message: RepoMessage): Promise<void>
  /** Whether a principal may receive a document: every extension with this hook must agree. */
  mayRead?(principal: Principal, documentId: string): boolean
  /** An HTTP request: return true when this extension answered it. */
  onRequest?(req: IncomingMessage, res: ServerResponse, path: string): boolean
  /** A connection the relay closed on its own (malformed, oversized, too fast). */
  onConnectionClosed?(closed: ClosedConnection): void
  /** The relay stops: called in reverse list order, after the listener closed. */
  onStop?(): void | Promise<void>
}

/** Calls the hooks of a list of extensions in order. */
export class ExtensionChain {
  readonly #list: readonly RelayExtension[]
  readonly #started: RelayExtension[] = []
  #log: (line: string) => void = () => {}

  constructor(list: readonly RelayExtension[]) {
    const seen = new Set<string>()
    for (const e of list) {
      if (seen.has(e.name)) throw new Error(`relay extension ${e.name} is listed twice`)
      seen.add(e.name)
    }
    this.#list = list
  }

  get started(): boolean {
    return this.#started.length === this.#list.length
  }

  names(): string[] {
    return this.#list.map(e => e.name)
  }

  /** Starts each extension in order; if one fails, stops those already started and rethrows. */
  async start(ctx: RelayContext): Promise<void> {
    this.#log = ctx.log
    for (const e of this.#list) {
      try {
        await e.onStart?.(ctx)
      } catch (error) {
        await this.stop()
        throw error
      }
      this.#started.push(e)
    }
  }

  async stop(): Promise<void> {
    while (this.#started.length) {
      const e = this.#started.pop()!
      try {
        await e.onStop?.()
      } catch (error) {
        this.#log(`${e.name} did not stop cleanly: ${(error as Error).message}`)
      }
    }
  }

  authenticate(req: IncomingMessage): Promise<UpgradeVerdict> {
    const auth = this.#list.find(e => e.onAuthenticate)
    if (!auth) return Promise.resolve({ ok: false, status: 401, reason: "this relay authenticates no connections" })
    return auth.onAuthenticate!(req)
  }

  connect(socket: WebSocket, principal: Principal): void {
    for (const e of this.#list) e.onConnect?.(socket, principal)
  }

  async beforeMessage(principal: Principal, message: RepoMessage): Promise<MessageVerdict> {
    if (!this.started) return { refuse: "the relay is still starting; send it again in a moment", retry: true }
    for (const e of this.#list) {
      if (!e.beforeMessage) continue
      const verdict = await e.beforeMessage(principal, message)
      if (verdict !== "accept") return verdict
    }
    return "accept"
  }

  async beforeSend(message: RepoMessage): Promise<void> {
    for (const e of this.#list) await e.beforeSend?.(message)
  }

  mayRead(principal: Principal, documentId: string): boolean {
    if (!this.started) return false
    return this.#list.every(e => !e.mayRead || e.mayRead(principal, documentId))
  }

  request(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    return this.#list.some(e => e.onRequest?.(req, res, path) ?? false)
  }

  connectionClosed(closed: ClosedConnection): void {
    for (const e of this.#list) e.onConnectionClosed?.(closed)
  }
}
