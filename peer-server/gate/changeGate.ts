/**
 * Validate before apply: the relay judges every change a peer sends before its Repo sees
 * it. For one sync message it decodes the changes, checks that each change's actor belongs
 * to the sending principal, applies them to a working copy of the relay's current document
 * (the low-level backend, kept between messages: shadows.ts), reads
 * from the patches which records changed, and asks each record's schema, size limit and
 * authority rule (src/domain/<concept>/authority.ts, through src/core/authority/documents.ts) whether this principal may make that change. The
 * relay's own writes never pass through here. Nothing in here throws at a caller: hostile
 * bytes are refused with a reason.
 *
 * A follower relay (principal role `mirror`) forwards its own peers' changes: each is judged
 * as the peer its actor was declared for (ActorBindings), never as the mirror, which has no
 * authority of its own; an actor bound to another peer, or one the mirror did not declare,
 * is refused. A message that carries several peers' changes is judged one run of the same
 * author at a time, in causal order.
 */
import * as A from "@automerge/automerge"
import { type AutomergeUrl, type DocHandle, type Repo, parseAutomergeUrl } from "@automerge/automerge-repo"
import type { z } from "zod"
import { DOCUMENT_LIMITS, DOCUMENT_SCHEMAS, MAX_CHANGE_BYTES_PER_MESSAGE, type AuditEntry, type DocumentKind, type QueueDoc, type RunRef, type SignedHead } from "../../schemas/index.ts"
import { authorizeAuditChange } from "../../src/domain/audit/index.ts"
import { DOCUMENT_RULES, type DocumentContext, type FieldRule, type RecordField, type ShardedField } from "../../src/core/authority/documents.ts"
import { authorizeQuestChange } from "../../src/domain/quests/index.ts"
import { canonicalJson, same, type AuthorityVerdict } from "../../src/core/authority/verdict.ts"
import { isOperator, type Principal } from "../../src/core/principal.ts"
import { readResidentLeases } from "../../src/workspace/documentReaders.ts"
import { principalFor } from "../transport/connectionAuth.ts"
import { decodeSyncMessageOnce, type DecodedSyncMessage } from "../transport/syncMessages.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import type { MessageVerdict, RelayExtension } from "../extension.ts"
import type { StorageHealth } from "../storage/storageHealth.ts"
import { ActorBindings } from "./actorBindings.ts"
import { Shadows, type Backend } from "./shadows.ts"

/** The change gate accepts or refuses; it never drops a change silently. */
export type GateVerdict = Exclude<MessageVerdict, "drop">

export interface ChangeGateOptions {
  repo: Repo
  workspace: Workspace
  rootUrl: AutomergeUrl
  dataDir: string
  /** The relay's actor bindings (one instance per data directory); by default read from `dataDir`. */
  bindings?: ActorBindings
  /** One line per refusal: peer, document, path and reason. */
  log: (line: string) => void
  now?: () => number
}

/** How long a check waits for the relay to apply the changes the gate accepted before it. */
const SETTLE_MS = 10_000

/** Kinds a role may create as new documents (rooms for DMs, quests, journals of new residents, artifacts). */
const CREATABLE_BY_OPERATORS: ReadonlySet<DocumentKind> = new Set(["room", "quest", "journal", "artifact"])
/** A worker makes the artifacts of the tasks it runs (each judged by its versions' rule). */
const CREATABLE_BY_WORKERS: ReadonlySet<DocumentKind> = new Set(["artifact"])

type Patch = ReturnType<Backend["diffIncremental"]>[number]
type Raw = Record<string, unknown>

/** A refusal with the document path it concerns. */
class Refusal extends Error {
  constructor(
    readonly path: string,
    reason: string,
    /** For now only: the sender offers the message again in a new sync session. */
    readonly retry = false,
  ) {
    super(reason)
  }
}

function fail(path: string, verdict: AuthorityVerdict): void {
  if (!verdict.ok) throw new Refusal(path, verdict.reason)
}

const isRecord = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v)

export class ChangeGate {
  readonly #opts: ChangeGateOptions
  readonly #bindings: ActorBindings
  /** documentId → hashes of accepted changes the relay's copy does not show yet. */
  readonly #inFlight = new Map<string, Set<string>>()
  #holders?: { heads: string; map: ReadonlyMap<string, string> }
  /** Working copies of the documents peers write, kept between messages. */
  readonly #shadows = new Shadows()

  constructor(opts: ChangeGateOptions) {
    this.#opts = opts
    this.#bindings = opts.bindings ?? new ActorBindings(opts.dataDir)
  }

  /** Judges one sync message from `principal` for `documentId`; never throws. */
  async check(principal: Principal, documentId: string, syncMessage: Uint8Array): Promise<GateVerdict> {
    try {
      return await this.#check(principal, documentId, syncMessage)
    } catch (error) {
      const path = error instanceof Refusal ? error.path : ""
      const reason = error instanceof Refusal ? error.message : `the relay could not read this change (${(error as Error)?.message ?? String(error)})`
      const full = path ? `${path}: ${reason}` : reason
      this.#opts.log(`refused a change from ${principal.peer} (${principal.role}) to ${documentId}${path ? ` at ${path}` : ""}: ${reason}`)
      return error instanceof Refusal && error.retry ? { refuse: full, retry: true } : { refuse: full }
    }
  }

  /**
   * While the relay cannot write (its storage is failing), a sync message that only asks or
   * acknowledges passes and one that carries changes is refused for now (`retry`: the peer
   * offers it again later) with `reason`; bytes that are no sync message are refused for good.
   */
  async refuseIfChanges(principal: Principal, documentId: string, syncMessage: Uint8Array, reason: string): Promise<GateVerdict> {
    let changes: number
    try {
      changes = decodeSyncMessageOnce(syncMessage).changes.length
    } catch {
      changes = -1
    }
    if (changes === 0) return "accept"
    if (changes < 0) return this.check(principal, documentId, syncMessage)
    this.#opts.log(`refused a change from ${principal.peer} (${principal.role}) to ${documentId}: ${reason}`)
    return { refuse: reason, retry: true }
  }

  async #check(principal: Principal, documentId: string, bytes: Uint8Array): Promise<GateVerdict> {
    let message: DecodedSyncMessage
    try {
      message = decodeSyncMessageOnce(bytes)
    } catch {
      throw new Refusal("", "this is not an Automerge sync message")
    }
    const changes = message.changes
    if (!changes.length) return "accept"
    const size = changes.reduce((n, c) => n + c.byteLength, 0)
    if (size > MAX_CHANGE_BYTES_PER_MESSAGE) throw new Refusal("", `one message carries ${size} bytes of changes; the limit is ${MAX_CHANGE_BYTES_PER_MESSAGE}`)
    if (principal.role === "pending") throw new Refusal("", `${principal.peer} is not approved yet: a pending peer writes nothing`)
    await this.#settle(documentId)
    const handle = await this.#current(documentId)
    const base = (handle ? handle.doc() : A.init<Raw>()) as A.Doc<Raw>
    const backend = A.getBackend(base)
    const fork = this.#shadows.take(documentId, backend)
    let working = fork
    let authors: Principal[]
    let hashes: string[]
    let actors: string[]
    let kept = false
    try {
      const start = fork.getHeads()
      fork.updateDiffCursor()
      loadAll(fork, changes)
      // Changes whose dependencies the relay lacks (a sync round can skip one when a bloom
      // filter answers wrongly) wait in the document's queue, unapplied, as automerge-repo
      // keeps them. They are judged when their dependencies arrive: the working copy carries
      // the queue, so the message that completes them shows their effects in its patches.
      const raw = fork.getChanges(start)
      const fresh = raw.map(c => A.decodeChange(c))
      authors = fresh.map(c => this.#authorOf(principal, c))
      actors = fresh.map(c => c.actor)
      hashes = fresh.map(c => c.hash)
      const runs = authorRuns(raw, authors)
      if (runs.length === 1) this.#judge(runs[0]!.author, base, fork, fork.diffIncremental())
      else if (runs.length > 1) {
        // Several peers' changes (through a follower): judged run by run on a fresh copy of
        // the relay's document. Changes waiting for dependencies would be judged with the
        // message that completes them, on a copy that carries them; a fresh copy does not,
        // so such a message is taken only once nothing waits (the follower offers it again).
        if (fork.getMissingDeps().length) throw new Refusal("", "changes of several peers, some waiting for others: offer them again", true)
        working = backend.fork()
        this.#shadows.discard(fork)
        let before = base as Raw
        for (const run of runs) {
          working.updateDiffCursor()
          working.applyChanges(run.changes)
          this.#judge(run.author, before, working, working.diffIncremental())
          before = working.materialize("_root") as Raw
        }
        loadAll(working, changes)
      }
      this.#shadows.keep(documentId, working, backend)
      kept = true
    } finally {
      if (!kept) this.#shadows.discard(working)
    }
    if (!hashes.length) return "accept"
    for (const [i, actor] of actors.entries()) this.#bindings.bind([actor], authors[i]!.peer)
    const inFlight = this.#inFlight.get(documentId) ?? new Set<string>()
    for (const hash of hashes) inFlight.add(hash)
    this.#inFlight.set(documentId, inFlight)
    return "accept"
  }

  #judge(author: Principal, before: Raw, fork: Backend, patches: Patch[]): void {
    if (!Object.keys(before).length) this.#judgeCreation(author, fork)
    else this.#judgeUpdate(author, before, fork, patches)
  }

  /**
   * Whose change `c` is: the sender's own; or, through a follower relay, the peer the follower
   * declared its actor for, as that peer's registration stands now.
   */
  #authorOf(sender: Principal, c: A.DecodedChange): Principal {
    const bound = this.#bindings.ownerOf(c.actor)
    const change = `change ${c.hash.slice(0, 12)}`
    if (sender.role !== "mirror") {
      if (bound !== undefined && bound !== sender.peer) throw new Refusal("", `${change} is by actor ${c.actor}, which belongs to ${bound}, not ${sender.peer}`)
      return sender
    }
    const declared = this.#bindings.declaredBy(sender.peer, c.actor)
    if (declared === undefined) throw new Refusal("", `${change} came through follower relay ${sender.peer}, which did not say whose actor ${c.actor} is`)
    if (bound !== undefined && bound !== declared) throw new Refusal("", `${change} is by actor ${c.actor}, which belongs to ${bound}, not ${declared} (as follower relay ${sender.peer} says)`)
    if (declared === sender.peer) return sender
    const root = this.#opts.workspace.root
    const record = Object.hasOwn(root.peers, declared) ? root.peers[declared] : undefined
    const author = record && principalFor(root, declared, record.publicKey)
    if (!author?.ok) throw new Refusal("", `${change} came through follower relay ${sender.peer} for ${declared}, who may not write here (${author ? author.reason : "unknown peer"})`)
    if (author.principal.role === "pending") throw new Refusal("", `${declared} is not approved yet: a pending peer writes nothing`)
    return author.principal
  }

  /**
   * Waits (briefly) until the relay's copy holds the changes this gate accepted earlier for
   * the document: the Repo applies an accepted message after the gate returns, and a peer's
   * next message builds on it, so judging that one earlier would see missing dependencies.
   */
  async #settle(documentId: string): Promise<void> {
    const pending = this.#inFlight.get(documentId)
    const deadline = Date.now() + SETTLE_MS
    while (pending?.size) {
      const handle = this.#opts.repo.handles[documentId as keyof Repo["handles"]] as DocHandle<Raw> | undefined
      if (handle?.isReady()) {
        const backend = A.getBackend(handle.doc())
        for (const hash of pending) if (backend.getChangeByHash(hash)) pending.delete(hash)
      }
      if (!pending.size) break
      if (Date.now() > deadline) {
        // Accepted changes the relay never applied: the working copy holds them and the
        // relay's document does not, so the copy is no longer a copy.
        this.#shadows.drop(documentId)
        break
      }
      await new Promise<void>(resolve => {
        const done = () => {
          clearTimeout(timer)
          handle?.off("heads-changed", done)
          resolve()
        }
        const timer = setTimeout(done, 20)
        handle?.on("heads-changed", done)
      })
    }
    this.#inFlight.delete(documentId)
  }

  /** The relay's current copy of the document, or undefined when it does not hold one. */
  async #current(documentId: string): Promise<DocHandle<Raw> | undefined> {
    const { repo } = this.#opts
    const loaded = repo.handles[documentId as keyof typeof repo.handles] as DocHandle<Raw> | undefined
    if (loaded?.isReady()) return loaded
    if (loaded && !loaded.inState(["idle", "loading"])) return undefined
    try {
      const handle = await repo.find<Raw>(documentId as AutomergeUrl, { allowableStates: ["ready", "unavailable"], signal: AbortSignal.timeout(10_000) })
      return handle.isReady() ? handle : undefined
    } catch {
      return undefined
    }
  }

  /** A document the relay does not hold yet (or holds empty): who may create what, and how big. */
  #judgeCreation(principal: Principal, fork: Backend): void {
    const doc = fork.materialize("_root") as Raw
    if (!Object.keys(doc).length) return
    const kind = doc.kind
    if (typeof kind !== "string" || !(kind in DOCUMENT_SCHEMAS)) throw new Refusal("kind", `a new document must have a known kind, not ${JSON.stringify(kind)?.slice(0, 40)}`)
    const k = kind as DocumentKind
    const bytes = canonicalJson(doc).length
    if (bytes > DOCUMENT_LIMITS[k].createBytes) throw new Refusal("", `a new ${k} document of ${bytes} bytes is over the ${DOCUMENT_LIMITS[k].createBytes}-byte limit`)
    const parsed = DOCUMENT_SCHEMAS[k].safeParse(doc)
    if (!parsed.success) throw new Refusal(parsed.error.issues[0]?.path.join(".") ?? "", `a new ${k} document does not pass its schema: ${parsed.error.issues[0]?.message}`)
    if (principal.role === "pending") throw new Refusal("", `${principal.peer} is not approved yet: a pending peer writes nothing`)
    const creatable = isOperator(principal) ? CREATABLE_BY_OPERATORS : principal.role === "worker" ? CREATABLE_BY_WORKERS : new Set<DocumentKind>()
    if (!creatable.has(k))
      throw new Refusal(
        "kind",
        `${principal.peer} (${principal.role}) may not create a ${k} document: ${[...CREATABLE_BY_OPERATORS].join(", ")} documents are created by operators, ${[...CREATABLE_BY_WORKERS].join(", ")} by workers too, every other document by the relay`,
      )
    if (k === "quest") return fail("", authorizeQuestChange(undefined, parsed.data as never, principal))
    // Rooms, journals and artifacts: what they already hold is judged as if appended to an empty
    // one (an operator opens a DM and posts the first message in one batch).
    for (const [field, rule] of Object.entries(DOCUMENT_RULES[k].fields))
      if (rule.type === "list")
        for (const [index, element] of (doc[field] as unknown[]).entries())
          fail(`${field}.${index}`, rule.authorize(undefined, this.#parse(rule.schema, element, `${field}.${index}`, DOCUMENT_LIMITS[k].entryBytes), principal, this.#ctx(String(index), doc)))
  }

  #ctx(key: string, doc: Raw): DocumentContext & { key: string } {
    const workspace = this.#opts.workspace
    const root = workspace.root
    const holders = this.#residentHolders()
    return {
      key,
      doc,
      reviewEverything: root.controls.reviewEverything,
      residentHolder: resident => holders.get(resident),
      runWorker: run => this.#runWorker(run),
      taskTarget: taskId => {
        const task = this.#queuedTask(taskId)
        return task && { resident: task.targetIdentity === undefined ? undefined : String(task.targetIdentity) }
      },
    }
  }

  /** Task `taskId` as the relay's queue holds it. */
  #queuedTask(taskId: string): QueueDoc["tasks"][string] | undefined {
    const { repo, workspace } = this.#opts
    const { documentId } = parseAutomergeUrl(workspace.root.docs.queue as AutomergeUrl)
    const handle = repo.handles[documentId] as DocHandle<QueueDoc> | undefined
    return handle?.isReady() ? handle.doc().tasks[taskId] : undefined
  }

  /** Who ran task `run.taskId` under `run.leaseId`, by the relay's queue. */
  #runWorker(run: RunRef): string | undefined {
    const task = this.#queuedTask(run.taskId)
    if (!task) return undefined
    return task.executions.find(e => e.leaseId === run.leaseId)?.worker ?? (task.lease?.leaseId === run.leaseId ? task.lease.holder : undefined)
  }

  /** resident → the worker holding its lease, re-read only when the identities document moves. */
  #residentHolders(): ReadonlyMap<string, string> {
    const { repo, workspace } = this.#opts
    const { documentId } = parseAutomergeUrl(workspace.root.docs.identities as AutomergeUrl)
    const handle = repo.handles[documentId]
    if (!handle?.isReady()) return new Map()
    const heads = handle.heads().join(",")
    if (this.#holders?.heads !== heads)
      this.#holders = { heads, map: new Map([...readResidentLeases(handle.doc(), "identities", [])].map(([resident, lease]) => [resident, lease.holder])) }
    return this.#holders.map
  }

  #judgeUpdate(principal: Principal, before: Raw, fork: Backend, patches: Patch[]): void {
    const kind = before.kind
    if (typeof kind !== "string" || !(kind in DOCUMENT_RULES)) throw new Refusal("kind", "the relay does not know this document's kind, so it accepts no change to it")
    const k = kind as DocumentKind
    const rules = DOCUMENT_RULES[k]
    if (!patches.length) return
    if (rules.whole) {
      const after = fork.materialize("_root") as Raw
      const parsed = this.#parse(rules.whole.schema, after, "", DOCUMENT_LIMITS[k].entryBytes)
      fail("", rules.whole.authorize(rules.whole.schema.safeParse(before).data, parsed, principal, this.#ctx("", before)))
      return
    }
    const touched = new Map<string, Patch[]>()
    for (const p of patches) {
      const field = String(p.path[0] ?? "")
      if (!touched.has(field)) touched.set(field, [])
      touched.get(field)!.push(p)
    }
    if (rules.audit) return this.#judgeAudit(principal, before, fork, touched)
    for (const [field, fieldPatches] of touched) {
      const rule = rules.fields[field]
      if (!rule) throw new Refusal(field, `${field} is not a field of a ${k} document`)
      this.#judgeField(principal, k, field, rule, before, fork, fieldPatches)
    }
  }

  #judgeField(principal: Principal, kind: DocumentKind, field: string, rule: FieldRule, before: Raw, fork: Backend, patches: Patch[]): void {
    const limits = DOCUMENT_LIMITS[kind]
    const current = before[field]
    if (rule.type === "value") {
      const after = valueAt(fork, [field])
      const parse = (v: unknown) => (rule.schema ? rule.schema.safeParse(v).data : v)
      const parsed = rule.schema && after !== undefined ? this.#parse(rule.schema, after, field, limits.entryBytes) : after
      fail(field, rule.authorize(parse(current), parsed, principal, this.#ctx(field, before)))
      return
    }
    if (patches.some(p => p.path.length === 1) && current !== undefined) throw new Refusal(field, `${field} is never replaced whole`)
    const container = fork.getWithType("_root", field)
    const containerId = container && (container[0] === "map" || container[0] === "list") ? (container[1] as string) : undefined
    if (rule.type === "records") {
      if (!containerId || container![0] !== "map") throw new Refusal(field, `${field} must stay a map of records`)
      const keys = patches.some(p => p.path.length === 1) ? fork.keys(containerId) : [...new Set(patches.map(p => String(p.path[1])))]
      this.#judgeRecords(principal, kind, [field], rule, current, keys, before, fork, () => fork.keys(containerId).length)
      return
    }
    if (rule.type === "shards") {
      // The shards come with the document (or from the relay): a peer that made one
      // concurrently with another peer would lose one of them, with its records, in the merge.
      if (!containerId || container![0] !== "map" || !isRecord(current)) throw new Refusal(field, `${field} is made with the document: a peer only adds records inside its maps`)
      const whole = patches.find(p => p.path.length === 2)
      if (whole) throw new Refusal(`${field}.${String(whole.path[1])}`, `the maps of ${field} are made with the document: a peer never makes, replaces or deletes one, it only adds records inside them`)
      const shards = new Map<string, Set<string>>()
      for (const p of patches) {
        const shard = String(p.path[1])
        if (!shards.has(shard)) shards.set(shard, new Set())
        shards.get(shard)!.add(String(p.path[2]))
      }
      // A map's length is its number of keys: no list of every key is made to count them.
      const stored = () => fork.keys(containerId).reduce((n, shard) => n + fork.length(String(fork.getWithType(containerId, shard)?.[1])), 0)
      for (const [shard, keys] of shards)
        this.#judgeRecords(principal, kind, [field, shard], rule, current[shard], [...keys], before, fork, stored, record => {
          const belongs = rule.shardOf(record)
          return belongs === shard ? undefined : `this record belongs in ${field}.${belongs}, not ${field}.${shard}`
        })
      return
    }
    if (!containerId || container![0] !== "list") throw new Refusal(field, `${field} must stay a list`)
    const old = Array.isArray(current) ? current : []
    const delta = listDelta(old.length, patches, field)
    if (delta.rewritten !== undefined) {
      const was = rule.schema.safeParse(old[delta.rewritten]).data
      fail(`${field}.${delta.rewritten}`, rule.authorize(was, undefined, principal, this.#ctx(String(delta.rewritten), before)))
      throw new Refusal(`${field}.${delta.rewritten}`, `${field} is append-only: entry ${delta.rewritten} never changes`)
    }
    if (fork.length(containerId) > limits.entries) throw new Refusal(field, `a ${kind} document holds at most ${limits.entries} ${field}`)
    for (const index of delta.inserted) {
      const path = `${field}.${index}`
      const parsed = this.#parse(rule.schema, valueAt(fork, [field, index]), path, limits.entryBytes)
      fail(path, rule.authorize(undefined, parsed, principal, this.#ctx(String(index), before)))
    }
  }

  /**
   * The records `keys` of the map at `path` (as it was: `current`), each judged by `rule` on
   * its value before and after; `stored` counts the document's records against its limit when
   * one is added, `misplaced` says why a record does not belong in this map.
   */
  #judgeRecords(
    principal: Principal,
    kind: DocumentKind,
    path: readonly string[],
    rule: RecordField | ShardedField,
    current: unknown,
    keys: readonly string[],
    before: Raw,
    fork: Backend,
    stored: () => number,
    misplaced?: (record: unknown) => string | undefined,
  ): void {
    const limits = DOCUMENT_LIMITS[kind]
    const old = isRecord(current) ? current : {}
    const has = (key: string) => Object.prototype.hasOwnProperty.call(old, key)
    if (keys.some(key => !has(key)) && stored() > limits.entries) throw new Refusal(path.join("."), `a ${kind} document holds at most ${limits.entries} ${path.length > 1 ? `records in ${path[0]}` : path[0]}`)
    for (const key of keys) {
      const at = [...path, key].join(".")
      const after = valueAt(fork, [...path, key])
      const parsed = after === undefined ? undefined : this.#parse(rule.schema, after, at, limits.entryBytes)
      const wrong = parsed === undefined ? undefined : misplaced?.(parsed)
      if (wrong) throw new Refusal(at, wrong)
      fail(at, rule.authorize(has(key) ? rule.schema.safeParse(old[key]).data : undefined, parsed, principal, this.#ctx(key, before)))
    }
  }

  #judgeAudit(principal: Principal, before: Raw, fork: Backend, touched: Map<string, Patch[]>): void {
    const limits = DOCUMENT_LIMITS.audit
    for (const field of touched.keys())
      if (field !== "entries" && field !== "head") throw new Refusal(field, field in DOCUMENT_RULES.audit.fields ? `audit.${field} is fixed when the log is created` : `${field} is not a field of an audit document`)
    const old = Array.isArray(before.entries) ? before.entries : []
    const entryPatches = touched.get("entries") ?? []
    if (entryPatches.some(p => p.path.length === 1)) throw new Refusal("entries", "entries is never replaced whole")
    const delta = listDelta(old.length, entryPatches, "entries")
    const appended: AuditEntry[] = []
    if (delta.rewritten === undefined) {
      const sorted = [...delta.inserted].sort((a, b) => a - b)
      // Appends land after every existing entry, in order: anything else rewrites the log.
      if (sorted.some((index, i) => index !== old.length + i)) throw new Refusal("entries", "the audit log is append-only: new entries go at its end")
      if (old.length + sorted.length > limits.entries) throw new Refusal("entries", `an audit log holds at most ${limits.entries} entries`)
      const schema = DOCUMENT_RULES.audit.fields.entries!.schema as z.ZodType<AuditEntry>
      for (const index of sorted) appended.push(this.#parse(schema, valueAt(fork, ["entries", index]), `entries.${index}`, limits.entryBytes))
    }
    const headSchema = DOCUMENT_RULES.audit.fields.head!.schema as z.ZodType<SignedHead>
    const headAfter = touched.has("head") ? (valueAt(fork, ["head"]) === undefined ? undefined : this.#parse(headSchema, valueAt(fork, ["head"]), "head", limits.entryBytes)) : (before.head as SignedHead | undefined)
    const rewritten = delta.rewritten !== undefined ? { seq: delta.rewritten } : undefined
    // A segment's entries continue the seq of the segment before it; a first document's start at 0.
    const firstSeq = before.period === undefined ? 0 : (old[0] as { seq?: number } | undefined)?.seq
    fail("entries", authorizeAuditChange({ peer: String(before.peer), entriesBefore: old.length, firstSeq, appended, ...(rewritten ? { rewritten } : {}), headBefore: before.head as SignedHead | undefined, headAfter }, principal))
  }

  /** A record after the change: within its byte limit, valid, and with no field the schema does not know. */
  #parse<T>(schema: z.ZodType<T>, value: unknown, path: string, maxBytes: number): T {
    const bytes = Buffer.byteLength(canonicalJson(value))
    if (bytes > maxBytes) throw new Refusal(path, `this record is ${bytes} bytes; the limit is ${maxBytes}`)
    const parsed = schema.safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new Refusal([path, ...(issue?.path ?? []).map(String)].filter(Boolean).join("."), `does not pass the schema: ${issue?.message ?? "invalid"}`)
    }
    if (!same(parsed.data, value)) throw new Refusal(path, "this record has fields its schema does not know")
    return parsed.data
  }
}

/** Loads a message's change chunks (bundles or single changes) into a working copy. */
function loadAll(fork: Backend, chunks: readonly Uint8Array[]): void {
  for (const chunk of chunks)
    try {
      fork.loadIncremental(chunk)
    } catch {
      throw new Refusal("", "a change in this message is not a valid Automerge change")
    }
}

/** Consecutive changes by the same author, in the order given (causal). */
function authorRuns(changes: readonly Uint8Array[], authors: readonly Principal[]): { author: Principal; changes: Uint8Array[] }[] {
  const runs: { author: Principal; changes: Uint8Array[] }[] = []
  for (const [i, change] of changes.entries()) {
    const author = authors[i]!
    const last = runs.at(-1)
    if (last && last.author.peer === author.peer) last.changes.push(change)
    else runs.push({ author, changes: [change] })
  }
  return runs
}

/** The value at `path` in the fork, as plain data (text as a string); undefined when absent. */
function valueAt(fork: Backend, path: readonly (string | number)[]): unknown {
  let obj = "_root"
  for (const [i, segment] of path.entries()) {
    const got = fork.getWithType(obj, segment)
    if (!got) return undefined
    const [type, value] = got as [string, unknown]
    const last = i === path.length - 1
    if (type === "map" || type === "list") {
      if (last) return fork.materialize(value as string)
      obj = value as string
    } else if (type === "text") {
      return last ? fork.text(value as string) : undefined
    } else return last ? value : undefined
  }
  return undefined
}

/**
 * Which elements of a list a batch of patches inserted (their indices after the change), and
 * the first existing element it changed or removed, if any. Patches are sequential: each
 * index is relative to the list as the patches before it left it.
 */
export function listDelta(existing: number, patches: readonly Patch[], field: string): { inserted: number[]; rewritten?: number } {
  let inserted: number[] = []
  const oldIndex = (i: number) => i - inserted.filter(n => n < i).length
  for (const p of patches) {
    if (p.path[0] !== field || p.path.length < 2) continue
    const index = Number(p.path[1])
    if (p.path.length === 2 && p.action === "insert") {
      const n = p.values.length
      inserted = [...inserted.map(x => (x >= index ? x + n : x)), ...Array.from({ length: n }, (_, j) => index + j)]
      continue
    }
    if (p.path.length === 2 && p.action === "del") {
      const n = p.length ?? 1
      for (let j = 0; j < n; j++) {
        if (!inserted.includes(index)) return { inserted, rewritten: oldIndex(index) }
        inserted = inserted.filter(x => x !== index).map(x => (x > index ? x - 1 : x))
      }
      continue
    }
    if (!inserted.includes(index)) return { inserted, rewritten: Math.min(oldIndex(index), existing - 1) }
  }
  return { inserted }
}

/**
 * The gate as a relay extension: every sync message with changes is judged before the Repo
 * sees it; while storage is failing, changes are refused with the storage's reason.
 */
export function changeGate(): RelayExtension {
  let gate: ChangeGate | undefined
  let health: StorageHealth | undefined
  return {
    name: "change-gate",
    onStart(ctx) {
      gate = new ChangeGate({ repo: ctx.repo, workspace: ctx.workspace, rootUrl: ctx.rootUrl, dataDir: ctx.dataDir, bindings: ctx.actorBindings, log: ctx.log })
      health = ctx.storageHealth
    },
    beforeMessage(principal, message) {
      if (message.type !== "sync" && message.type !== "request") return "accept"
      const storageRefusal = health!.refusal()
      if (storageRefusal) return gate!.refuseIfChanges(principal, message.documentId, message.data, storageRefusal)
      return gate!.check(principal, message.documentId, message.data)
    },
  }
}
