/**
 * Reading documents written by other peers. A broken or hostile peer can write anything
 * into a CRDT, so readers validate entry by entry: an invalid entry is reported with its
 * document and path and left out, and the valid rest stays usable.
 */
import type { z } from "zod"
import { DOCUMENT_SCHEMAS, RootDoc, type DocumentKind } from "../../schemas/index.ts"
import { defaultControls } from "./defaults.ts"

export interface DataIssue {
  /** Document kind and, where known, its URL: "queue automerge:abc…". */
  doc: string
  /** Dotted path inside the document: "tasks.task-1.status". */
  path: string
  message: string
}

export function formatPath(parts: readonly PropertyKey[]): string {
  return parts.map(p => String(p)).join(".")
}

function issuesOf(error: z.ZodError, doc: string, base: readonly PropertyKey[]): DataIssue[] {
  return error.issues.slice(0, 5).map(i => ({
    doc,
    path: formatPath([...base, ...i.path]),
    message: i.message.length > 200 ? `${i.message.slice(0, 200)}…` : i.message,
  }))
}

/** Validates one value; returns it (as a plain copy) or undefined plus issues. */
export function validateValue<S extends z.ZodType>(
  schema: S,
  value: unknown,
  doc: string,
  path: readonly PropertyKey[],
  issues: DataIssue[],
): z.infer<S> | undefined {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  issues.push(...issuesOf(parsed.error, doc, path))
  return undefined
}

/**
 * What each stored entry read to, by the schema and the document's own object: Automerge keeps
 * an unchanged entry's object across changes, so reading a document again after a change
 * validates only the entries that changed. Only for values read out of documents (nobody
 * mutates those); a hit must also be at the same document and path, so its issues stay true.
 */
const readBefore = new WeakMap<z.ZodType, WeakMap<object, { at: string; entry: unknown; issues: DataIssue[] }>>()

function validateStored<S extends z.ZodType>(schema: S, value: unknown, doc: string, path: readonly PropertyKey[], issues: DataIssue[]): z.infer<S> | undefined {
  if (value === null || typeof value !== "object") return validateValue(schema, value, doc, path, issues)
  let bySchema = readBefore.get(schema)
  if (!bySchema) readBefore.set(schema, (bySchema = new WeakMap()))
  const at = `${doc}\u0000${formatPath(path)}`
  const known = bySchema.get(value)
  if (known?.at === at) {
    issues.push(...known.issues)
    return known.entry as z.infer<S> | undefined
  }
  const found: DataIssue[] = []
  const entry = validateValue(schema, value, doc, path, found)
  bySchema.set(value, { at, entry, issues: found })
  issues.push(...found)
  return entry
}

/**
 * An entry keyed by its own id must be stored under that id: an entry under another key
 * (only a broken or hostile peer writes one) would be acted on under a name no writer can
 * find, so it is refused. Returns the issue, or undefined when key and id agree.
 */
export function keyMismatch(entry: unknown, key: string, idField: string, doc: string, path: readonly PropertyKey[]): DataIssue | undefined {
  const id = (entry as Record<string, unknown>)[idField]
  if (id === key) return undefined
  return { doc, path: formatPath([...path, idField]), message: `stored under key ${JSON.stringify(key)} but its ${idField} is ${JSON.stringify(id)}: refused` }
}

/** Validates each entry of a record (tasks by id, peers by name …) on its own; with `idField`, the key must equal that field. */
export function validateEntries<S extends z.ZodType>(
  schema: S,
  record: unknown,
  doc: string,
  path: readonly PropertyKey[],
  issues: DataIssue[],
  idField?: string,
): Map<string, z.infer<S>> {
  const out = new Map<string, z.infer<S>>()
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    issues.push({ doc, path: formatPath(path), message: "expected an object of entries" })
    return out
  }
  for (const [key, value] of Object.entries(record)) {
    const entry = validateStored(schema, value, doc, [...path, key], issues)
    if (entry === undefined) continue
    const mismatch = idField === undefined ? undefined : keyMismatch(entry, key, idField, doc, [...path, key])
    if (mismatch) issues.push(mismatch)
    else out.set(key, entry)
  }
  return out
}

/** Validates each element of a list (room messages, audit entries) on its own. */
export function validateList<S extends z.ZodType>(
  schema: S,
  list: unknown,
  doc: string,
  path: readonly PropertyKey[],
  issues: DataIssue[],
): z.infer<S>[] {
  if (!Array.isArray(list)) {
    issues.push({ doc, path: formatPath(path), message: "expected a list" })
    return []
  }
  const out: z.infer<S>[] = []
  list.forEach((item, i) => {
    const entry = validateStored(schema, item, doc, [...path, i], issues)
    if (entry !== undefined) out.push(entry)
  })
  return out
}

export class InvalidDocumentError extends Error {
  override readonly name = "InvalidDocumentError"
  constructor(
    readonly doc: string,
    readonly issues: DataIssue[],
  ) {
    super(`${doc} is not a valid Vivarium document: ${issues.map(i => `${i.path || "(root)"}: ${i.message}`).join("; ")}`)
  }
}

/** Checks the fields every document shares before its entries are read one by one. */
export function assertDocumentKind(kind: DocumentKind, value: unknown, doc: string): void {
  const v = value as { kind?: unknown; schemaVersion?: unknown } | undefined
  const issues: DataIssue[] = []
  if (!v || typeof v !== "object") issues.push({ doc, path: "", message: "document is empty" })
  else {
    if (v.kind !== kind) issues.push({ doc, path: "kind", message: `expected "${kind}", got ${JSON.stringify(v.kind)}` })
    const version = DOCUMENT_SCHEMAS[kind].shape.schemaVersion.value
    if (v.schemaVersion !== version)
      issues.push({ doc, path: "schemaVersion", message: `expected ${version}, got ${JSON.stringify(v.schemaVersion)}` })
  }
  if (issues.length) throw new InvalidDocumentError(doc, issues)
}

/**
 * The root document: its URLs must be valid (without them nothing can be found), while
 * bad peers are dropped one by one and bad controls fall back to safe defaults field by
 * field. The kill switch falls back to ON: a corrupted switch must not silently resume work.
 */
export function readRoot(value: unknown, doc: string, issues: DataIssue[]): RootDoc {
  assertDocumentKind("root", value, doc)
  const v = value as Record<string, unknown>
  const fatal: DataIssue[] = []
  const docs = validateValue(RootDoc.shape.docs, v.docs, doc, ["docs"], fatal)
  const workspaceId = validateValue(RootDoc.shape.workspaceId, v.workspaceId, doc, ["workspaceId"], fatal)
  if (!docs || !workspaceId) throw new InvalidDocumentError(doc, fatal)
  const peers = Object.fromEntries(validateEntries(RootDoc.shape.peers.valueType, v.peers, doc, ["peers"], issues))
  const fallback = defaultControls("system", 0)
  fallback.killSwitch = { on: true, reason: "kill switch unreadable: see data issues", setBy: "system", setAt: 0 }
  const rawControls = (v.controls ?? {}) as Record<string, unknown>
  const controls = { ...fallback }
  for (const key of Object.keys(fallback) as (keyof typeof fallback)[]) {
    const field = validateValue(RootDoc.shape.controls.shape[key], rawControls[key], doc, ["controls", key], issues)
    if (field !== undefined) (controls as Record<string, unknown>)[key] = field
  }
  // The owner's and the relay's keys, pinned once; absent in workspaces from before.
  const authority = v.authority === undefined ? undefined : validateValue(RootDoc.shape.authority, v.authority, doc, ["authority"], issues)
  return {
    schemaVersion: 1,
    kind: "root",
    workspaceId,
    name: validateValue(RootDoc.shape.name, v.name, doc, ["name"], issues) ?? "(unnamed workspace)",
    createdAt: validateValue(RootDoc.shape.createdAt, v.createdAt, doc, ["createdAt"], issues) ?? 0,
    docs,
    peers,
    controls,
    ...(authority ? { authority } : {}),
  }
}
