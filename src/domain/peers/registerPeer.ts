/**
 * Peer registrations in the workspace root: name, role, public key and audit document.
 * The relay is their only writer (`writePeerRecord`, on enrolment); a peer finds its own
 * record and audit log afterwards (`openOwnAuditLog`). Shared by Node peers (key on disk)
 * and the PWA (key in IndexedDB).
 */
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { AuditDoc, PeerRecord, RootDoc } from "../../../schemas/index.ts"
import { AuditLog, type AuditLogOptions } from "../audit/auditLog.ts"
import { auditSegments } from "../audit/segments.ts"

export interface PeerIdentity {
  name: string
  role: PeerRecord["role"]
  publicKeyHex: string
  /** Private signing key; never written to a document. */
  key: CryptoKey
}

export class PeerNameTakenError extends Error {
  override readonly name = "PeerNameTakenError"
  constructor(readonly peer: string) {
    super(`the name ${peer} is registered with another key in this workspace; pick another name`)
  }
}

export class PeerNotEnrolledError extends Error {
  override readonly name = "PeerNotEnrolledError"
  constructor(readonly peer: string) {
    super(`${peer} is not registered in this workspace: enrol first (the relay writes the registration)`)
  }
}

export class AuditLogUnavailableError extends Error {
  override readonly name = "AuditLogUnavailableError"
  constructor(peer: string, url: string, cause: Error) {
    super(`the audit log of ${peer} (${url}) is neither stored here nor available from the relay: ${cause.message}`)
  }
}

/** What a new registration says besides its name, role and key. */
export type PeerRecordInput = Pick<PeerRecord, "name" | "role" | "publicKey" | "state"> &
  Partial<Pick<PeerRecord, "displayName" | "hasLlmKey" | "concurrency" | "identities" | "decidedBy" | "decidedAt" | "lastSeen">>

/**
 * Writes `root.peers[name]` with a new audit document, or returns the existing record when
 * the same key is already registered under that name. Only the relay calls this.
 */
export function writePeerRecord(repo: Repo, rootHandle: DocHandle<RootDoc>, input: PeerRecordInput, now = Date.now()): PeerRecord {
  const root = rootHandle.doc()
  const existing = Object.hasOwn(root.peers, input.name) ? root.peers[input.name] : undefined
  if (existing) {
    if (existing.publicKey !== input.publicKey) throw new PeerNameTakenError(input.name)
    return existing
  }
  const audit = AuditLog.createAuditDoc(repo, input.name)
  const record: PeerRecord = { ...withoutUndefined(input), registeredAt: now, auditUrl: audit.url }
  rootHandle.change((d: RootDoc) => {
    d.peers[input.name] = record
  })
  return record
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** `id`'s registration in `root`, after checking the name is registered with its key. */
export function ownRecord(root: RootDoc, id: Pick<PeerIdentity, "name" | "publicKeyHex">): PeerRecord {
  const record = Object.hasOwn(root.peers, id.name) ? root.peers[id.name] : undefined
  if (!record) throw new PeerNotEnrolledError(id.name)
  if (record.publicKey !== id.publicKeyHex) throw new PeerNameTakenError(id.name)
  return record
}

/**
 * The peer's own audit log, found through its registration (written by the relay at
 * enrolment). Give the root as a function to follow the segments the relay adds later
 * (src/domain/audit/segments.ts); a root given as a value fixes them at opening.
 */
export async function openOwnAuditLog(repo: Repo, root: RootDoc | (() => RootDoc), id: PeerIdentity, opts: { findTimeoutMs?: number } & AuditLogOptions = {}): Promise<AuditLog> {
  const { findTimeoutMs = 15_000, ...logOptions } = opts
  const rootNow = typeof root === "function" ? root : () => root
  const record = ownRecord(rootNow(), id)
  // A follower relay signs as a relay would; readers accept a system signature from the
  // anchored relay only, so nothing a mirror signs counts (it appends nothing anyway).
  const actor = { kind: id.role === "relay" || id.role === "mirror" ? ("system" as const) : id.role, name: id.name }
  const open = async (url: string) => {
    try {
      return await repo.find<AuditDoc>(url as AutomergeUrl, { signal: AbortSignal.timeout(findTimeoutMs) })
    } catch (error) {
      throw new AuditLogUnavailableError(id.name, url, error as Error)
    }
  }
  const segments = { list: () => auditSegments(rootNow().peers[id.name] ?? record), open }
  return new AuditLog(await open(record.auditUrl), { actor, key: id.key }, { ...logOptions, segments })
}
