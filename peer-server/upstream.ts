/**
 * A follower relay: a relay that is also a client of an upstream (primary) relay, over the
 * same authenticated sync protocol a worker uses, so a second site or a standby machine holds
 * the whole workspace and peers may use either relay.
 *
 * - It has its own key (DATA/mirror-identity), enrolled upstream with the role `mirror`; only
 *   the owner approves it, and the chain of authority gives that role no key: it cannot
 *   approve, pay, or write as the system.
 * - Its Repo has two networks: its own peers (RelayServerAdapter) and the upstream
 *   (`UpstreamAdapter`). It replicates every document of the workspace (`followerCopy`) and
 *   forwards what its peers write once its own gate accepted it; before those changes it says
 *   upstream whose each actor is (`vivarium-actors`), and the upstream judges each change as
 *   that peer (gate/changeGate.ts). What arrives from upstream was accepted there.
 * - Only the primary runs the system actor (scheduler, economy, archiver): the follower runs
 *   sync, storage, key auth (for keys registered upstream), the gates, health and the panel.
 *   While the primary is away its peers go on reading and writing; the Repo sends what it
 *   holds when the connection is back.
 */
import { join } from "node:path"
import { randomUUID } from "node:crypto"
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo"
import type { Message } from "@automerge/automerge-repo/slim"
import { WebSocket } from "ws"
import type { RootDoc } from "../schemas/index.ts"
import { signHex } from "../src/core/signing.ts"
import type { PeerIdentity } from "../src/domain/peers/index.ts"
import { fileAnchorPins } from "../src/peer/anchorPins.ts"
import { enrolIdentity, fetchWorkspace, RelayError, type WorkspaceAnswer } from "../src/peer/nodePeer.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { RelayClientAdapter, socketAddress, type WebSocketConstructor } from "../src/peer/relayClientAdapter.ts"
import { readRoot } from "../src/core/validate.ts"
import { Workspace } from "../src/workspace/workspace.ts"
import { rootDocuments, walkWorkspace } from "../src/workspace/workspaceDocuments.ts"
import { readWorkspacePointer, writeWorkspacePointer, type DataDirPaths, type WorkspacePointer } from "./dataDir.ts"
import type { RelayExtension } from "./extension.ts"
import { actorsMessages, type ActorBindings } from "./gate/actorBindings.ts"
import { isRead, sendJson } from "./http.ts"

export interface FollowOptions {
  /** ws:// or wss:// address of the upstream relay (no secret in it: see `token`). */
  url: string
  /** The workspace's join secret: enrols this follower's key upstream (HTTP only). */
  token: string
  /** The follower's peer name upstream, on its first start (default mirror-<random>). */
  name?: string
  /** Wait before reconnecting to the upstream (default 1 s). */
  retryMs?: number
}

/** The upstream relay's side of a follower: its key, the workspace, and whether it answered. */
export interface Upstream {
  readonly identity: PeerIdentity
  readonly pointer: WorkspacePointer
  /** The upstream's answer at start, or undefined when it was out of reach (the follower serves what it holds). */
  readonly reached?: WorkspaceAnswer
}

/**
 * Finds the workspace upstream and enrols this follower's key (a pending `mirror` until the
 * owner approves it). With the upstream out of reach, a follower that already holds the
 * workspace starts from its own copy.
 */
export async function reachUpstream(paths: DataDirPaths, follow: FollowOptions, log: (line: string) => void): Promise<Upstream> {
  const identity = await loadOrCreateIdentity(join(paths.dir, "mirror-identity"), follow.name ?? `mirror-${randomUUID().slice(0, 8)}`, "mirror")
  const held = readWorkspacePointer(paths)
  let reached: WorkspaceAnswer
  try {
    reached = await fetchWorkspace(follow.url, follow.token)
  } catch (error) {
    if (!held || !(error instanceof RelayError)) throw error
    log(`upstream ${socketAddress(follow.url)} is out of reach (${error.message}); serving this follower's copy until it is back`)
    return { identity, pointer: held }
  }
  if (held && held.workspaceId !== reached.workspaceId)
    throw new Error(`this data directory follows workspace ${held.workspaceId}, but ${socketAddress(follow.url)} serves ${reached.workspaceId}: use another --data`)
  const pointer = held ?? { rootUrl: reached.rootUrl, workspaceId: reached.workspaceId, createdAt: Date.now() }
  if (!held) writeWorkspacePointer(paths, pointer)
  const enrolment = await enrolIdentity(follow.url, follow.token, reached.workspaceId, identity)
  if (enrolment.state === "revoked") throw new Error(`follower ${identity.name} was revoked upstream; it cannot follow this workspace`)
  return { identity, pointer, reached }
}

/**
 * The follower's connection to its upstream: a peer's client adapter that also says whose
 * each actor is. On every connection it declares every binding its gate holds (before the
 * Repo's first sync message, which waits for the `peer-candidate` this listens to first), and
 * then each new binding as the gate makes it, which is before the change it covers goes up.
 * It takes on the upstream's bindings the same way (those it did not make itself), so its
 * gate refuses an actor of a peer of the primary from its own peers too.
 */
export class UpstreamAdapter extends RelayClientAdapter {
  readonly #stopListening: () => void
  #adopting = false

  constructor(follow: FollowOptions, workspaceId: string, identity: PeerIdentity, bindings: ActorBindings, log: (line: string) => void) {
    super({
      url: follow.url,
      workspaceId,
      signer: { peer: identity.name, sign: text => signHex(identity.key, text) },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      retryMs: follow.retryMs ?? 1_000,
    })
    // What the upstream refuses stays on this follower only: the operator must hear of it.
    this.notices.on("refused", notice => log(`upstream refused a change${notice.documentId ? ` to ${notice.documentId}` : ""}${notice.retry ? " for now" : ""}: ${notice.reason}`))
    this.notices.on("auth-failed", failure => log(`upstream refused this follower's key (${failure.status}): ${failure.reason}`))
    this.on("peer-candidate", () => this.#declare(bindings.all()))
    this.#stopListening = bindings.onBound(added => {
      if (!this.#adopting) this.#declare(added)
    })
    this.notices.on("actors", actors => {
      const byPeer = new Map<string, string[]>()
      for (const [actor, peer] of Object.entries(actors)) (byPeer.get(peer) ?? byPeer.set(peer, []).get(peer)!).push(actor)
      this.#adopting = true
      try {
        for (const [peer, own] of byPeer) bindings.bind(own, peer)
      } finally {
        this.#adopting = false
      }
    })
  }

  override disconnect(): void {
    this.#stopListening()
    super.disconnect()
  }

  #declare(bindings: ReadonlyMap<string, string>): void {
    const target = this.remotePeerId
    if (!target || !bindings.size) return
    for (const message of actorsMessages(bindings, this.peerId!, target)) this.send(message as unknown as Message)
  }
}

/**
 * Opens the followed workspace: the root from disk or from upstream, then, once the owner
 * approved this follower (a pending one reads only the root), the validated workspace.
 */
export async function openFollowedWorkspace(repo: Repo, paths: DataDirPaths, upstream: Upstream, adapter: UpstreamAdapter, log: (line: string) => void): Promise<Workspace> {
  const rootUrl = upstream.pointer.rootUrl as AutomergeUrl
  const { identity } = upstream
  // A first start holds nothing: ask once the upstream connection is up.
  if (upstream.reached && !adapter.remotePeerId) await new Promise<void>(resolve => adapter.once("peer-candidate", () => resolve()))
  const rootHandle = await repo.find<RootDoc>(rootUrl)
  await new Promise<void>((resolve, reject) => {
    let told = false
    const check = () => {
      const state = readRoot(rootHandle.doc(), `root ${rootUrl}`, []).peers[identity.name]?.state
      if (state === "pending" && !told) {
        told = true
        log(`waiting for the owner to approve follower ${identity.name}: vivarium operator approve ${identity.name} next to the primary's data directory`)
      }
      if (state === "pending" || (state === undefined && upstream.reached)) return
      rootHandle.off("change", check)
      if (state === "revoked") reject(new Error(`follower ${identity.name} was revoked upstream`))
      else resolve()
    }
    rootHandle.on("change", check)
    check()
  })
  return Workspace.open(repo, rootUrl, { anchors: fileAnchorPins(paths.dir) })
}

/**
 * Keeps a copy of every document of the workspace (the archives too): walks the workspace
 * at start and again whenever the documents the root names or an index changes, so
 * documents created anywhere are fetched, and so kept in sync, by the follower (the root's
 * other changes, heartbeats among them, walk nothing). Answers GET /api/upstream.
 */
export function followerCopy(follow: FollowOptions, adapter: () => UpstreamAdapter | undefined): RelayExtension {
  let stopped = false
  let walking: Promise<void> | undefined
  let again = false
  const watched = new Set<DocHandle<unknown>>()
  let onChange = () => {}
  let onRootChange = () => {}
  let root: DocHandle<RootDoc> | undefined
  return {
    name: "follower-copy",
    onStart(ctx) {
      const walk = async (): Promise<void> => {
        const result = await walkWorkspace(ctx.repo, ctx.workspace.root, {
          archives: true,
          onFound: (doc, handle) => {
            if ((doc.kind === "rooms" || doc.kind === "quests" || doc.kind === "identities") && !watched.has(handle)) {
              watched.add(handle)
              handle.on("change", onChange)
            }
          },
        })
        if (result.missing.length) ctx.log(`follower: ${result.missing.length} documents not found upstream yet (first: ${result.missing[0]!.kind} ${result.missing[0]!.url})`)
      }
      onChange = () => {
        if (stopped) return
        if (walking) return void (again = true)
        walking = walk()
          .catch(error => ctx.log(`follower: walking the workspace failed: ${(error as Error).message}`))
          .finally(() => {
            walking = undefined
            if (again) {
              again = false
              onChange()
            }
          })
      }
      let named = ""
      onRootChange = () => {
        const now = JSON.stringify(rootDocuments(ctx.workspace.root, { archives: true }))
        if (now === named) return
        named = now
        onChange()
      }
      root = ctx.workspace.rootHandle
      root.on("change", onRootChange)
      onRootChange()
    },
    onRequest(req, res, path) {
      if (path !== "/api/upstream" || !isRead(req)) return false
      const upstream = adapter()
      sendJson(res, 200, { following: socketAddress(follow.url), connected: !!upstream?.remotePeerId })
      return true
    },
    onStop() {
      // A walk still finding documents ends with the Repo's shutdown.
      stopped = true
      root?.off("change", onRootChange)
      for (const handle of watched) handle.off("change", onChange)
    },
  }
}
