/** What every read-or-act peer command prints: readable lines, or JSON with --json. */
import { z } from "zod"
import type { FlagSpec } from "./args.ts"
import { CONNECTION_FLAGS, ConnectionInput } from "./connection.ts"

export const OUTPUT_FLAGS = { ...CONNECTION_FLAGS, json: { type: "boolean", default: false } } as const satisfies FlagSpec
export const OutputInput = ConnectionInput.extend({ json: z.boolean() })

/** `value` as JSON with --json, else the human lines `human` makes of it. */
export function print<T>(flags: { json: boolean }, value: T, human: (value: T) => string): void {
  console.log(flags.json ? JSON.stringify(value, null, 2) : human(value))
}

/** A list: JSON with --json, else a header line and one line per item, or what to do when it is empty. */
export function printTable<T>(flags: { json: boolean }, items: T[], table: { header: string; row: (item: T) => string; empty: string }): void {
  print(flags, items, list => (list.length ? [table.header, ...list.map(item => table.row(item).trimEnd())].join("\n") : table.empty))
}

/** A time as people read it in a terminal: `2026-12-05 03:12` (UTC). */
export function formatTime(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace("T", " ")
}

/** `text` on one line, cut to `max` characters with "…". */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
