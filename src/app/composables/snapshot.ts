/**
 * One read of a replicated document into a snapshot, for change handlers: it never throws.
 * A document that cannot be read keeps the last good snapshot in force and says what is wrong.
 */
import { InvalidDocumentError, type DataIssue } from "../../core/validate.ts"

export type DocumentReader<T> = (value: unknown, label: string, issues: DataIssue[]) => T

export interface Snapshot<T> {
  value: T | undefined
  /** For the data-issue banner, including why a last good snapshot is shown. */
  issues: DataIssue[]
  /** Why there is nothing to show (set only when there is no earlier snapshot either). */
  error?: string
}

export function readSnapshot<T>(read: DocumentReader<T>, doc: () => unknown, label: string, previous: T | undefined): Snapshot<T> {
  const issues: DataIssue[] = []
  try {
    return { value: read(doc(), label, issues), issues }
  } catch (e) {
    const found = e instanceof InvalidDocumentError ? e.issues : [{ doc: label, path: "", message: `cannot be read: ${(e as Error).message}` }]
    if (previous === undefined) return { value: undefined, issues: [...issues, ...found], error: e instanceof InvalidDocumentError ? e.message : `${label} cannot be read: ${(e as Error).message}` }
    return { value: previous, issues: [...issues, ...found, { doc: label, path: "", message: "showing its last valid state" }] }
  }
}
