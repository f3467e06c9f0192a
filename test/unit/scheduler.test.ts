/** The relay's scheduler on a network-less, in-memory Repo: what it grants, expires and refuses. */
import { Repo } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, AuditKind, PeerRecord, Task } from "../../schemas/index.ts"
import type { LeaseObservations, LeaseStore } from "../../peer-server/leaseClock.ts"
import { Liveness } from "../../peer-server/liveness.ts"
import { Scheduler } from "../../peer-server/scheduler.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { Workspace } from "../../src/workspace/workspace.ts"

const alice: Actor = { kind: "operator", name: "alice" }
const NOW = 1_800_000_000_000
let repo: Repo
let ws: Workspace
let audits: { kind: AuditKind; subject: string; data: Record<string, unknown> }[]

function worker(name: string, lastSeen = NOW): PeerRecord {
  return { name, role: "worker", publicKey: "a".repeat(64), state: "approved", registeredAt: 0, auditUrl: "automerge:abc", hasLlmKey: true, concurrency: 4, lastSeen }
}

function scheduler(opts: { leaseMs?: number; leaseStore?: LeaseStore; now?: number; liveness?: Liveness } = {}): Scheduler {
  let n = 0
  return new Scheduler(ws, {
    leaseMs: opts.leaseMs ?? 1_000,
    onlineWindowMs: 600_000,
    newLeaseId: () => `lease-${++n}`,
    audit: (kind, subject, data) => audits.push({ kind, subject, data }),
    ...(opts.leaseStore ? { leaseStore: opts.leaseStore } : {}),
    ...(opts.now !== undefined ? { now: () => opts.now! } : {}),
    ...(opts.liveness ? { liveness: opts.liveness } : {}),
  })
}

/** A lease store in memory: what the relay keeps in DATA/leases.json. */
function memoryStore(): LeaseStore & { saves: number } {
  let saved: { savedAt: number; observations: LeaseObservations } | undefined
  return {
    saves: 0,
    load: () => saved && { savedAt: saved.savedAt, observations: { observed: new Map(saved.observations.observed), lapsed: new Map(saved.observations.lapsed) } },
    save(savedAt, observations) {
      this.saves++
      saved = { savedAt, observations: { observed: new Map(observations.observed), lapsed: new Map(observations.lapsed) } }
    },
  }
}

const statusOf = (id: string) => ws.tasks.get(id)?.status
const expiries = () => audits.filter(a => a.kind === "lease" && a.data.action === "expired").length

beforeEach(async () => {
  repo = new Repo({ network: [] })
  const root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-unit-0001", createdBy: "alice", now: 1 })
  root.change(d => {
    d.peers.w1 = worker("w1")
  })
  ws = await Workspace.open(repo, root.url)
  audits = []
})
afterEach(async () => {
  ws.close()
  await repo.shutdown()
})

describe("Scheduler", () => {
  it("a task stored under a key that is not its id gets no lease and is reported, pass after pass", () => {
    const task = ws.addTask({ command: "ls" }, alice, NOW - 10)
    ws.queueHandle.change(d => {
      d.tasks["task-elsewhere"] = { ...(JSON.parse(JSON.stringify(d.tasks[task.id])) as Task) }
      delete d.tasks[task.id]
    })
    const s = scheduler()
    for (let i = 0; i < 20; i++) s.runOnce(NOW + i)
    expect(audits.filter(a => a.kind === "lease")).toEqual([])
    expect(ws.tasks.entries.size).toBe(0)
    expect(ws.issues).toContainEqual(expect.objectContaining({ path: "tasks.task-elsewhere.id" }))
    expect(ws.queueHandle.doc().tasks["task-elsewhere"]?.lease).toBeUndefined()
  })

  it("a worker that said goodbye gets no new lease, though the root still marks it online", () => {
    ws.rootHandle.change(d => {
      d.peers.w1!.online = true
    })
    const liveness = new Liveness(600_000)
    liveness.connected("w1", NOW)
    liveness.beat("w1", NOW, [], { goodbye: true })
    const task = ws.addTask({ prompt: "Summarise the notes." }, alice, NOW - 10)
    const s = scheduler({ liveness })
    s.runOnce(NOW + 1)
    expect(ws.tasks.get(task.id)?.lease).toBeUndefined()
    expect(statusOf(task.id)).toBe("blocked")
    // Heard from again (it beats without a goodbye): it is given work.
    liveness.beat("w1", NOW + 2, [])
    s.runOnce(NOW + 3)
    s.runOnce(NOW + 4)
    expect(ws.tasks.get(task.id)?.lease?.holder).toBe("w1")
  })

  describe("lease state across a relay restart", () => {
    const LEASE = 10_000

    /** A task leased to w1 at NOW and observed by the first relay; w1 then goes silent. */
    function leased(store: LeaseStore): { id: string; first: Scheduler } {
      const task = ws.addTask({ command: "ls" }, alice, NOW - 10)
      const first = scheduler({ leaseMs: LEASE, leaseStore: store, now: NOW })
      first.runOnce(NOW)
      first.runOnce(NOW + 100)
      expect(statusOf(task.id)).toBe("claimed")
      return { id: task.id, first }
    }

    it("a dead lease still expires after a restart: no fresh lease length, at most the grace", () => {
      const store = memoryStore()
      const { id, first } = leased(store)
      // The relay ran on, saving as it went, and restarts at once 9 s into the lease.
      first.runOnce(NOW + 9_000)
      const after = scheduler({ leaseMs: LEASE, leaseStore: store, now: NOW + 9_050 })
      after.runOnce(NOW + 9_050)
      expect(statusOf(id)).toBe("claimed")
      // At most the grace (half a lease) is added after a restart; a fresh observation
      // would have kept it until NOW + 19 050.
      after.runOnce(NOW + 14_100)
      expect(statusOf(id)).toBe("queued")
      expect(expiries()).toBe(1)
    })

    it("a live lease is not expired at once after a long downtime: its holder gets the grace to reconnect and renew", () => {
      const store = memoryStore()
      const { id } = leased(store)
      const after = scheduler({ leaseMs: LEASE, leaseStore: store, now: NOW + 3_600_000 })
      after.runOnce(NOW + 3_600_000)
      expect(statusOf(id)).toBe("claimed")
      // The holder reconnects and renews within the grace (half a lease): the lease lives on.
      ws.queueHandle.change(d => {
        d.tasks[id]!.lease!.renewals += 1
      })
      after.runOnce(NOW + 3_600_000 + 4_000)
      after.runOnce(NOW + 3_600_000 + 13_000)
      expect(statusOf(id)).toBe("claimed")
      // Silent again: it expires one lease after the renewal was seen.
      after.runOnce(NOW + 3_600_000 + 14_100)
      expect(statusOf(id)).toBe("queued")
    })

    it("observations of leases that ended are forgotten (memory does not grow with every lease ever granted)", () => {
      const store = memoryStore()
      const { id } = leased(store)
      ws.updateTask(id, d => {
        d.status = "cancelled"
        delete d.lease
      })
      scheduler({ leaseMs: LEASE, leaseStore: store, now: NOW + 200 }).runOnce(NOW + 200)
      expect(store.load()!.observations.observed.size).toBe(0)
    })
  })
})
