/** The relay's scheduler on a network-less, in-memory Repo: what it grants, expires and refuses. */
import { Repo } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, AuditKind, PeerRecord, Task } from "../../schemas/index.ts"
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

function scheduler(opts: { leaseMs?: number } = {}): Scheduler {
  let n = 0
  return new Scheduler(ws, { leaseMs: opts.leaseMs ?? 1_000, onlineWindowMs: 60_000, newLeaseId: () => `lease-${++n}`, audit: (kind, subject, data) => audits.push({ kind, subject, data }) })
}

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
})
