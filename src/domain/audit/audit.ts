/**
 * The tamper-evident audit log, pure part: how an entry is signed and hashed, and how a
 * reader checks one peer's log against the public key registered for that peer.
 *
 * Each peer appends only to its own audit document. Entry `seq` N carries `prev` = the
 * hash of entry N-1 ("" for seq 0) and an Ed25519 signature over `signingText(entry)`.
 * With every append the owner also signs a head, `head:<peer>:<seq>:<hash>`, and stores
 * it as `head` in the same audit document, in the same change as the entry it covers
 * (so a reader never holds an entry without its head or a head without its entry); it
 * lets a reader notice that the newest entries were removed, which a hash chain alone
 * cannot show.
 *
 * What this catches, for a log read from a CRDT that any peer can write: a changed field
 * (signature), a reordered, inserted or deleted entry (seq and prev), truncation below the
 * signed head, a fork (two entries on the same prev), an entry signed with any other key,
 * an entry claiming another actor, and a log for a peer nobody registered.
 *
 * Limits of this pure check, closed by src/domain/audit/auditVerify.ts from the audit
 * document's own history (Automerge keeps every change):
 * - Rollback: a writer who replaces `head` with an OLDER head that the owner really
 *   signed and truncates the log to that head produces a state that verifies here; the
 *   history still holds the newer head.
 * - Removing `head` altogether leaves only the hash chain, which cannot show a
 *   truncated tail (a missing head is accepted here: an empty log has none, nor does one
 *   written before heads were stored in the audit document).
 * A writer who replaces the whole document (a new audit URL in the registry) escapes both:
 * that is the registry's protection (signed registrations, the relay's gate).
 * - Signed texts do not name the workspace: a peer that uses one key in two workspaces
 *   could have a log copied from one into the other. Use one key per workspace.
 * - Trust in the registry: whoever can rewrite `root.peers[peer].publicKey` or `auditUrl`
 *   decides which key and which document are checked. Protecting the registry itself
 *   (operator approval, signed registrations) is outside this module.
 */
import type { AuditEntry, SignedHead } from "../../../schemas/index.ts"
import { sha256Hex, signHex, verifyHex } from "../../core/signing.ts"

/** The owner's signed statement "my log's entry `seq` has hash `hash`" (schemas/audit.ts). */
export type { SignedHead }

export type UnsignedAuditEntry = Omit<AuditEntry, "sig">

export type ChainReport =
  | { peer: string; ok: true; entries: number }
  | { ok: false; peer: string; seq: number; reason: string; entries: number }

/**
 * Canonical JSON of an entry without its signature, keys in a fixed order:
 * seq, prev, at, actor{kind,name}, kind, subject, data. Extra fields are ignored.
 */
export function signingText(entry: UnsignedAuditEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    prev: entry.prev,
    at: entry.at,
    actor: { kind: entry.actor.kind, name: entry.actor.name },
    kind: entry.kind,
    subject: entry.subject,
    data: entry.data,
  })
}

/** SHA-256 (hex) of the signed entry: signingText followed by the signature. */
export function entryHash(entry: AuditEntry): Promise<string> {
  return sha256Hex(signingText(entry) + entry.sig)
}

export async function signEntry(unsigned: UnsignedAuditEntry, key: CryptoKey): Promise<AuditEntry> {
  const entry = {
    seq: unsigned.seq,
    prev: unsigned.prev,
    at: unsigned.at,
    actor: { kind: unsigned.actor.kind, name: unsigned.actor.name },
    kind: unsigned.kind,
    subject: unsigned.subject,
    data: unsigned.data,
  }
  return { ...entry, sig: await signHex(key, signingText(entry)) }
}

/** The text the owner signs for its head. */
export function headText(peer: string, seq: number, hash: string): string {
  return `head:${peer}:${seq}:${hash}`
}

export async function signHead(peer: string, seq: number, hash: string, key: CryptoKey): Promise<SignedHead> {
  return { seq, hash, sig: await signHex(key, headText(peer, seq, hash)) }
}

/** Where a stretch of the chain starts: the seq and prev its first entry must carry. */
export interface ChainStart {
  seq: number
  prev: string
}

/** The start of a whole log: seq 0, no previous entry. */
export const LOG_START: ChainStart = { seq: 0, prev: "" }

/**
 * Checks one stretch of a peer's log (a whole log, or one segment), in document order, and
 * names the FIRST bad entry. `start` is what its first entry must carry (default the start
 * of a log); a segment checked on its own may start where it says (`"own"`), its link to the
 * segment before it being checked by whoever holds both. `seq` in a failure is the chain
 * position where verification stopped (the seq the entry there should have); the reason
 * names what was found. Per entry, in this order: actor name, signature (against the
 * registered key), fork (a prev already used by an earlier entry), seq continuity, prev
 * hash. Then the signed head, if given: its signature, and that the stretch holds entry
 * `head.seq` with hash `head.hash` (entries beyond the head are accepted: each is still
 * checked against the owner's key, and the head only guards against truncation).
 */
export async function verifyAuditChain(
  peer: string,
  entries: readonly AuditEntry[],
  publicKeyHex: string | undefined,
  head?: SignedHead,
  /** The peer's key at an entry's time, when its key was rotated (default: `publicKeyHex` throughout). */
  keyAt?: (at: number) => string,
  start: ChainStart | "own" = LOG_START,
): Promise<ChainReport> {
  const count = entries.length
  const from = start === "own" ? { seq: entries[0]?.seq ?? 0, prev: entries[0]?.prev ?? "" } : start
  const fail = (i: number, reason: string): ChainReport => ({ ok: false, peer, seq: from.seq + i, reason, entries: count })
  if (publicKeyHex === undefined) return fail(0, "peer not registered")

  const hashes: string[] = []
  const prevOwner = new Map<string, number>()
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!
    const seq = from.seq + i
    if (entry.actor.name !== peer)
      return fail(i, `entry at seq ${entry.seq} claims actor "${entry.actor.name}" in the log of "${peer}"`)
    if (!(await verifyHex(keyAt?.(entry.at) ?? publicKeyHex, signingText(entry), entry.sig)))
      return fail(i, `bad signature on entry at seq ${entry.seq} (changed, or not signed by ${peer}'s registered key)`)
    const earlier = prevOwner.get(entry.prev)
    if (earlier !== undefined) return fail(i, `fork: entries at seq ${earlier} and ${entry.seq} share prev`)
    prevOwner.set(entry.prev, entry.seq)
    if (entry.seq !== seq)
      return fail(i, entry.seq > seq ? `seq gap: expected seq ${seq}, found ${entry.seq} (entry missing or out of order)` : `out of order: expected seq ${seq}, found ${entry.seq}`)
    const expectedPrev = i === 0 ? from.prev : hashes[i - 1]!
    if (entry.prev !== expectedPrev) return fail(i, `prev of seq ${seq} does not match the hash of seq ${seq - 1}`)
    hashes.push(await entryHash(entry))
  }

  if (head) {
    const at = head.seq - from.seq
    if (!(await verifyHex(publicKeyHex, headText(peer, head.seq, head.hash), head.sig)))
      return fail(at, `signed head (seq ${head.seq}) has a bad signature`)
    if (at >= count)
      return fail(count, `truncated: the signed head is at seq ${head.seq} but the log ends ${count ? `at seq ${from.seq + count - 1}` : "empty"}`)
    if (hashes[at] !== head.hash) return fail(at, `entry at seq ${head.seq} does not match the signed head`)
  }
  return { peer, ok: true, entries: count }
}
