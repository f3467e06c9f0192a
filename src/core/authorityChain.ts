/**
 * The chain of authority: which key may sign for which role at which time, decided from
 * the root's anchors and the signed records in `root.peers` — never from a peer's `state`
 * or `role` fields alone, which any replica can rewrite.
 *
 *   owner, relay   the anchors (`root.authority`, pinned by each reader at first sight)
 *   operator       approved by a decision the owner signed
 *   device         a paired terminal of an operator: approved by a decision that operator (or
 *                  the owner) signed; valid only while its operator is, with an operator's rights
 *   worker         approved by a decision an operator (or the owner) valid at that time signed
 *   key rotation   signed by the old key or by the owner; later records use the new key
 *   revocation     signed by the same authority; ends validity from its time on
 *
 * A key is valid at time t when the last of its peer's valid decisions at or before t is an
 * approval; before its first decision it counts as approved if that decision is an approval
 * (a new peer may act before the approval reaches every replica). What fails is left out and
 * reported, never trusted.
 */
import type { KeyRotation, PeerDecision, PeerRecord, RootDoc, WorkspaceAuthority } from "../../schemas/index.ts"
import { deviceDecisionText, keyRotationText, peerDecisionText, verifyRecord } from "./signedRecords.ts"
import type { DataIssue } from "./validate.ts"

/** (A `mirror` is in no stage below: a follower relay holds no authority of its own.) */
export type AuthorityRole = "owner" | "relay" | "operator" | "worker" | "mirror"

interface KeySpan {
  key: string
  from: number
}

interface PeerAuthority {
  role: "operator" | "worker"
  /** The peer's keys over time, oldest first; each valid from `from` until the next one's. */
  keys: KeySpan[]
  /** Valid decisions, oldest first. */
  decisions: PeerDecision[]
  /** Residents the peer's own record says it plays (a worker may spend for these). */
  offers: readonly string[]
  /** For a paired device: the operator whose authority it carries. */
  deviceOf?: string
}

export class AuthorityChain {
  constructor(
    /** The anchors this reader trusts (its pinned ones when it has pinned any). */
    readonly anchors: WorkspaceAuthority | undefined,
    readonly peers: ReadonlyMap<string, PeerAuthority>,
    /** What did not verify: unsigned or forged decisions and rotations, changed anchors. */
    readonly issues: readonly DataIssue[],
    /** Changes whenever anything this chain was built from changes. */
    readonly fingerprint: string,
  ) {}

  /**
   * The key with which `peer` signs at time `at` if it then holds one of `roles`
   * (the owner counts as an operator); undefined if it holds none of them.
   */
  keyFor(peer: string, roles: readonly AuthorityRole[], at: number): string | undefined {
    const anchors = this.anchors
    if (anchors && (peer === anchors.owner.name || peer === anchors.relay.name)) {
      if (peer === anchors.owner.name && (roles.includes("owner") || roles.includes("operator"))) return anchors.owner.publicKey
      if (peer === anchors.relay.name && roles.includes("relay")) return anchors.relay.publicKey
      return undefined
    }
    const p = this.peers.get(peer)
    if (!p || !roles.includes(p.role) || !validAt(p.decisions, at)) return undefined
    // A device speaks for its operator: never longer than that operator may.
    if (p.deviceOf !== undefined && this.keyFor(p.deviceOf, ["operator"], at) === undefined) return undefined
    return keyAt(p.keys, at)
  }

  /** Residents `peer`'s record offers to play. */
  offers(peer: string): readonly string[] {
    return this.peers.get(peer)?.offers ?? []
  }
}

function validAt(decisions: readonly PeerDecision[], at: number): boolean {
  if (!decisions.length) return false
  let last: PeerDecision | undefined
  for (const d of decisions) if (d.at <= at) last = d
  return (last ?? decisions[0]!).state === "approved"
}

function keyAt(keys: readonly KeySpan[], at: number): string | undefined {
  let key: string | undefined
  for (const span of keys) if (span.from <= at || key === undefined) key = span.key
  return key
}

export function sameAnchors(a: WorkspaceAuthority, b: WorkspaceAuthority): boolean {
  return a.owner.name === b.owner.name && a.owner.publicKey === b.owner.publicKey && a.relay.name === b.relay.name && a.relay.publicKey === b.relay.publicKey
}

/** Everything the chain depends on, as one string (cheap to compare on each root change). */
export function authorityFingerprint(root: RootDoc, pinned: WorkspaceAuthority | undefined): string {
  const peers = Object.values(root.peers).map(p => [p.name, p.role, p.publicKey, p.state, p.decisions ?? [], p.rotations ?? [], p.identities ?? [], p.deviceOf ?? null])
  return JSON.stringify([root.authority ?? null, pinned ?? null, peers])
}

const byTime = <T extends { at: number }>(list: readonly T[]) => [...list].sort((a, b) => a.at - b.at)

/**
 * Builds the chain from a validated root. `pinned` are the anchors this reader saw first:
 * when the root's differ, the pinned ones stay in force and the difference is reported.
 */
export async function buildAuthorityChain(root: RootDoc, pinned?: WorkspaceAuthority, docLabel = "root"): Promise<AuthorityChain> {
  const issues: DataIssue[] = []
  const issue = (path: string, message: string) => issues.push({ doc: docLabel, path, message })
  const anchors = pinned ?? root.authority
  if (pinned && (!root.authority || !sameAnchors(pinned, root.authority)))
    issue("authority", "the workspace's authority anchors differ from the ones this peer pinned when it first joined: the pinned ones stay in force (someone rewrote the root, or this is another workspace)")
  if (!anchors && Object.values(root.peers).some(p => p.state === "approved" && p.role !== "relay"))
    issue("authority", "the workspace has no authority anchors (owner and relay keys): no approval, payment or role change can be verified")

  const records = Object.values(root.peers).filter(p => !anchors || (p.name !== anchors.owner.name && p.name !== anchors.relay.name))
  const peers = new Map<string, PeerAuthority>()
  const chain = new AuthorityChain(anchors, peers, issues, authorityFingerprint(root, pinned))
  // Operators first (their approvals need only the owner), then their devices (approved by
  // them), then workers (approved by operators or devices).
  const stages: [string, (p: PeerRecord) => boolean][] = [
    ["operator", p => p.role === "operator" && p.deviceOf === undefined],
    ["device", p => p.role === "operator" && p.deviceOf !== undefined],
    ["worker", p => p.role === "worker"],
  ]
  for (const [stage, member] of stages)
    await Promise.all(
      records.filter(member).map(async p => {
        if (stage === "device" && !deviceOfOperator(root, p, anchors)) {
          issue(`peers.${p.name}.deviceOf`, `${p.name} says it is a device of ${p.deviceOf}, which is not an operator of this workspace: it has no authority`)
          return
        }
        const authority = await peerAuthority(p, p.role === "worker" ? "worker" : "operator", chain, issue)
        if (authority) peers.set(p.name, authority)
      }),
    )
  for (const p of records)
    if (p.role === "relay" && p.state === "approved") issue(`peers.${p.name}`, `${p.name} claims the relay role but is not the workspace's relay: it has no authority`)
  return chain
}

/** A device's operator is an operator record that is no device itself (or the owner). */
function deviceOfOperator(root: RootDoc, device: PeerRecord, anchors: WorkspaceAuthority | undefined): boolean {
  const operator = device.deviceOf!
  if (operator === device.name) return false
  if (anchors?.owner.name === operator) return true
  const record = Object.hasOwn(root.peers, operator) ? root.peers[operator] : undefined
  return record?.role === "operator" && record.deviceOf === undefined
}

/** Who may decide on `p`, and over which text each decision is signed. */
function decisionRule(p: PeerRecord, role: "operator" | "worker"): { roles: (d: PeerDecision) => readonly AuthorityRole[]; text: (d: PeerDecision) => string; who: string } {
  const fields = (d: PeerDecision) => ({ publicKey: d.publicKey, state: d.state, decidedBy: d.by, decidedAt: d.at })
  const operator = p.deviceOf
  if (operator !== undefined)
    return {
      roles: d => (d.by === operator ? ["operator"] : ["owner"]),
      text: d => deviceDecisionText({ device: p.name, operator, ...fields(d) }),
      who: `${operator} (whose device it is) or the owner`,
    }
  return {
    roles: () => (role === "operator" ? ["owner"] : ["operator"]),
    text: d => peerDecisionText({ peer: p.name, role, ...fields(d) }),
    who: role === "operator" ? "the owner" : "an operator valid at that time",
  }
}

async function peerAuthority(
  p: PeerRecord,
  role: "operator" | "worker",
  chain: AuthorityChain,
  issue: (path: string, message: string) => void,
): Promise<PeerAuthority | undefined> {
  const base = `peers.${p.name}`
  const rule = decisionRule(p, role)
  const signed = await Promise.all(
    (p.decisions ?? []).map(async d => {
      const key = chain.keyFor(d.by, rule.roles(d), d.at)
      if (!key) return false
      return verifyRecord(key, rule.text(d), d.sig)
    }),
  )
  const decisions: PeerDecision[] = []
  ;(p.decisions ?? []).forEach((d, i) => {
    if (signed[i]) decisions.push(d)
    else issue(`${base}.decisions.${i}`, `the ${d.state === "approved" ? "approval" : "revocation"} of ${p.name} by ${d.by} is not signed by ${rule.who}: ignored`)
  })
  const sorted = byTime(decisions)
  const keys = await keyTimeline(p, sorted[0]?.publicKey, chain, issue)
  const current = keys[keys.length - 1]!.key
  if (current !== p.publicKey) issue(`${base}.publicKey`, `the key registered for ${p.name} is not the one its signed approvals and rotations lead to: records are checked against ${current.slice(0, 12)}…`)
  const kept = sorted.filter(d => {
    if (d.publicKey === keyAt(keys, d.at)) return true
    issue(`${base}.decisions`, `a decision on ${p.name} names a key it did not hold at that time: ignored`)
    return false
  })
  if (p.state === "approved" && !kept.length) issue(base, `${p.name} is marked approved without a valid signed approval: it has no ${role} authority`)
  return { role, keys, decisions: kept, offers: p.identities ?? [], ...(p.deviceOf !== undefined ? { deviceOf: p.deviceOf } : {}) }
}

/** The peer's keys over time: its first approved key, then each rotation signed by the old key or the owner. */
async function keyTimeline(p: PeerRecord, approvedKey: string | undefined, chain: AuthorityChain, issue: (path: string, message: string) => void): Promise<KeySpan[]> {
  const rotations = p.rotations ?? []
  const keys: KeySpan[] = [{ key: rotations[0]?.from ?? approvedKey ?? p.publicKey, from: 0 }]
  const ordered = byTime(rotations.map((r, i) => ({ ...r, i })))
  for (const r of ordered) {
    const ok = await rotationValid(p.name, r, keys[keys.length - 1]!.key, chain)
    if (!ok) {
      issue(`peers.${p.name}.rotations.${r.i}`, `the rotation of ${p.name}'s key at ${new Date(r.at).toISOString()} is signed neither by its old key nor by the owner: it and later rotations are ignored`)
      break
    }
    keys.push({ key: r.to, from: r.at })
  }
  return keys
}

async function rotationValid(peer: string, r: KeyRotation, current: string, chain: AuthorityChain): Promise<boolean> {
  if (r.from !== current) return false
  const signer = r.by === peer ? current : chain.keyFor(r.by, ["owner"], r.at)
  if (!signer) return false
  return verifyRecord(signer, keyRotationText({ peer, from: r.from, to: r.to, by: r.by, at: r.at }), r.sig)
}
