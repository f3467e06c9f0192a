/**
 * A validated, plain-object view of one record inside a replicated document (tasks by
 * id, ledger entries by key …). After the first full pass only the entries that a
 * change touched are validated again, so a 10,000-task queue stays cheap to watch.
 */
import type { DocHandle, DocHandleChangePayload } from "@automerge/automerge-repo/slim"
import { EventEmitter } from "eventemitter3"
import type { z } from "zod"
import { formatPath, keyMismatch, validateValue, type DataIssue } from "../core/validate.ts"

export interface ValidatedRecordEvents {
  change: (payload: { changedKeys: ReadonlySet<string> | "all" }) => void
}

/**
 * A reader's second look at a valid entry (authority checks): returns the entry as this
 * reader should see it, adding issues for what it does not accept.
 */
export type Refine<T> = (key: string, entry: T, issues: DataIssue[]) => T

export interface ValidatedRecordOptions<T> {
  /** The entry field that must equal its key: an entry stored under another key is refused. */
  idField?: string
  /**
   * The effective entry after a merge (e.g. a task's status by its state machine): returns
   * the entry to show and what it overrode, reported as issues of that entry.
   */
  resolve?: (entry: T) => { entry: T; flags: string[] }
  /** Applied after `resolve`: what this reader accepts of the resolved entry. */
  refine?: Refine<T>
}

export class ValidatedRecord<S extends z.ZodType> extends EventEmitter<ValidatedRecordEvents> {
  readonly #entries = new Map<string, z.infer<S>>()
  readonly #issues = new Map<string, DataIssue[]>()
  readonly #resolved = new Set<string>()
  #handle: DocHandle<unknown>
  readonly #onChange = (p: DocHandleChangePayload<unknown>) => this.#applyPatches(p)

  constructor(
    handle: DocHandle<unknown>,
    readonly schema: S,
    readonly field: string,
    public docLabel: string,
    readonly options: ValidatedRecordOptions<z.infer<S>> = {},
  ) {
    super()
    this.#handle = handle
    this.#revalidateAll()
    handle.on("change", this.#onChange)
  }

  get entries(): ReadonlyMap<string, z.infer<S>> {
    return this.#entries
  }

  get(key: string): z.infer<S> | undefined {
    return this.#entries.get(key)
  }

  /** Keys whose shown entry differs from the stored one (the resolve option overrode it). */
  get resolvedKeys(): ReadonlySet<string> {
    return this.#resolved
  }

  get issues(): DataIssue[] {
    return [...this.#issues.values()].flat()
  }

  close(): void {
    this.#handle.off("change", this.#onChange)
    this.removeAllListeners()
  }

  /** Reads the record from another document from now on (a new queue generation): every entry again. */
  follow(handle: DocHandle<unknown>, docLabel: string): void {
    this.#handle.off("change", this.#onChange)
    this.#handle = handle
    this.docLabel = docLabel
    handle.on("change", this.#onChange)
    this.#issues.clear()
    this.#readAll()
  }

  /** Reads these entries again (all of them for "all"), e.g. once their authority is known. */
  revalidate(keys: Iterable<string> | "all"): void {
    if (keys === "all") return this.#readAll()
    const touched = new Set(keys)
    if (touched.size) this.#read(touched)
  }

  /**
   * The record itself, or undefined (reported under the key "") when the document or its
   * field is not an object of entries: the entries read before stay as they were.
   */
  #record(): Record<string, unknown> | undefined {
    let doc: unknown
    try {
      doc = this.#handle.doc()
    } catch (error) {
      this.#issues.set("", [{ doc: this.docLabel, path: "", message: `the document cannot be read: ${(error as Error).message}` }])
      return undefined
    }
    const record = doc && typeof doc === "object" ? (doc as Record<string, unknown>)[this.field] : undefined
    if (record && typeof record === "object" && !Array.isArray(record)) {
      this.#issues.delete("")
      return record as Record<string, unknown>
    }
    this.#issues.set("", [{ doc: this.docLabel, path: this.field, message: "expected an object of entries; showing the last valid entries" }])
    return undefined
  }

  #validate(key: string, value: unknown): void {
    this.#entries.delete(key)
    this.#issues.delete(key)
    this.#resolved.delete(key)
    if (value === undefined) return
    const issues: DataIssue[] = []
    const path = [this.field, key]
    let entry = validateValue(this.schema, value, this.docLabel, path, issues)
    const { idField, resolve, refine } = this.options
    const mismatch = entry === undefined || idField === undefined ? undefined : keyMismatch(entry, key, idField, this.docLabel, path)
    if (mismatch) {
      issues.push(mismatch)
      entry = undefined
    }
    if (entry !== undefined && resolve) {
      const resolved = resolve(entry)
      if (resolved.entry !== entry) this.#resolved.add(key)
      entry = resolved.entry
      for (const message of resolved.flags) issues.push({ doc: this.docLabel, path: formatPath(path), message })
    }
    if (entry !== undefined && refine) entry = refine(key, entry, issues)
    if (entry !== undefined) this.#entries.set(key, entry)
    if (issues.length) this.#issues.set(key, issues)
  }

  #revalidateAll(): void {
    const record = this.#record()
    if (!record) return
    this.#entries.clear()
    for (const key of [...this.#issues.keys()]) if (key !== "") this.#issues.delete(key)
    this.#resolved.clear()
    for (const [key, value] of Object.entries(record)) this.#validate(key, value)
  }

  #readAll(): void {
    this.#revalidateAll()
    this.emit("change", { changedKeys: "all" })
  }

  #read(touched: ReadonlySet<string>): void {
    const record = this.#record()
    if (record) for (const key of touched) this.#validate(key, record[key])
    this.emit("change", { changedKeys: record ? touched : new Set<string>() })
  }

  /** Never throws: a change handler that throws would leave every listener after it unrun. */
  #applyPatches({ patches }: DocHandleChangePayload<unknown>): void {
    const touched = new Set<string>()
    for (const patch of patches) {
      if (patch.path[0] !== this.field) continue
      const key = patch.path[1]
      if (typeof key !== "string") return this.#readAll()
      touched.add(key)
    }
    if (touched.size) this.#read(touched)
  }
}
