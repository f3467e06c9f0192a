/** The pure rules of beats: what the relay's gate takes from a beat, who counts as online, and what goes into the root. */
import { cbor } from "@automerge/automerge-repo/slim"
import { describe, expect, it } from "vitest"
import { WORKER_BEAT_MARKER } from "../../schemas/ephemeral.ts"
import type { PeerRecord, Task } from "../../schemas/index.ts"
import { judgeEphemeral } from "../../peer-server/gate/ephemeralGate.ts"
import { isLive, Liveness, livenessMark, type PeerSighting } from "../../peer-server/liveness.ts"
import type { PrincipalRole } from "../../src/core/principal.ts"
import { LAST_SEEN_REFRESH_MS, ONLINE_MARK_STALE_MS } from "../../src/core/defaults.ts"
import { isOnline, leaseEndsBy } from "../../src/domain/tasks/scheduling.ts"

const NOW = 1_700_000_000_000
const WINDOW = 15_000

describe("the relay's judgement of a worker's beat", () => {
  const tasks: Record<string, Task> = {
    "task-1": { id: "task-1", lease: { holder: "w1", leaseId: "lease-1" } } as unknown as Task,
    "task-2": { id: "task-2", lease: { holder: "w2", leaseId: "lease-2" } } as unknown as Task,
    "task-3": { id: "task-3" } as unknown as Task,
  }
  const judge = (peer: string, beat: unknown, opts: { role?: PrincipalRole; documentId?: string } = {}) =>
    judgeEphemeral({
      principal: { peer, role: opts.role ?? "worker", publicKeyHex: "0".repeat(64) },
      documentId: opts.documentId ?? "root",
      data: cbor.encode({ [WORKER_BEAT_MARKER]: beat }),
      queueDocumentId: "queue",
      rootDocumentId: "root",
      task: id => tasks[id],
    })

  it("renews the leases the sender holds, refuses the ones another peer holds, and passes over ended ones", () => {
    const verdict = judge("w1", {
      worker: "w1",
      leases: [
        { taskId: "task-1", leaseId: "lease-1" },
        { taskId: "task-2", leaseId: "lease-2" },
        { taskId: "task-1", leaseId: "lease-0" },
        { taskId: "task-3", leaseId: "lease-3" },
      ],
    })
    expect(verdict).toMatchObject({ ok: true, kind: "beat", renew: ["lease-1"] })
    expect(verdict.ok && verdict.kind === "beat" && verdict.refused).toEqual(["task-2 (lease lease-2; w2 holds lease-2)", "task-1 (lease lease-0; w1 holds lease-1)"])
  })

  it("drops a beat naming another peer, unless a follower relay passes it on for its own peer", () => {
    expect(judge("w2", { worker: "w1", leases: [{ taskId: "task-1", leaseId: "lease-1" }] })).toMatchObject({ ok: false, reason: /a beat naming w1 from w2/ })
    expect(judge("mirror-1", { worker: "w1", leases: [{ taskId: "task-1", leaseId: "lease-1" }] }, { role: "mirror" })).toMatchObject({ ok: true, renew: ["lease-1"] })
  })

  it("drops a beat off the root document, or with a shape the schema refuses", () => {
    expect(judge("w1", { worker: "w1", leases: [] }, { documentId: "queue" })).toMatchObject({ ok: false, reason: /root document only/ })
    expect(judge("w1", { worker: "w1", leases: [], extra: 1 })).toMatchObject({ ok: false, reason: /neither presence/ })
    expect(judge("w1", { worker: "w1", leases: Array.from({ length: 65 }, (_, i) => ({ taskId: `t${i}`, leaseId: `l${i}` })) })).toMatchObject({ ok: false })
    expect(judge("w1", { worker: "w1", leases: [], goodbye: false })).toMatchObject({ ok: false })
  })
})

describe("who the relay counts online", () => {
  const sighting = (s: Partial<PeerSighting>): PeerSighting => ({ connections: 0, heardAt: NOW, relayedAt: 0, leaving: false, ...s })

  it("a connected peer, or one beating through a follower within the window; not one that said goodbye", () => {
    expect(isLive(undefined, NOW, WINDOW)).toBe(false)
    expect(isLive(sighting({ connections: 1, heardAt: NOW - 10 * WINDOW }), NOW, WINDOW)).toBe(true)
    expect(isLive(sighting({ connections: 0 }), NOW, WINDOW)).toBe(false)
    expect(isLive(sighting({ relayedAt: NOW - WINDOW + 1 }), NOW, WINDOW)).toBe(true)
    expect(isLive(sighting({ relayedAt: NOW - WINDOW }), NOW, WINDOW)).toBe(false)
    expect(isLive(sighting({ connections: 1, leaving: true }), NOW, WINDOW)).toBe(false)
  })

  it("sightings follow connections and beats, and beats renew the leases the gate found held", () => {
    const liveness = new Liveness(WINDOW)
    const renewed: string[] = []
    let changes = 0
    liveness.on("renewed", id => renewed.push(id))
    liveness.on("changed", () => changes++)
    liveness.connected("w1", NOW)
    liveness.connected("w1", NOW + 1)
    liveness.disconnected("w1", NOW + 2)
    expect(isLive(liveness.sighting("w1"), NOW + 2, WINDOW)).toBe(true)
    liveness.beat("w1", NOW + 3, ["lease-1", "lease-2"])
    expect(renewed).toEqual(["lease-1", "lease-2"])
    liveness.beat("w1", NOW + 4, [], { goodbye: true })
    expect(isLive(liveness.sighting("w1"), NOW + 4, WINDOW)).toBe(false)
    liveness.disconnected("w1", NOW + 5)
    expect(liveness.heardAt("w1")).toBe(NOW + 5)
    liveness.beat("w2", NOW + 6, [], { relayed: true })
    expect(isLive(liveness.sighting("w2"), NOW + 6 + WINDOW - 1, WINDOW)).toBe(true)
    // connect, connect (each may change), goodbye, last disconnect, w2 comes
    expect(changes).toBe(5)
  })
})

describe("what the relay writes into a peer record", () => {
  const live: PeerSighting = { connections: 1, heardAt: NOW - 500, relayedAt: 0, leaving: false }
  const gone: PeerSighting = { connections: 0, heardAt: NOW - 500, relayedAt: 0, leaving: false }
  const mark = (record: Pick<PeerRecord, "online" | "lastSeen">, s: PeerSighting | undefined, now = NOW) => livenessMark(record, s, now, WINDOW, LAST_SEEN_REFRESH_MS)

  it("marks a peer that comes online now, and one that went with when it was last heard from", () => {
    expect(mark({ online: false, lastSeen: NOW - 60_000 }, live)).toEqual({ online: true, lastSeen: NOW })
    expect(mark({}, live)).toEqual({ online: true, lastSeen: NOW })
    expect(mark({ online: true, lastSeen: NOW - 60_000 }, gone)).toEqual({ online: false, lastSeen: NOW - 500 })
  })

  it("writes nothing while nothing changed, and refreshes lastSeen only once it is a refresh interval old", () => {
    expect(mark({ online: true, lastSeen: NOW - LAST_SEEN_REFRESH_MS + 1 }, live)).toBeUndefined()
    expect(mark({ online: true, lastSeen: NOW - LAST_SEEN_REFRESH_MS }, live)).toEqual({ online: true, lastSeen: NOW })
    expect(mark({ online: false, lastSeen: NOW - 60_000 }, gone)).toBeUndefined()
  })

  it("takes the mark off a peer the relay has not seen since it started, keeping its lastSeen", () => {
    expect(mark({ online: true, lastSeen: NOW - 60_000 }, undefined)).toEqual({ online: false })
    expect(mark({ lastSeen: NOW - 60_000 }, undefined)).toEqual({ online: false })
  })
})

describe("online and lease ends as readers judge them", () => {
  const peer = (p: Partial<PeerRecord>) => ({ name: "w1", role: "worker", state: "approved", ...p }) as PeerRecord

  it("a marked peer is online while its mark is fresh; an unmarked one by a recent lastSeen", () => {
    expect(isOnline(peer({ online: true, lastSeen: NOW - 4 * 60_000 }), NOW, WINDOW)).toBe(true)
    expect(isOnline(peer({ online: true, lastSeen: NOW - ONLINE_MARK_STALE_MS }), NOW, WINDOW)).toBe(false)
    expect(isOnline(peer({ online: false, lastSeen: NOW - 10 }), NOW, WINDOW)).toBe(false)
    expect(isOnline(peer({ lastSeen: NOW - 10 }), NOW, WINDOW)).toBe(true)
    expect(isOnline(peer({ lastSeen: NOW - WINDOW }), NOW, WINDOW)).toBe(false)
    expect(isOnline(peer({ online: true }), NOW, WINDOW)).toBe(false)
  })

  it("a lease ends a lease time after its holder was last seen, or at the grant's end", () => {
    const lease = { leaseId: "l", holder: "w1", grantedAt: NOW - 120_000, expiresAt: NOW - 60_000, renewals: 0 }
    expect(leaseEndsBy(lease, peer({ online: false, lastSeen: NOW - 10_000 }))).toBe(NOW + 50_000)
    expect(leaseEndsBy(lease, undefined)).toBe(NOW - 60_000)
  })
})
