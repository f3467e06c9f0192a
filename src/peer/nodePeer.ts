/**
 * A Node peer of a running relay (CLI commands, workers, tests): asks the relay for the
 * workspace over HTTP, enrols its key (a no-op once registered), then syncs over a
 * WebSocket that proves the key.
 */
import { Repo, type AutomergeUrl, type DocHandle, type PeerId } from "@automerge/automerge-repo"
import { WebSocket } from "ws"
import { z } from "zod"
import { DocUrl, type RootDoc } from "../../schemas/index.ts"
import type { EnrolmentAnswer, PeerIdentity } from "../domain/peers/index.ts"
import { signHex } from "../core/signing.ts"
import { readRoot } from "../core/validate.ts"
import { ClosableStorageAdapter } from "./closableStorage.ts"
import { discardLocalCopy } from "./localCopy.ts"
import { enrolKey, httpBaseOf, RelayRequestError, type EnrolmentProfile } from "./enrolClient.ts"
import { RelayClientAdapter, type AuthFailure, type WebSocketConstructor } from "./relayClientAdapter.ts"
import { findDocument, flushReady, whenPeerHas } from "../workspace/sync.ts"
import { fileAnchorPins } from "./anchorPins.ts"
import { Workspace } from "../workspace/workspace.ts"

export class RelayError extends Error {
  override readonly name = "RelayError"
}

/** The key is registered but not approved yet: the workspace owner or an operator decides. */
export class PendingApprovalError extends RelayError {
  constructor(readonly peer: string) {
    super(`${peer} is waiting for approval in this workspace`)
  }
}

export interface PeerOptions {
  /** ws://host:port of the relay. */
  relay: string
  /** The join secret: enrols the key (HTTP only; connections prove the key). */
  token: string
  /** The key this peer speaks for. */
  identity: PeerIdentity
  /** What the registration says besides name, role and key (workers: hasLlmKey, concurrency, identities). */
  profile?: EnrolmentProfile
  /** Keep documents on disk here (workers); omit for a memory-only peer (CLI). */
  storageDir?: string
  /** Reconnect interval after the relay goes away. */
  retryMs?: number
  /** Retry interval after the relay refused the key (default 30 s). */
  authRetryMs?: number
  connectTimeoutMs?: number
  peerId?: string
  /** The relay's /api/workspace answer when the caller already asked (saves one round trip). */
  workspace?: WorkspaceAnswer
  /** Where this peer pins the workspace's authority anchors (next to its identity); omit to pin nothing. */
  anchorsDir?: string
}

/** A peer connected to the relay, approved or not: it reads the root and its own audit log. */
export interface RelayConnection {
  readonly repo: Repo
  readonly rootHandle: DocHandle<RootDoc>
  readonly rootUrl: AutomergeUrl
  readonly identity: PeerIdentity
  /** The registration as the relay answered the enrolment. */
  readonly enrolment: EnrolmentAnswer
  /** `refused` (a message the relay did not accept) and `auth-failed` notices. */
  readonly notices: RelayClientAdapter["notices"]
  readonly relayPeerId: () => PeerId | undefined
  /** The approval state of this peer's registration as this replica sees it now. */
  state(): EnrolmentAnswer["state"]
  /** Resolves once the registration is approved; rejects if it is revoked or `signal` aborts. */
  whenApproved(signal?: AbortSignal): Promise<void>
  /** The validated workspace view (needs approval: pending peers cannot read the queue). */
  openWorkspace(): Promise<Workspace>
  /** Waits until the relay holds every local change of every document this peer has open. */
  flushToRelay(timeoutMs?: number): Promise<void>
  /** Forgets this peer's copy of a document after the relay refused a change to it (localCopy.ts). */
  discardLocalCopy(documentId: string): Promise<void>
  close(): Promise<void>
}

/** An approved peer with its workspace open. */
export interface NodePeer extends RelayConnection {
  readonly workspace: Workspace
}

const WorkspaceAnswer = z.object({ rootUrl: DocUrl, workspaceId: z.string(), name: z.string() })
export type WorkspaceAnswer = z.infer<typeof WorkspaceAnswer>

export function relayHttpUrl(relay: string): string {
  const url = new URL(relay)
  if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new RelayError(`relay address must start with ws:// or wss://, got ${relay}`)
  return httpBaseOf(relay)
}

export async function fetchWorkspace(relay: string, token: string): Promise<WorkspaceAnswer> {
  const http = relayHttpUrl(relay)
  let res: Response
  try {
    res = await fetch(`${http}/api/workspace`, { headers: { Authorization: `Bearer ${token}` } })
  } catch (error) {
    throw new RelayError(`cannot reach the relay at ${http} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`)
  }
  if (res.status === 401) throw new RelayError(`the relay at ${http} refused the secret (401): check --token or VIVARIUM_TOKEN`)
  if (!res.ok) throw new RelayError(`the relay at ${http} answered ${res.status} to /api/workspace`)
  const parsed = WorkspaceAnswer.safeParse(await res.json())
  if (!parsed.success) throw new RelayError(`the relay at ${http} sent an unexpected workspace answer`)
  return parsed.data
}

/** Enrols `identity` (idempotent) and answers its registration. */
export async function enrolIdentity(relay: string, token: string, workspaceId: string, identity: PeerIdentity, profile: EnrolmentProfile = {}): Promise<EnrolmentAnswer> {
  if (identity.role === "relay") throw new RelayError("the relay's own key does not enrol")
  try {
    return await enrolKey(relayHttpUrl(relay), token, workspaceId, { ...identity, role: identity.role }, profile)
  } catch (error) {
    if (!(error instanceof RelayRequestError)) throw error
    if (error.status === 409) throw new RelayError(`${error.message} (this machine's key for ${identity.name} is not the one registered)`)
    throw new RelayError(`enrolment of ${identity.name} failed: ${error.message}`)
  }
}

/** Connects `opts.identity` to the relay, approved or not. */
export async function connectRelay(opts: PeerOptions): Promise<RelayConnection> {
  const { rootUrl: url, workspaceId } = opts.workspace ?? (await fetchWorkspace(opts.relay, opts.token))
  const rootUrl = url as AutomergeUrl
  const identity = opts.identity
  const enrolment = await enrolIdentity(opts.relay, opts.token, workspaceId, identity, opts.profile)
  if (enrolment.state === "revoked") throw new RelayError(`${identity.name} was revoked in this workspace; it cannot connect`)
  const relayUrl = new URL(opts.relay)
  relayUrl.search = ""
  const adapter = new RelayClientAdapter({
    url: relayUrl.toString(),
    workspaceId,
    signer: { peer: identity.name, sign: text => signHex(identity.key, text) },
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    retryMs: opts.retryMs ?? 1_000,
    ...(opts.authRetryMs !== undefined ? { authRetryMs: opts.authRetryMs } : {}),
  })
  // Loaded only for a peer with a disk (workers): a CLI command does without it.
  const storage = opts.storageDir
    ? new ClosableStorageAdapter(new (await import("@automerge/automerge-repo-storage-nodefs")).NodeFSStorageAdapter(opts.storageDir))
    : undefined
  const repo = new Repo({
    network: [adapter],
    ...(storage ? { storage } : {}),
    ...(opts.peerId ? { peerId: opts.peerId as PeerId } : {}),
  })
  const shutdown = async () => {
    await flushReady(repo)
    await repo.shutdown().catch(() => {})
    await storage?.close()
  }
  const timeoutMs = opts.connectTimeoutMs ?? 10_000
  let rootHandle: DocHandle<RootDoc>
  try {
    await new Promise<void>((resolve, reject) => {
      if (repo.peers.length) return resolve()
      const done = (error?: Error) => {
        clearTimeout(timer)
        repo.networkSubsystem.off("peer", onPeer)
        adapter.notices.off("auth-failed", onAuthFailed)
        if (error) reject(error)
        else resolve()
      }
      const onPeer = () => done()
      const onAuthFailed = (failure: AuthFailure) => done(new RelayError(`the relay refused the key of ${identity.name} (${failure.status}): ${failure.reason}`))
      const timer = setTimeout(() => done(new RelayError(`no sync connection to ${opts.relay} within ${timeoutMs} ms`)), timeoutMs)
      repo.networkSubsystem.on("peer", onPeer)
      adapter.notices.on("auth-failed", onAuthFailed)
    })
    rootHandle = await findDocument<RootDoc>(repo, rootUrl)
  } catch (error) {
    // Do not leave a Repo reconnecting in the background behind a failed connect.
    await shutdown()
    throw error
  }
  const state = () => readRoot(rootHandle.doc(), `root ${rootUrl}`, []).peers[identity.name]?.state ?? enrolment.state
  const relayPeerId = () => adapter.remotePeerId
  return {
    repo,
    rootHandle,
    rootUrl,
    identity,
    enrolment,
    notices: adapter.notices,
    relayPeerId,
    state,
    whenApproved: signal =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          const now = state()
          if (now === "pending") return
          stop()
          if (now === "approved") resolve()
          else reject(new RelayError(`${identity.name} was revoked in this workspace`))
        }
        const abort = () => {
          stop()
          reject(signal!.reason)
        }
        const stop = () => {
          rootHandle.off("change", check)
          signal?.removeEventListener("abort", abort)
        }
        rootHandle.on("change", check)
        signal?.addEventListener("abort", abort, { once: true })
        check()
      }),
    openWorkspace: () => Workspace.open(repo, rootUrl, opts.anchorsDir ? { anchors: fileAnchorPins(opts.anchorsDir) } : {}),
    async flushToRelay(timeout = 10_000) {
      // A peer that is reconnecting (a fresh key proof per attempt) gets the time it has left.
      const peer = relayPeerId() ?? (await whenConnected(repo, relayPeerId, timeout))
      // Every document this peer holds (root, queue, its audit log, …), not just the queue.
      const ready = Object.values(repo.handles).filter(h => h.isReady())
      await Promise.all(ready.map(h => whenPeerHas(repo, h, peer, timeout)))
    },
    discardLocalCopy: documentId => discardLocalCopy(repo, storage, documentId),
    close: shutdown,
  }
}

/** Resolves with the relay's peer id once the sync connection is up, or fails after `timeoutMs`. */
function whenConnected(repo: Repo, relayPeerId: () => PeerId | undefined, timeoutMs: number): Promise<PeerId> {
  return new Promise((resolve, reject) => {
    const onPeer = () => {
      const peer = relayPeerId()
      if (!peer) return
      clearTimeout(timer)
      repo.networkSubsystem.off("peer", onPeer)
      resolve(peer)
    }
    const timer = setTimeout(() => {
      repo.networkSubsystem.off("peer", onPeer)
      reject(new RelayError(`not connected to the relay (no connection within ${timeoutMs} ms)`))
    }, timeoutMs)
    repo.networkSubsystem.on("peer", onPeer)
    onPeer()
  })
}

/** Connects an approved peer and opens its workspace; a pending one gets PendingApprovalError. */
export async function connectPeer(opts: PeerOptions): Promise<NodePeer> {
  const connection = await connectRelay(opts)
  if (connection.state() !== "approved") {
    await connection.close()
    throw new PendingApprovalError(opts.identity.name)
  }
  let workspace: Workspace
  try {
    workspace = await connection.openWorkspace()
  } catch (error) {
    await connection.close()
    throw error
  }
  return {
    ...connection,
    workspace,
    async close() {
      workspace.close()
      await connection.close()
    },
  }
}
