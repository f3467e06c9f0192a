/**
 * One browser's live connection to a workspace, free of Vue: the Repo (IndexedDB storage,
 * WebSocket to the relay), the validated Workspace view, this operator's signing identity
 * and audit log, presence, the count of local changes the relay has not acknowledged, and
 * the offline copy of every document the views read.
 * The Pinia store adapts its events into reactive state. Before a session exists the
 * browser enrols its operator key (`enrolBrowserOperator`) and waits for the owner's
 * approval (`waitForApproval`).
 */
import { Presence, type AutomergeUrl, type DocHandle, type Repo } from "@automerge/automerge-repo/slim"
import { EventEmitter } from "eventemitter3"
import { PeerName, type Actor, type RootDoc } from "../../../schemas/index.ts"
import { cleanDisplayName, displayNameHolder, type EnrolmentAnswer, openOwnAuditLog } from "../../domain/peers/index.ts"
import { generateSigningKey, importPrivateKey } from "../../core/signing.ts"
import { readRoot } from "../../core/validate.ts"
import { enrolKey, RelayRequestError } from "../../peer/enrolClient.ts"
import type { AuditLog } from "../../domain/audit/index.ts"
import type { OperatorContext } from "../../workspace/actionContext.ts"
import { peerHeads } from "../../workspace/sync.ts"
import { Workspace } from "../../workspace/workspace.ts"
import { browserAnchorPins, loadAckState, loadOfflineRecord, saveAckState, saveOperatorKey, type StoredOperatorKey } from "./localStore.ts"
import { OfflineCopy } from "./offlineCopy.ts"
import { countWaiting, type AckState } from "./pendingChanges.ts"
import type { RememberedWorkspace } from "./workspaceLink.ts"

/**
 * What each operator tells the others, never written to a document. Receivers show the name
 * registered for `name` (src/domain/peers/names.ts), never a name a peer announces.
 */
export interface PresenceInfo {
  [key: string]: unknown
  name: string
  /** What the operator has open: "task:ID", "quest:ID" or a view name (receivers show its title). */
  viewing: string
}

/** One channel carries the whole state, so any single message tells a peer everything. */
type PresenceState = { operator: PresenceInfo }

export interface OnlineOperator extends PresenceInfo {
  peerId: string
  lastSeenAt: number
}

export interface SessionEvents {
  /** Connection, pending-change count, identity or presence moved. */
  status: () => void
}

export class NotRegisteredError extends Error {
  override readonly name = "NotRegisteredError"
  constructor() {
    super("this browser's operator key cannot sign right now: actions are signed with your key")
  }
}

/**
 * Makes this browser an operator candidate: a new Ed25519 key (kept non-extractable in
 * IndexedDB, never replicated) enrolled under `name` with the relay, pending until the
 * workspace owner approves it.
 */
export async function enrolBrowserOperator(link: RememberedWorkspace, name: string, displayName: string): Promise<{ key: StoredOperatorKey; state: EnrolmentAnswer["state"] }> {
  const parsed = PeerName.safeParse(name)
  if (!parsed.success) throw new Error(`'${name}' cannot be an operator name: use letters, digits, '_', '.' or '-' (at most 80)`)
  const pair = await generateSigningKey()
  const key = await importPrivateKey(pair.privateKeyPkcs8)
  pair.privateKeyPkcs8.fill(0)
  const stored = { name: parsed.data, publicKeyHex: pair.publicKeyHex, key }
  const answer = await enrolKey(link.origin, link.token, link.workspaceId, { ...stored, role: "operator" }, { displayName: cleanDisplayName(displayName) || parsed.data })
  await saveOperatorKey(link.workspaceId, stored)
  return { key: stored, state: answer.state }
}

/** The approval of this browser's key as the relay answers it now; undefined while the relay is out of reach. */
export async function approvalState(link: RememberedWorkspace, operator: StoredOperatorKey): Promise<EnrolmentAnswer["state"] | undefined> {
  try {
    return (await enrolKey(link.origin, link.token, link.workspaceId, { ...operator, role: "operator" })).state
  } catch (error) {
    if (error instanceof RelayRequestError && error.status === 0) return undefined
    throw error
  }
}

/** Resolves once the relay is connected (a document this browser does not hold yet needs it). */
function whenConnected(repo: Repo): Promise<void> {
  if (repo.peers.length) return Promise.resolve()
  return new Promise(resolve => repo.networkSubsystem.once("peer", () => resolve()))
}

/**
 * Resolves with the decision on `name` once the root document (readable while pending)
 * shows one, connected to the relay, so the documents approval opens can be found at once.
 */
export async function waitForApproval(repo: Repo, link: RememberedWorkspace, name: string): Promise<"approved" | "revoked"> {
  await whenConnected(repo)
  const root = await repo.find<RootDoc>(link.rootUrl as AutomergeUrl)
  const decided = await new Promise<"approved" | "revoked">(resolve => {
    const check = () => {
      const state = readRoot(root.doc(), `root ${link.rootUrl}`, []).peers[name]?.state
      if (state !== "approved" && state !== "revoked") return
      root.off("change", check)
      resolve(state)
    }
    root.on("change", check)
    check()
  })
  await whenConnected(repo)
  return decided
}

export interface SessionOptions {
  /** How often the relay connection and unacknowledged changes are re-read. */
  recountMs?: number
  presenceHeartbeatMs?: number
}

export class BrowserSession extends EventEmitter<SessionEvents> {
  connected = false
  pendingChanges = 0
  operator?: { actor: Actor; audit: AuditLog }
  /** Why the stored operator key could not be used (shown to the operator). */
  operatorError?: string
  readonly presence: Presence<PresenceState, RootDoc>
  readonly offlineCopy: OfflineCopy
  #acks: AckState
  /** Each document's last count, and what it was counted from. */
  readonly #counted = new Map<string, { key: string; waiting: number }>()
  #recountTimer?: ReturnType<typeof setTimeout>
  /** The last write of the acknowledged heads; writes run one after another, newest last. */
  #saving: Promise<void> = Promise.resolve()
  #viewing = "dashboard"
  #presenceRefresh?: ReturnType<typeof setInterval>
  readonly #recountMs: number
  readonly #presenceHeartbeatMs: number
  readonly #listeners: (() => void)[] = []

  private constructor(
    readonly repo: Repo,
    readonly workspace: Workspace,
    readonly link: RememberedWorkspace,
    acks: AckState,
    offlineCopy: OfflineCopy,
    opts: SessionOptions,
  ) {
    super()
    this.#acks = acks
    this.offlineCopy = offlineCopy
    this.#recountMs = opts.recountMs ?? 150
    this.#presenceHeartbeatMs = opts.presenceHeartbeatMs ?? 2_000
    this.presence = new Presence<PresenceState, RootDoc>({ handle: workspace.rootHandle })
    this.#watch()
  }

  /** Opens the remembered workspace from IndexedDB at once; the relay catches up when reachable. */
  static async open(repo: Repo, link: RememberedWorkspace, operator: StoredOperatorKey, opts: SessionOptions = {}): Promise<BrowserSession> {
    const [workspace, acks, copied] = await Promise.all([
      Workspace.open(repo, link.rootUrl as AutomergeUrl, { anchors: browserAnchorPins }),
      loadAckState(link.workspaceId),
      loadOfflineRecord(link.workspaceId),
    ])
    // The offline copy is started by the app once its first live view is painted (it loads every document).
    const session = new BrowserSession(repo, workspace, link, acks, new OfflineCopy(repo, workspace, link.workspaceId, copied), opts)
    // A key whose audit log cannot be opened must not keep the whole app from starting.
    await session.#useKey(operator).catch((error: Error) => (session.operatorError = error.message))
    session.#startPresence()
    return session
  }

  async #useKey(operator: StoredOperatorKey): Promise<void> {
    const { name } = operator
    const audit = await openOwnAuditLog(this.repo, () => this.workspace.root, { ...operator, role: "operator" })
    this.operator = { actor: { kind: "operator", name }, audit }
    this.emit("status")
  }

  /** Renames this operator in its registration: everything that shows it (and its terminals) follows. */
  setDisplayName(displayName: string, name = this.operator?.actor.name): void {
    if (!name) throw new NotRegisteredError()
    const text = cleanDisplayName(displayName)
    if (!text) throw new Error("the display name is empty")
    const holder = displayNameHolder(this.workspace.root.peers, text, name)
    if (holder) throw new Error(`the name "${text}" is taken by another operator: pick another`)
    this.workspace.rootHandle.change((d: RootDoc) => {
      const peer = d.peers[name]
      if (peer) peer.displayName = text
    })
    this.emit("status")
  }

  /** Everything an operator action needs; throws NotRegisteredError before registration. */
  context(): OperatorContext {
    if (!this.operator) throw new NotRegisteredError()
    return { workspace: this.workspace, audit: this.operator.audit, actor: this.operator.actor }
  }

  /** Tells the other operators what this one has open. */
  setViewing(viewing: string): void {
    this.#viewing = viewing
    this.#announce()
  }

  onlineOperators(): OnlineOperator[] {
    const states = this.presence.running ? Object.values(this.presence.getPeerStates().value) : []
    return states
      .filter(s => typeof s.value?.operator?.name === "string")
      .map(s => ({ ...s.value.operator, peerId: s.peerId, lastSeenAt: s.lastSeenAt }))
  }

  /**
   * A document's handle, ready, or unavailable when neither IndexedDB nor the relay holds it
   * now (it turns ready by itself once it arrives: the Repo asks again at each connection).
   */
  find<T>(url: string): Promise<DocHandle<T>> {
    return this.repo.find<T>(url as AutomergeUrl, { allowableStates: ["ready", "unavailable"] })
  }

  close(): void {
    clearTimeout(this.#recountTimer)
    clearInterval(this.#presenceRefresh)
    if (this.presence.running) this.presence.stop()
    for (const off of this.#listeners) off()
    this.offlineCopy.close()
    this.workspace.close()
  }

  #presenceInfo(): PresenceInfo | undefined {
    if (!this.operator) return undefined
    return { name: this.operator.actor.name, viewing: this.#viewing }
  }

  #announce(): void {
    const info = this.#presenceInfo()
    if (info && this.presence.running) this.presence.broadcast("operator", info)
  }

  #startPresence(): void {
    const info = this.#presenceInfo()
    if (!info) return
    if (this.presence.running) this.presence.stop()
    this.presence.start({ initialState: { operator: info }, heartbeatMs: this.#presenceHeartbeatMs, peerTtlMs: this.#presenceHeartbeatMs * 3 })
    // A peer that first hears our heartbeat (no state) while our snapshot was lost in a join
    // race would never learn who we are: resend the state instead of bare heartbeats.
    clearInterval(this.#presenceRefresh)
    this.#presenceRefresh = setInterval(() => this.#announce(), this.#presenceHeartbeatMs)
  }

  #watch(): void {
    const schedule = () => {
      if (this.#recountTimer === undefined) this.#recountTimer = setTimeout(() => this.#recount(), this.#recountMs)
    }
    const onDocument = ({ handle }: { handle: DocHandle<unknown> }) => handle.on("heads-changed", schedule)
    for (const handle of Object.values(this.repo.handles)) handle.on("heads-changed", schedule)
    this.repo.on("document", onDocument)
    this.repo.synchronizer.on("sync-state", schedule)
    this.repo.networkSubsystem.on("peer", schedule)
    this.repo.networkSubsystem.on("peer-disconnected", schedule)
    const onPresence = () => this.emit("status")
    for (const event of ["update", "snapshot", "goodbye", "pruning"] as const) this.presence.on(event, onPresence)
    this.#listeners.push(
      () => this.repo.off("document", onDocument),
      () => this.repo.synchronizer.off("sync-state", schedule),
      () => this.repo.networkSubsystem.off("peer", schedule),
      () => this.repo.networkSubsystem.off("peer-disconnected", schedule),
      () => this.presence.removeAllListeners(),
    )
    schedule()
  }

  /**
   * Counts this device's changes the relay has not acknowledged (pendingChanges.ts): only
   * ready documents, only changes made here, only those the relay's sync state does not show
   * it holds. What the relay acknowledged and which actors are this device's are saved at
   * once, so the count survives an offline reload.
   */
  #recount(): void {
    this.#recountTimer = undefined
    const relay = this.repo.peers[0]
    const wasConnected = this.connected
    this.connected = relay !== undefined
    let pending = 0
    let moved = false
    for (const handle of Object.values(this.repo.handles)) {
      if (!handle.isReady()) continue
      const heads = handle.heads()
      const relayHeads = relay ? peerHeads(this.repo, handle, relay) : undefined
      // Reading a long history's change metadata costs: count again only when something moved.
      const keyOf = () => `${heads.join()}|${relayHeads?.join() ?? ""}|${this.#acks.acked[handle.url]?.join() ?? ""}`
      const known = this.#counted.get(handle.url)
      if (known?.key === keyOf()) {
        pending += known.waiting
        continue
      }
      const counted = countWaiting(this.#acks, { url: handle.url, doc: handle.doc(), heads, relayHeads })
      this.#counted.set(handle.url, { key: keyOf(), waiting: counted.waiting })
      pending += counted.waiting
      moved ||= counted.moved
    }
    const changed = pending !== this.pendingChanges || wasConnected !== this.connected
    this.pendingChanges = pending
    // Written at once (the count is already debounced): a reload right after the relay
    // acknowledged must not count those changes as waiting again.
    if (moved) {
      const snapshot = { acked: { ...this.#acks.acked }, actors: { ...this.#acks.actors } }
      this.#saving = this.#saving.then(() => saveAckState(this.link.workspaceId, snapshot)).catch(() => undefined)
    }
    if (changed) this.emit("status")
  }
}
