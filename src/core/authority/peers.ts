/**
 * Who may change the root document: the workspace's identity, its document map, its
 * authority anchors, the peer registry and the runtime controls.
 *
 * - kind, schemaVersion, workspaceId, name, createdAt, docs and authority: the relay only
 *   (it creates the workspace, adds documents and archives, and pins the anchors).
 * - A peer record is added by the relay at enrolment and never deleted; its identity
 *   (name, role, publicKey, auditUrl, registeredAt) never changes through a peer's write
 *   (a key rotation is its own signed record: see authorizeKeyRotation).
 * - A peer updates its own liveness fields; operators approve or revoke workers, the owner
 *   approves or revokes operators.
 * - Controls (kill switch, spend cap, budgets, model, review policy): operators and the owner.
 */
import type { PeerRecord, RuntimeControls } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../principal.ts"
import { ALLOWED, changedFields, isSelf, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "./verdict.ts"

/** Root fields only the relay writes; a peer's change to any of them is refused. */
export const RELAY_ONLY_ROOT_FIELDS = ["kind", "schemaVersion", "workspaceId", "name", "createdAt", "docs", "authority"] as const

/** What a peer refreshes about itself (worker heartbeats, a browser operator's display name). */
export const LIVENESS_FIELDS = ["lastSeen", "hasLlmKey", "concurrency", "identities", "displayName"] as const
const DECISION_FIELDS = ["state", "decidedBy", "decidedAt"] as const
/** Fields that say who a peer is: written at enrolment only. */
export const IDENTITY_FIELDS = ["name", "role", "publicKey", "auditUrl", "registeredAt"] as const

/** A root field other than peers and controls (`field` names it; values are not looked at). */
export function authorizeRootFieldChange(field: string, who: Principal): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if ((RELAY_ONLY_ROOT_FIELDS as readonly string[]).includes(field)) return refused(`root.${field} is written by the relay only`)
  return refused(`root.${field} is not a field of the root document`)
}

export function authorizePeerChange(before: PeerRecord | undefined, after: PeerRecord | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  if (after && after.name !== ctx.key) return refused(`peer record ${after.name} is stored under the key ${ctx.key}: a peer's key must be its name`)
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return refused(`peer ${ctx.key} cannot be deleted: registrations are permanent (revoke the peer instead)`)
  if (!before) return refused(`peer ${after.name} cannot be registered by a peer's write: the relay enrols peers`)
  const changed = changedFields(before, after)
  const identity = changed.filter(f => (IDENTITY_FIELDS as readonly string[]).includes(f))
  if (identity.length) {
    if (identity.length === 1 && identity[0] === "publicKey") return authorizeKeyRotation(before, after, who)
    return refused(`peer ${after.name}: ${identity.join(", ")} never change after enrolment`)
  }
  const decision = changed.filter(f => (DECISION_FIELDS as readonly string[]).includes(f))
  if (decision.length) {
    const verdict = authorizePeerDecision(before, after, who, ctx)
    if (!verdict.ok) return verdict
  }
  const liveness = changed.filter(f => (LIVENESS_FIELDS as readonly string[]).includes(f))
  if (liveness.length && after.name !== who.peer) return refused(`peer ${after.name}: only ${after.name} itself writes its ${liveness.join(", ")}`)
  const other = changed.filter(f => !(DECISION_FIELDS as readonly string[]).includes(f) && !(LIVENESS_FIELDS as readonly string[]).includes(f))
  if (other.length) return refused(`peer ${after.name}: ${other.join(", ")} is not a field a peer writes`)
  return ALLOWED
}

/** Operators approve and revoke workers; the owner approves and revokes operators. */
function authorizePeerDecision(before: PeerRecord, after: PeerRecord, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  if (before.role === "relay") return refused(`the relay's record is not decided by anyone`)
  if (before.role === "operator" && who.role !== "owner") return refused(`peer ${after.name} is an operator: only the owner approves or revokes operators`)
  if (!isOperator(who)) return refused(`${who.peer} is a worker: only operators approve or revoke workers`)
  if (after.name === who.peer) return refused(`${who.peer} cannot decide about itself`)
  if (after.state === "pending") return refused(`peer ${after.name}: a decision approves or revokes, it does not make a peer pending again`)
  if (after.decidedBy === undefined || !isSelf(after.decidedBy, who)) return refused(`peer ${after.name}: the decision must name ${who.peer} as decidedBy`)
  return ALLOWED
}

/**
 * Key rotation: a peer's new public key. Refused until rotation records exist; the signed
 * rotation (by the old key or the owner) is checked here when they do.
 */
export function authorizeKeyRotation(before: PeerRecord, _after: PeerRecord, _who: Principal): AuthorityVerdict {
  return refused(`peer ${before.name}: its public key cannot be replaced by a document write (a key rotation is a signed record)`)
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
