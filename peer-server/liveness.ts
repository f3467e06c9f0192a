/**
 * Who is online, as the relay knows it: peers connected to it, and workers' beats
 * (schemas/ephemeral.ts `WorkerBeat`, from the worker itself or passed on by a follower relay
 * for its own peers). Decided by the relay's clock and kept in memory. The root document gets
 * a worker's `online` mark and `lastSeen` only when the worker comes or goes, and `lastSeen` at most
 * every `LAST_SEEN_REFRESH_MS` while it stays: no heartbeat rewrites a shared document.
 * Beats also renew the leases their worker holds; the scheduler listens (peer-server/scheduler.ts).
 */
import { EventEmitter } from "eventemitter3"
import type { PeerRecord } from "../schemas/index.ts"
import { LAST_SEEN_REFRESH_MS, ONLINE_WINDOW_MS } from "../src/core/defaults.ts"
import type { RelayExtension } from "./extension.ts"

/** What the relay has seen of one peer since it started. */
export interface PeerSighting {
  /** Open connections to this relay. */
  connections: number
  /** When it was last heard from (connected, went away, or beat), by the relay's clock. */
  heardAt: number
  /** Its last beat passed on by a follower relay (it is not connected here); 0 if none. */
  relayedAt: number
  /** It said goodbye (a stopping worker): offline until it connects or beats again. */
  leaving: boolean
}

/** Whether the relay counts a peer online: connected, or beating through a follower lately. */
export function isLive(sighting: PeerSighting | undefined, now: number, windowMs: number): boolean {
  return !!sighting && !sighting.leaving && (sighting.connections > 0 || now - sighting.relayedAt < windowMs)
}

export type LivenessMark = { online: boolean; lastSeen?: number }

/**
 * What to write into one peer record, or undefined for nothing: the mark when it differs from
 * what the relay knows (with `lastSeen` as when the peer was last heard from, if it was since
 * the relay started), and a fresh `lastSeen` once the last one is `refreshMs` old.
 */
export function livenessMark(record: Pick<PeerRecord, "online" | "lastSeen">, sighting: PeerSighting | undefined, now: number, windowMs: number, refreshMs: number): LivenessMark | undefined {
  const live = isLive(sighting, now, windowMs)
  if (record.online !== live) return { online: live, ...(sighting ? { lastSeen: live ? now : sighting.heardAt } : {}) }
  if (live && now - (record.lastSeen ?? 0) >= refreshMs) return { online: true, lastSeen: now }
  return undefined
}

export interface LivenessEvents {
  /** A peer came, went, beat after a goodbye or said goodbye: its mark may need writing. */
  changed: () => void
  /** The holder of `leaseId` renewed it (a beat the relay checked). */
  renewed: (leaseId: string, at: number) => void
}

/** The relay's sightings of its peers, fed by connections and beats. */
export class Liveness extends EventEmitter<LivenessEvents> {
  readonly windowMs: number
  readonly #sightings = new Map<string, PeerSighting>()

  constructor(windowMs = ONLINE_WINDOW_MS) {
    super()
    this.windowMs = windowMs
  }

  connected(peer: string, now: number): void {
    const s = this.#sighting(peer, now)
    s.connections++
    s.leaving = false
    this.emit("changed")
  }

  disconnected(peer: string, now: number): void {
    const s = this.#sighting(peer, now)
    s.connections = Math.max(0, s.connections - 1)
    if (!s.connections) this.emit("changed")
  }

  /**
   * A checked beat from `peer` (`relayed`: passed on by a follower); `renew` are the leases it
   * holds, as the ephemeral gate found.
   */
  beat(peer: string, now: number, renew: readonly string[], opts: { goodbye?: boolean; relayed?: boolean } = {}): void {
    const s = this.#sighting(peer, now)
    const wasLive = isLive(s, now, this.windowMs)
    s.leaving = opts.goodbye === true
    if (opts.relayed) s.relayedAt = now
    for (const leaseId of renew) this.emit("renewed", leaseId, now)
    if (wasLive !== isLive(s, now, this.windowMs)) this.emit("changed")
  }

  /** When the relay last heard from `peer` since it started; undefined if never. */
  heardAt(peer: string): number | undefined {
    return this.#sightings.get(peer)?.heardAt
  }

  sighting(peer: string): PeerSighting | undefined {
    return this.#sightings.get(peer)
  }

  #sighting(peer: string, now: number): PeerSighting {
    let s = this.#sightings.get(peer)
    if (!s) this.#sightings.set(peer, (s = { connections: 0, heardAt: now, relayedAt: 0, leaving: false }))
    s.heardAt = now
    return s
  }
}

export interface LivenessMarksOptions {
  /** How often marks are re-checked (a peer beating through a follower goes quiet without an event). */
  tickMs?: number
  refreshMs?: number
}

/**
 * The relay extension: counts its peers' connections into `liveness`, and writes the marks into
 * the root (all in one change) when they change, on a tick, and once at start (a peer the
 * previous run left marked online is not connected to this one).
 */
export function livenessMarks(liveness: Liveness, opts: LivenessMarksOptions = {}): RelayExtension {
  let stop = () => {}
  return {
    name: "liveness",
    onStart(ctx) {
      const refreshMs = opts.refreshMs ?? LAST_SEEN_REFRESH_MS
      let queued = false
      const write = () => {
        queued = false
        const now = Date.now()
        const marks = new Map<string, LivenessMark>()
        for (const record of Object.values(ctx.workspace.root.peers)) {
          // Workers only: leases and waits follow them. Operators' presence travels in the panel's
          // Presence, and marking every CLI command's connection would write the root twice a command.
          if (record.role !== "worker") continue
          const mark = livenessMark(record, liveness.sighting(record.name), now, liveness.windowMs, refreshMs)
          if (mark) marks.set(record.name, mark)
        }
        if (!marks.size) return
        ctx.workspace.rootHandle.change(d => {
          for (const [name, mark] of marks) {
            const record = d.peers[name]
            if (!record) continue
            record.online = mark.online
            if (mark.lastSeen !== undefined) record.lastSeen = mark.lastSeen
          }
        })
      }
      const later = () => {
        if (queued) return
        queued = true
        setImmediate(write)
      }
      liveness.on("changed", later)
      const timer = setInterval(later, opts.tickMs ?? 1_000)
      timer.unref()
      stop = () => {
        clearInterval(timer)
        liveness.off("changed", later)
      }
      write()
    },
    onConnect(socket, principal) {
      liveness.connected(principal.peer, Date.now())
      socket.once("close", () => liveness.disconnected(principal.peer, Date.now()))
    },
    onStop: () => stop(),
  }
}
