/**
 * What humans see for a peer. An operator's display name lives in the registration of its
 * key (`displayName`, as the operator gave it); the record's `name` is a slug that keys the
 * record and signs. A paired device (a terminal) shows its operator's name. Every view, the
 * CLI and the relay's notices ask here, so one person has one name everywhere.
 */
import type { PeerRecord, RootDoc } from "../../../schemas/index.ts"
import { LIMITS } from "../../../schemas/common.ts"

type Peers = Readonly<Record<string, Partial<PeerRecord>>>

/** The slug that keys a new operator's record for the name it gave ("Ada Lovelace" → "Ada-Lovelace"). */
export function peerNameFor(displayName: string): string {
  return (
    displayName
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^A-Za-z0-9_.-]+/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .replace(/-+$/, "")
      .slice(0, LIMITS.name) || "operator"
  )
}

/** A display name as given, trimmed and within the limit; empty when nothing is left. */
export function cleanDisplayName(text: string): string {
  return text.trim().replace(/\s+/g, " ").slice(0, LIMITS.name)
}

/** Two names are the same name when they differ only in case, spacing or accents' encoding. */
function comparable(name: string): string {
  return cleanDisplayName(name).normalize("NFKC").toLocaleLowerCase()
}

const recordOf = (peers: Peers, name: string) => (Object.hasOwn(peers, name) ? peers[name] : undefined)

/** What an operator's own record shows: its display name, else its name. */
function ownName(record: Partial<PeerRecord>, name: string): string {
  return record.displayName ?? record.name ?? name
}

/**
 * The operator (other than `except`) who already shows as `displayName`, if any: no two
 * operators share a name, or the name would no longer tell who did what.
 */
export function displayNameHolder(peers: Peers, displayName: string, except?: string): string | undefined {
  const wanted = comparable(displayName)
  for (const [name, record] of Object.entries(peers)) {
    if (name === except || !record || record.role !== "operator" || record.deviceOf !== undefined) continue
    if (comparable(ownName(record, name)) === wanted) return name
  }
  return undefined
}

/** Whether `record` is a device its operator has approved (only then does it carry that operator's name). */
function approvedDevice(record: Partial<PeerRecord>): record is Partial<PeerRecord> & { deviceOf: string } {
  return record.deviceOf !== undefined && record.state === "approved" && (record.decisions ?? []).some(d => d.state === "approved")
}

/** The operator a peer acts for: an approved device's operator, else the peer itself. */
export function personOf(root: Pick<RootDoc, "peers"> | undefined, peer: string): string {
  const record = root && recordOf(root.peers, peer)
  return record && approvedDevice(record) ? record.deviceOf : peer
}

export interface PeerLabel {
  /** What to show: the operator's display name, a worker's name, "Relay". */
  text: string
  /** What to show on hover: the ids behind the name. */
  title: string
  /** The person behind the peer (the operator of a device), for grouping. */
  person: string
  role: PeerRecord["role"] | "unknown"
  /** Set for a terminal paired with an operator: the terminal's own name. */
  device?: string
}

/** How a peer (or an actor of a record: `createdBy`, `decidedBy`, `by.name`) is shown. */
export function peerLabel(root: Pick<RootDoc, "peers"> | undefined, peer: string): PeerLabel {
  const peers = root?.peers ?? {}
  const record = recordOf(peers, peer)
  if (!record) return { text: peer, title: peer, person: peer, role: "unknown" }
  const role = record.role ?? "unknown"
  if (role === "relay") return { text: "Relay", title: `${peer} (the workspace's relay)`, person: peer, role }
  if (approvedDevice(record)) {
    const operator = record.deviceOf
    const owner = recordOf(peers, operator)
    const text = owner ? ownName(owner, operator) : operator
    return { text, title: `${operator} · terminal ${peer}`, person: operator, role, device: peer }
  }
  if (record.deviceOf !== undefined) {
    // Claimed but not (or no longer) approved: it carries no authority, so it is no one's name.
    const owner = recordOf(peers, record.deviceOf)
    const operator = owner ? ownName(owner, record.deviceOf) : record.deviceOf
    return { text: `${operator}'s terminal (${record.state === "revoked" ? "unpaired" : "not confirmed"})`, title: `${record.deviceOf} · terminal ${peer}`, person: peer, role, device: peer }
  }
  return { text: ownName(record, peer), title: `${peer}${role === "worker" ? " (worker)" : ""}`, person: peer, role }
}

/**
 * How a record about `peer` names it (a decision on it, a pairing): like peerLabel, except
 * that a terminal is its operator's terminal, not its operator.
 */
export function peerSubject(root: Pick<RootDoc, "peers"> | undefined, peer: string): PeerLabel {
  const label = peerLabel(root, peer)
  const approvedTerminal = label.device !== undefined && label.person !== peer
  return approvedTerminal ? { ...label, text: `${label.text}'s terminal` } : label
}

/** The name to show for `peer`. */
export function displayNameOf(root: Pick<RootDoc, "peers"> | undefined, peer: string): string {
  return peerLabel(root, peer).text
}
