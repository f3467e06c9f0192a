/**
 * A string nobody edits character by character (a task's command or result, an audit entry's
 * data) goes into a document as one immutable Automerge value: one operation instead of one
 * per character, for every peer that applies, syncs and stores it. Readers get a plain string
 * back through the schemas (schemas/common.ts `storedString`).
 */
import { getObjectId, ImmutableString } from "@automerge/automerge/slim"

/** `text` as one immutable value, typed as the string it reads back as. */
export function storedValue(text: string): string {
  return new ImmutableString(text) as unknown as string
}

/** Whether `value` is part of an Automerge document (a draft inside a change). */
export function inDocument(value: object): boolean {
  return getObjectId(value) != null
}

/** A value read raw from a document as plain JSON data (immutable strings become strings). */
export function plainValue<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
