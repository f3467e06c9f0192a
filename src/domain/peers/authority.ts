/**
 * Who may change the root document: the workspace's identity, its document map, its
 * authority anchors, the peer registry and the runtime controls.
 *
 * - kind, schemaVersion, workspaceId, name, createdAt, docs and authority: the relay only
 *   (it creates the workspace, adds documents and archives, and pins the anchors).
 * - A peer record is added by the relay at enrolment and never deleted; its identity
 *   (name, role, publicKey, auditUrl, registeredAt, and deviceOf, which the relay writes when
 *   an operator claims the device's pairing code) never changes through a peer's write (a key
 *   rotation is its own signed record: see authorizeKeyRotation).
 * - The segments of a peer's audit log (`auditSegments`) are listed by the relay only; the
 *   peer writes entries into them, nobody else (src/domain/audit/authority.ts).
 * - A peer updates its own liveness fields, its display name among them (no two operators
 *   share one); operators approve or revoke workers, the owner approves or revokes operators,
 *   an operator (or the owner) approves or revokes that operator's own devices.
 * - Controls (kill switch, spend cap, budgets, model, review policy): operators and the owner.
 */
import { MAX_PEER_DECISIONS, type PeerRecord, type RuntimeControls } from "../../../schemas/index.ts"
import { displayNameHolder } from "./names.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, same, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

/** Root fields only the relay writes; a peer's change to any of them is refused. */
export const RELAY_ONLY_ROOT_FIELDS = ["kind", "schemaVersion", "workspaceId", "name", "createdAt", "docs", "authority"] as const

/** What a peer refreshes about itself (worker heartbeats, a browser operator's display name). */
export const LIVENESS_FIELDS = ["lastSeen", "hasLlmKey", "concurrency", "identities", "displayName"] as const
const DECISION_FIELDS = ["state", "decidedBy", "decidedAt", "decisions"] as const
/** Fields that say who a peer is: written by the relay only. */
export const IDENTITY_FIELDS = ["name", "role", "publicKey", "auditUrl", "registeredAt", "deviceOf"] as const

/** A root field other than peers and controls (`field` names it; values are not looked at). */
export function authorizeRootFieldChange(field: string, who: Principal): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if ((RELAY_ONLY_ROOT_FIELDS as readonly string[]).includes(field)) return refused(`root.${field} is written by the relay only`)
  return refused(`root.${field} is not a field of the root document`)
}

/** The gate also gives the root as it stands (`doc`), for rules that look across records. */
type PeerContext = AuthorityContext & { doc?: Record<string, unknown> }

export function authorizePeerChange(before: PeerRecord | undefined, after: PeerRecord | undefined, who: Principal, ctx: PeerContext): AuthorityVerdict {
  if (after && after.name !== ctx.key) return refused(`peer record ${after.name} is stored under the key ${ctx.key}: a peer's key must be its name`)
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`peer ${ctx.key} cannot be deleted: registrations are permanent (revoke the peer instead)`)
  if (!before) return refused(`peer ${after.name} cannot be registered by a peer's write: the relay enrols peers`)
  const changed = changedFields(before, after)
  if (changed.includes("auditSegments")) return refused(`peer ${after.name}: the segments of its audit log are listed by the relay only`)
  const identity = changed.filter(f => (IDENTITY_FIELDS as readonly string[]).includes(f))
  if (identity.length) {
    if (identity.length === 1 && identity[0] === "publicKey") {
      const verdict = authorizeKeyRotation(before, after, who)
      if (!verdict.ok) return verdict
    } else return refused(`peer ${after.name}: ${identity.join(", ")} never change after enrolment`)
  } else if (changed.includes("rotations")) return refused(`peer ${after.name}: a key rotation replaces its public key (rotations and publicKey change together)`)
  const decision = changed.filter(f => (DECISION_FIELDS as readonly string[]).includes(f))
  if (decision.length) {
    const verdict = authorizePeerDecision(before, after, who, ctx)
    if (!verdict.ok) return verdict
  }
  const liveness = changed.filter(f => (LIVENESS_FIELDS as readonly string[]).includes(f))
  if (liveness.length && after.name !== who.peer) return refused(`peer ${after.name}: only ${after.name} itself writes its ${liveness.join(", ")}`)
  if (changed.includes("displayName") && after.displayName !== undefined) {
    const holder = displayNameHolder(peersOf(ctx.doc), after.displayName, after.name)
    if (holder) return refused(`the name "${after.displayName}" is taken by another operator (${holder}): pick another`)
  }
  const other = changed.filter(f => !(DECISION_FIELDS as readonly string[]).includes(f) && !(LIVENESS_FIELDS as readonly string[]).includes(f) && f !== "publicKey" && f !== "rotations")
  if (other.length) return refused(`peer ${after.name}: ${other.join(", ")} is not a field a peer writes`)
  return ALLOWED
}

/** The records in a raw root (the gate's copy), as far as a name check needs them. */
function peersOf(doc: Record<string, unknown> | undefined): Record<string, Partial<PeerRecord>> {
  const peers = doc?.peers
  return peers && typeof peers === "object" ? (peers as Record<string, Partial<PeerRecord>>) : {}
}

/** Operators approve and revoke workers; the owner approves and revokes operators; an operator its own devices. */
function authorizePeerDecision(before: PeerRecord, after: PeerRecord, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  if (before.role === "relay") return refused(`the relay's record is not decided by anyone`)
  if (before.deviceOf !== undefined) {
    if (who.peer !== before.deviceOf && who.role !== "owner") return refused(`peer ${after.name} is a device of ${before.deviceOf}: only ${before.deviceOf} or the owner approves or revokes it`)
  } else if (before.role === "operator" && who.role !== "owner") return refused(`peer ${after.name} is an operator: only the owner approves or revokes operators`)
  else if (before.role === "mirror" && who.role !== "owner") return refused(`peer ${after.name} is a follower relay: only the owner approves or revokes it`)
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators approve or revoke workers`)
  if (after.name === who.peer) return refused(`${who.peer} cannot decide about itself`)
  if (after.state === "pending") return refused(`peer ${after.name}: a decision approves or revokes, it does not make a peer pending again`)
  if (after.decidedBy === undefined || !isSelf(after.decidedBy, who)) return refused(`peer ${after.name}: the decision must name ${who.peer} as decidedBy`)
  return checkDecisionRecords(before, after, who)
}

/**
 * The signed decisions readers follow (src/core/authorityChain.ts): each new one is by the
 * deciding peer, for the key the record holds, and says what `state` now says; none is
 * changed or removed, except the oldest making way at the cap.
 */
function checkDecisionRecords(before: PeerRecord, after: PeerRecord, who: Principal): AuthorityVerdict {
  const was = before.decisions ?? []
  const now = after.decisions ?? []
  const kept = was.filter(d => now.some(n => same(n, d)))
  if (kept.length < was.length && (now.length < MAX_PEER_DECISIONS || !same(kept, was.slice(was.length - kept.length))))
    return refused(`peer ${after.name}: signed decisions are never changed or removed (only the oldest make way at ${MAX_PEER_DECISIONS})`)
  const added = now.filter(n => !was.some(d => same(n, d)))
  if (!added.length) return refused(`peer ${after.name}: a decision is recorded as a signed decision by ${who.peer}`)
  for (const d of added) {
    if (d.by !== who.peer) return refused(`peer ${after.name}: ${who.peer} cannot record a decision by ${d.by}`)
    if (d.publicKey !== before.publicKey) return refused(`peer ${after.name}: a decision is about the key the peer holds (${before.publicKey.slice(0, 12)}…), not ${d.publicKey.slice(0, 12)}…`)
  }
  const last = added.at(-1)!
  if (last.state !== after.state) return refused(`peer ${after.name}: the record says ${after.state} but the signed decision says ${last.state}`)
  return ALLOWED
}

/**
 * Key rotation: a peer's new public key comes with one new rotation record, from the old key
 * to the new one, by the peer itself (speaking with its old key) or by the owner. Readers
 * check the record's signature (src/core/authorityChain.ts).
 */
export function authorizeKeyRotation(before: PeerRecord, after: PeerRecord, who: Principal): AuthorityVerdict {
  const was = before.rotations ?? []
  const now = after.rotations ?? []
  const added = now.slice(was.length)
  if (now.length !== was.length + 1 || !same(now.slice(0, was.length), was))
    return refused(`peer ${before.name}: its public key is replaced only with one new signed rotation record appended (a key rotation is a signed record)`)
  const r = added[0]!
  if (r.from !== before.publicKey || r.to !== after.publicKey) return refused(`peer ${before.name}: the rotation must lead from its current key to the new one`)
  const self = who.peer === before.name && who.publicKeyHex === before.publicKey
  if (r.by !== who.peer || !(self || who.role === "owner")) return refused(`peer ${before.name}: only ${before.name} itself (with its current key) or the owner rotates its key`)
  return ALLOWED
}

export function authorizeControlsChange(before: RuntimeControls | undefined, after: RuntimeControls | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators change the runtime controls`)
  if (!before || !after) return refused("the runtime controls are never removed or replaced whole")
  if (changedFields(before, after).includes("killSwitch") && !isSelf(after.killSwitch.setBy, who))
    return refused(`the kill switch must name ${who.peer} as setBy, not ${after.killSwitch.setBy}`)
  return ALLOWED
}
