/**
 * The owner's side of a peer's audit log: appends signed, hash-chained entries to the
 * peer's own audit document, each together with a signed head that covers it.
 */
import type { DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { z } from "zod"
import { AuditKind as AuditKindSchema, LIMITS, SCHEMA_VERSION, type Actor, type AuditDoc, type AuditEntry } from "../../../schemas/index.ts"
import { entryHash, signEntry, signHead } from "./audit.ts"

export type AuditKind = z.infer<typeof AuditKindSchema>

export interface AuditSigner {
  actor: Actor
  key: CryptoKey
}

export interface AuditLogOptions {
  /** Clock for `at` (milliseconds since the epoch). */
  now?: () => number
}

/** Cuts `text` to at most `max` UTF-16 units, marking the cut, never splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text
  let end = max - 1
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}

function serialize(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data) ?? "null"
  } catch (error) {
    return JSON.stringify({ unserializable: String((error as Error).message ?? error) })
  }
}

export class AuditLog {
  #tail: Promise<unknown> = Promise.resolve()
  /** Our own view of the chain's end; tampering by others does not move it. */
  #last?: { seq: number; hash: string }
  readonly #now: () => number

  constructor(
    readonly handle: DocHandle<AuditDoc>,
    readonly signer: AuditSigner,
    opts: AuditLogOptions = {},
  ) {
    this.#now = opts.now ?? Date.now
  }

  /** A new, empty audit document for `peer` (put its URL in the peer's record). */
  static createAuditDoc(repo: Repo, peer: string): DocHandle<AuditDoc> {
    return repo.create<AuditDoc>({ schemaVersion: SCHEMA_VERSION, kind: "audit", peer, entries: [] })
  }

  /** Resolves when every append started so far has been written (for a clean shutdown). */
  settled(): Promise<void> {
    return this.#tail.then(() => {})
  }

  /**
   * Appends one entry. Appends run one after another (a promise chain), so seq and prev
   * stay consistent however many are in flight. `data` is stored as JSON, cut to
   * LIMITS.auditData characters (a cut value is no longer valid JSON and ends with "…").
   * The document's signed `head` moves to this entry in the same change, so no reader
   * ever sees one without the other.
   */
  append(kind: AuditKind, subject: string, data: Record<string, unknown>): Promise<AuditEntry> {
    const run = this.#tail.then(() => this.#append(kind, subject, data))
    this.#tail = run.catch(() => {})
    return run
  }

  async #append(kind: AuditKind, subject: string, data: Record<string, unknown>): Promise<AuditEntry> {
    const { actor, key } = this.signer
    const last = await this.#lastOf()
    const entry = await signEntry(
      {
        seq: last ? last.seq + 1 : 0,
        prev: last ? last.hash : "",
        at: Math.max(0, Math.trunc(this.#now())),
        actor: { kind: actor.kind, name: actor.name },
        kind: AuditKindSchema.parse(kind),
        subject: truncateText(subject, 200),
        data: truncateText(serialize(data), LIMITS.auditData),
      },
      key,
    )
    const hash = await entryHash(entry)
    const head = await signHead(actor.name, entry.seq, hash, key)
    this.handle.change(d => {
      d.entries.push(entry)
      d.head = head
    })
    this.#last = { seq: entry.seq, hash }
    return entry
  }

  /** The chain's end: remembered after our first append, read from the document before it. */
  async #lastOf(): Promise<{ seq: number; hash: string } | undefined> {
    if (this.#last) return this.#last
    const entries = this.handle.doc().entries
    const last = entries[entries.length - 1]
    if (!last) return undefined
    return { seq: last.seq, hash: await entryHash(last) }
  }
}
