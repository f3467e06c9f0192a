/**
 * What the scheduler has observed of task leases, kept across relay restarts in the data dir
 * (`leases.json`): per lease the renewal count last seen and when (relay clock), and the
 * holders whose lease expired. Expiry needs no shared clock: a lease whose renewal count has
 * not moved for a lease length expires.
 *
 * After a restart each observation resumes where it was, shifted by the downtime (its holder
 * could not renew while the relay was down), and with at least a grace period left so that
 * a live holder can reconnect and sync its renewal: a restart neither expires a live lease at
 * once nor gives a dead one more than that grace. (A relay that restarts faster than the
 * grace, forever, would keep a dead lease: it also does nothing else.)
 */
import { readFileSync } from "node:fs"
import { writeFileAtomic } from "../src/peer/files.ts"
import { z } from "zod"

export interface LeaseObservations {
  /** leaseId → renewal count last seen and when. */
  observed: Map<string, { renewals: number; at: number }>
  /** holder → when its lease expired (no new lease until it is heard from again). */
  lapsed: Map<string, number>
}

/** Where the observations live between passes; the relay's is a file, tests use memory. */
export interface LeaseStore {
  load(): { savedAt: number; observations: LeaseObservations } | undefined
  save(savedAt: number, observations: LeaseObservations): void
}

const Snapshot = z.object({
  savedAt: z.number(),
  observed: z.record(z.string(), z.object({ renewals: z.number().int().nonnegative(), at: z.number() })),
  lapsed: z.record(z.string(), z.number()),
})

/** A store in one JSON file, replaced atomically (write, then rename). */
export function fileLeaseStore(path: string, log?: (line: string) => void): LeaseStore {
  return {
    load() {
      let raw: string
      try {
        raw = readFileSync(path, "utf8")
      } catch {
        return undefined
      }
      let json: unknown
      try {
        json = JSON.parse(raw)
      } catch {
        json = undefined
      }
      const parsed = Snapshot.safeParse(json)
      if (!parsed.success) {
        log?.(`lease observations in ${path} are unreadable; leases are observed afresh from now`)
        return undefined
      }
      const { savedAt, observed, lapsed } = parsed.data
      return { savedAt, observations: { observed: new Map(Object.entries(observed)), lapsed: new Map(Object.entries(lapsed)) } }
    },
    save(savedAt, { observed, lapsed }) {
      // Losing one snapshot costs only precision after a restart; it must never stop the relay.
      try {
        writeFileAtomic(path, JSON.stringify({ savedAt, observed: Object.fromEntries(observed), lapsed: Object.fromEntries(lapsed) }), 0o600)
      } catch (error) {
        log?.(`lease observations not saved to ${path}: ${(error as Error).message}`)
      }
    },
  }
}

/**
 * Observations restored at `now`: each shifted by the downtime since they were saved, and
 * left at least `graceMs` before expiry.
 */
export function resumeObservations(saved: { savedAt: number; observations: LeaseObservations }, now: number, leaseMs: number, graceMs: number): LeaseObservations {
  const downtime = Math.max(0, now - saved.savedAt)
  const observed = new Map<string, { renewals: number; at: number }>()
  for (const [leaseId, seen] of saved.observations.observed) observed.set(leaseId, { renewals: seen.renewals, at: Math.max(seen.at + downtime, now - leaseMs + graceMs) })
  return { observed, lapsed: new Map(saved.observations.lapsed) }
}
