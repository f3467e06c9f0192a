/**
 * One worker plays a given resident at a time. The relay holds the lease map (in the
 * identities document) and re-decides it from the workers' heartbeats: a holder keeps its
 * resident while it is approved, still offers it and is online or was seen within the online
 * window (a dropped connection that comes back does not lose its resident, nor what it wrote
 * as that resident meanwhile); otherwise the resident goes to the online eligible worker with
 * the smallest name (the same answer on every replica).
 */
import type { ResidentLease } from "../../../schemas/index.ts"

export interface ResidentCandidate {
  name: string
  /** Residents this worker offers to play (its heartbeat's `identities`). */
  identities: readonly string[]
  /** Offline but seen within the online window: keeps what it holds, is given nothing new. */
  away?: boolean
}

export interface LeaseChange {
  resident: string
  from?: string
  to?: string
}

/**
 * The next lease map for `residents`, given the workers that are approved and online now (or
 * away for less than the online window).
 * Returns only what changes; an empty list means the current map stands.
 */
export function planResidentLeases(
  residents: Iterable<string>,
  current: ReadonlyMap<string, ResidentLease>,
  candidates: readonly ResidentCandidate[],
): LeaseChange[] {
  const changes: LeaseChange[] = []
  const byName = [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const resident of residents) {
    const holder = current.get(resident)?.holder
    const keeps = holder !== undefined && byName.some(c => c.name === holder && c.identities.includes(resident))
    if (keeps) continue
    const next = byName.find(c => !c.away && c.identities.includes(resident))?.name
    if (next !== holder) changes.push({ resident, ...(holder ? { from: holder } : {}), ...(next ? { to: next } : {}) })
  }
  return changes
}

/** resident → the worker holding its lease. */
export function residentHolders(leases: ReadonlyMap<string, ResidentLease>): Map<string, string> {
  return new Map([...leases].map(([resident, lease]) => [resident, lease.holder]))
}
