/**
 * Where a ledger segment keeps its entries: in day maps by the UTC day of the month of each
 * entry's `at` (src/domain/wallets/periods.ts dayOf), so a write touches one small map
 * (Automerge's JS document copies the map an entry is written into: a flat map of a month's
 * entries made every grant cost in proportion to the month). Segments from before day maps
 * keep their flat `entries` map as it is; they are read the same way, flat map first, and
 * take new entries in day maps once the relay has added them.
 *
 * A segment is one key space: a key is held once, wherever it is stored. Readers take the
 * first copy in this order (only a hostile peer or two offline writers of the same payment
 * on different days leave two).
 */
import type { LedgerDay, LedgerEntry, WalletsDoc } from "../../../schemas/index.ts"
import { dayOf, LEDGER_DAYS } from "./periods.ts"

/** Every day map, empty: what a new segment holds, and what the relay adds once to an older one. */
export const emptyDays = (): Record<LedgerDay, Record<string, LedgerEntry>> => Object.fromEntries(LEDGER_DAYS.map(day => [day, {}]))

/** A segment's maps of entries as stored (plain data or a replica's document), with their paths: the flat map, then the day maps in order. */
export function segmentMaps(doc: { entries?: unknown; days?: unknown }): [path: readonly string[], map: unknown][] {
  const maps: [readonly string[], unknown][] = [[["entries"], doc.entries]]
  const days = doc.days
  if (days && typeof days === "object") for (const day of Object.keys(days).sort()) maps.push([["days", day], (days as Record<string, unknown>)[day]])
  return maps
}

const held = (map: unknown, key: string): boolean => !!map && typeof map === "object" && Object.prototype.hasOwnProperty.call(map, key)

/** What the segment stores under `key` (not validated), the first copy; undefined when the key is not written. */
export function storedEntry(doc: { entries?: unknown; days?: unknown }, key: string): unknown {
  for (const [, map] of segmentMaps(doc)) if (held(map, key)) return (map as Record<string, unknown>)[key]
  return undefined
}

export const segmentHolds = (doc: { entries?: unknown; days?: unknown }, key: string): boolean => segmentMaps(doc).some(([, map]) => held(map, key))

/** How many entries the segment stores, every map counted (copies of one key included). */
export const segmentSize = (doc: { entries?: unknown; days?: unknown }): number =>
  segmentMaps(doc).reduce((n, [, map]) => n + (map && typeof map === "object" ? Object.keys(map).length : 0), 0)

/**
 * Writes `entry` into the segment being changed, in its day's map (the flat map in a
 * segment without day maps yet), unless its key is already held. Returns whether it wrote.
 */
export function placeEntry(d: WalletsDoc, entry: LedgerEntry): boolean {
  if (segmentHolds(d, entry.key)) return false
  const day = d.days?.[dayOf(entry.at)]
  if (day) day[entry.key] = entry
  else d.entries[entry.key] = entry
  return true
}
