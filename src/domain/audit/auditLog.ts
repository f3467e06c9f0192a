/**
 * The owner's side of a peer's audit log: appends signed, hash-chained entries to the
 * peer's own audit documents (one per period, src/domain/audit/segments.ts), each together
 * with a signed head that covers it, in the segment the entry goes into. An entry's strings
 * are stored as immutable values (one operation each); its hash is over the plain values,
 * so entries written either way chain alike.
 */
import type { DocHandle, Repo } from "@automerge/automerge-repo/slim"
import type { z } from "zod"
import { AuditKind as AuditKindSchema, LIMITS, SCHEMA_VERSION, type Actor, type AuditDoc, type AuditEntry } from "../../../schemas/index.ts"
import { readAuditEntries } from "../../workspace/documentReaders.ts"
import { storedValue, plainValue } from "../../workspace/storedValue.ts"
import { entryHash, signEntry, signHead } from "./audit.ts"
import { auditWriteSegment, type Segment } from "./segments.ts"

export type AuditKind = z.infer<typeof AuditKindSchema>

export interface AuditSigner {
  actor: Actor
  key: CryptoKey
}

/** A log by period: the segments the owner holds now, newest first, and how to open one. */
export interface AuditSegmentSource {
  list(): Segment[]
  open(url: string): Promise<DocHandle<AuditDoc>>
}

export interface AuditLogOptions {
  /** Clock for `at` (milliseconds since the epoch). */
  now?: () => number
  /** The log's segments; without them every entry goes into the log's first document. */
  segments?: AuditSegmentSource
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

/** Every entry of an audit document that parses, as plain values (none of its strings immutable). */
export function auditEntries(doc: unknown): AuditEntry[] {
  return readAuditEntries(doc, "audit", [])
}

/** An entry as written into a document: each string one immutable value. */
export function storedEntry(entry: AuditEntry): AuditEntry {
  const { prev, kind, subject, data, sig } = entry
  return { ...entry, actor: { ...entry.actor }, prev: storedValue(prev), kind: storedValue(kind) as AuditKind, subject: storedValue(subject), data: storedValue(data), sig: storedValue(sig) }
}

export class AuditLog {
  #tail: Promise<unknown> = Promise.resolve()
  /** Our own view of the chain's end and the segment holding it; tampering by others does not move it. */
  #last?: { seq: number; hash: string; url: string }
  readonly #now: () => number
  readonly #segments: AuditSegmentSource | undefined
  readonly #handles = new Map<string, DocHandle<AuditDoc>>()

  constructor(
    /** The log's first document (the registration's `auditUrl`). */
    readonly handle: DocHandle<AuditDoc>,
    readonly signer: AuditSigner,
    opts: AuditLogOptions = {},
  ) {
    this.#now = opts.now ?? Date.now
    this.#segments = opts.segments
    this.#handles.set(handle.url, handle)
  }

  /** A new, empty audit document for `peer`: its log's first document (its URL goes in the peer's record), or the segment of `period`. */
  static createAuditDoc(repo: Repo, peer: string, period?: string): DocHandle<AuditDoc> {
    return repo.create<AuditDoc>({ schemaVersion: SCHEMA_VERSION, kind: "audit", peer, ...(period ? { period } : {}), entries: [] })
  }

  /** Resolves when every append started so far has been written (for a clean shutdown). */
  settled(): Promise<void> {
    return this.#tail.then(() => {})
  }

  /** Every entry of the segments this log holds, oldest first, as plain values. */
  async entries(): Promise<AuditEntry[]> {
    const lists = await Promise.all([...this.#list()].reverse().map(async s => auditEntries((await this.#open(s.url)).doc())))
    return lists.flat()
  }

  /**
   * Appends one entry. Appends run one after another (a promise chain), so seq and prev
   * stay consistent however many are in flight. `data` is stored as JSON, cut to
   * LIMITS.auditData characters (a cut value is no longer valid JSON and ends with "…").
   * The segment's signed `head` moves to this entry in the same change, so no reader
   * ever sees one without the other.
   */
  append(kind: AuditKind, subject: string, data: Record<string, unknown>): Promise<AuditEntry> {
    const run = this.#tail.then(() => this.#append(kind, subject, data))
    this.#tail = run.catch(() => {})
    return run
  }

  async #append(kind: AuditKind, subject: string, data: Record<string, unknown>): Promise<AuditEntry> {
    const { actor, key } = this.signer
    const at = Math.max(0, Math.trunc(this.#now()))
    const last = await this.#lastOf()
    const target = await this.#open(auditWriteSegment(this.#list(), at, last?.url).url)
    const entry = await signEntry(
      {
        seq: last ? last.seq + 1 : 0,
        prev: last ? last.hash : "",
        at,
        actor: { kind: actor.kind, name: actor.name },
        kind: AuditKindSchema.parse(kind),
        subject: truncateText(subject, 200),
        data: truncateText(serialize(data), LIMITS.auditData),
      },
      key,
    )
    const hash = await entryHash(entry)
    const head = await signHead(actor.name, entry.seq, hash, key)
    target.change(d => {
      d.entries.push(storedEntry(entry))
      d.head = { seq: head.seq, hash: storedValue(head.hash), sig: storedValue(head.sig) }
    })
    this.#last = { seq: entry.seq, hash, url: target.url }
    return entry
  }

  #list(): Segment[] {
    return this.#segments?.list() ?? [{ url: this.handle.url }]
  }

  async #open(url: string): Promise<DocHandle<AuditDoc>> {
    let handle = this.#handles.get(url)
    if (!handle) this.#handles.set(url, (handle = await this.#segments!.open(url)))
    return handle
  }

  /**
   * The chain's end: remembered after our first append, before it read from the newest
   * segment holding an entry (walking back from the newest; a month's first append reads
   * the month before). The hash is over plain values, however the entry was stored.
   */
  async #lastOf(): Promise<{ seq: number; hash: string; url: string } | undefined> {
    if (this.#last) return this.#last
    for (const segment of this.#list()) {
      const entries = (await this.#open(segment.url)).doc().entries
      const last = entries[entries.length - 1]
      if (last) return { seq: last.seq, hash: await entryHash(plainValue(last)), url: segment.url }
    }
    return undefined
  }
}
