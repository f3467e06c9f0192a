import { describe, expect, it } from "vitest"
import {
  RootDoc,
  Task,
  type Actor,
  type ExecutionRecord,
  type PeerRecord,
  type TaskResult,
  type TaskStatus,
} from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import {
  assignLeases,
  dependencyState,
  hasDuplicateRun,
  isReady,
  NO_KEY_REASON,
  reconcileBlock,
  workerCanTake,
  workerSlots,
  type BlockContext,
  type WorkerProfile,
} from "../../src/domain/tasks/scheduling.ts"
import { totalSpend } from "../../src/domain/tasks/spend.ts"
import type { NewTaskInput } from "../../src/domain/tasks/inputs.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { fixtureRoot } from "../helpers/workspaceFixtures.ts"

const ALICE: Actor = { kind: "operator", name: "alice" }
const NOW = 1_800_000_000_000

function task(id: string, over: Partial<Task> = {}, input: NewTaskInput = { prompt: `do ${id}` }): Task {
  return { ...buildTask(input, defaultControls("x", 0), ALICE, NOW - 60_000, id), ...over }
}
const localTask = (id: string, over: Partial<Task> = {}) => task(id, over, { command: "ls" })
const index = (...tasks: Task[]) => new Map(tasks.map(t => [t.id, t]))

const LEASE = { leaseId: "lease-1", holder: "w1", grantedAt: NOW, expiresAt: NOW + 60_000, renewals: 0 }
const keyed: WorkerProfile = { name: "w1", hasLlmKey: true, identities: [] }
const keyless: WorkerProfile = { name: "w2", hasLlmKey: false, identities: [] }

function peer(name: string, over: Partial<PeerRecord> = {}): PeerRecord {
  return { name, role: "worker", publicKey: "a".repeat(64), state: "approved", registeredAt: 0, auditUrl: "automerge:abc", hasLlmKey: true, ...over }
}
const root = (...peers: PeerRecord[]): RootDoc => fixtureRoot(peers)

describe("fixtures", () => {
  it("build valid tasks and a valid root", () => {
    expect(Task.safeParse(task("task-a")).success).toBe(true)
    expect(Task.safeParse(localTask("task-b")).success).toBe(true)
    expect(RootDoc.safeParse(root(peer("w1"), peer("op", { role: "operator" }))).success).toBe(true)
  })
})

describe("dependencyState", () => {
  it("a task without dependencies is ready", () => {
    expect(dependencyState(task("t"), index())).toEqual({ state: "ready" })
  })

  it("a task is ready when every dependency is approved", () => {
    const a = task("a", { status: "approved" })
    const b = task("b", { status: "approved" })
    expect(dependencyState(task("t", { dependsOn: ["a", "b"] }), index(a, b))).toEqual({ state: "ready" })
  })

  it("a task waits on every dependency that is not approved yet", () => {
    const a = task("a", { status: "approved" })
    const b = task("b", { status: "running" })
    const c = task("c", { status: "pending_review" })
    expect(dependencyState(task("t", { dependsOn: ["a", "b", "c"] }), index(a, b, c))).toEqual({ state: "waiting", on: ["b", "c"] })
  })

  it("an unknown dependency is waited for, not treated as broken", () => {
    expect(dependencyState(task("t", { dependsOn: ["ghost"] }), index())).toEqual({ state: "waiting", on: ["ghost"] })
  })

  it("a failed dependency breaks the task", () => {
    const a = task("a", { status: "failed" })
    expect(dependencyState(task("t", { dependsOn: ["a"] }), index(a))).toEqual({ state: "broken", dep: "a", reason: "dependency a failed" })
  })

  it("a cancelled dependency breaks the task", () => {
    const a = task("a", { status: "cancelled" })
    expect(dependencyState(task("t", { dependsOn: ["a"] }), index(a))).toEqual({ state: "broken", dep: "a", reason: "dependency a cancelled" })
  })

  it("a broken dependency wins over others that are still waiting", () => {
    const a = task("a", { status: "queued" })
    const b = task("b", { status: "failed" })
    expect(dependencyState(task("t", { dependsOn: ["a", "b"] }), index(a, b))).toMatchObject({ state: "broken", dep: "b" })
  })
})

describe("isReady", () => {
  it("queued and requeued tasks with nothing in the way are ready", () => {
    expect(isReady(task("t"), index(), NOW)).toBe(true)
    expect(isReady(task("t", { status: "requeued" }), index(), NOW)).toBe(true)
  })

  it("no other status is ready", () => {
    const others: TaskStatus[] = ["claimed", "running", "pending_review", "approved", "failed", "cancelled", "blocked"]
    for (const status of others) expect(isReady(task("t", { status }), index(), NOW), status).toBe(false)
  })

  it("a task under a lease is not ready", () => {
    expect(isReady(task("t", { lease: LEASE }), index(), NOW)).toBe(false)
  })

  it("a task is not ready before notBefore, and ready from notBefore on", () => {
    expect(isReady(task("t", { notBefore: NOW + 1 }), index(), NOW)).toBe(false)
    expect(isReady(task("t", { notBefore: NOW }), index(), NOW)).toBe(true)
    expect(isReady(task("t", { notBefore: NOW - 1 }), index(), NOW)).toBe(true)
  })

  it("a task with an unapproved, broken or unknown dependency is not ready", () => {
    const running = task("a", { status: "running" })
    const failed = task("b", { status: "failed" })
    const approved = task("c", { status: "approved" })
    const byId = index(running, failed, approved)
    expect(isReady(task("t", { dependsOn: ["a"] }), byId, NOW)).toBe(false)
    expect(isReady(task("t", { dependsOn: ["b"] }), byId, NOW)).toBe(false)
    expect(isReady(task("t", { dependsOn: ["ghost"] }), byId, NOW)).toBe(false)
    expect(isReady(task("t", { dependsOn: ["c"] }), byId, NOW)).toBe(true)
  })
})

describe("workerCanTake", () => {
  it("an llm task needs a worker with an LLM key", () => {
    expect(workerCanTake(task("t"), keyed)).toBe(true)
    expect(workerCanTake(task("t"), keyless)).toBe(false)
  })

  it("a local task needs no key", () => {
    expect(workerCanTake(localTask("t"), keyless)).toBe(true)
  })

  it("a task targeted at an identity needs a worker that plays that identity", () => {
    const t = task("t", { targetIdentity: "ada" })
    expect(workerCanTake(t, keyed)).toBe(false)
    expect(workerCanTake(t, { ...keyed, identities: ["bob"] })).toBe(false)
    expect(workerCanTake(t, { ...keyed, identities: ["bob", "ada"] })).toBe(true)
  })

  it("identity targeting does not waive the key: a keyless worker playing the identity cannot take an llm task", () => {
    expect(workerCanTake(task("t", { targetIdentity: "ada" }), { ...keyless, identities: ["ada"] })).toBe(false)
    expect(workerCanTake(localTask("t", { targetIdentity: "ada" }), { ...keyless, identities: ["ada"] })).toBe(true)
  })

  it("an untargeted task suits any worker with the right key", () => {
    expect(workerCanTake(task("t"), { ...keyed, identities: ["ada"] })).toBe(true)
  })
})

describe("workerSlots", () => {
  const online = { lastSeen: NOW - 1_000, concurrency: 4 }

  it("lists approved, online workers with their advertised concurrency minus the leases they hold", () => {
    const byId = index(
      task("a", { status: "claimed", lease: { ...LEASE, holder: "w1" } }),
      task("b", { status: "running", lease: { ...LEASE, holder: "w1" } }),
      task("c", { status: "approved" }),
    )
    expect(workerSlots(root(peer("w1", online), peer("w2", { ...online, hasLlmKey: false, identities: ["ada"] })), byId, NOW, 15_000)).toEqual([
      { name: "w1", hasLlmKey: true, identities: [], free: 2 },
      { name: "w2", hasLlmKey: false, identities: ["ada"], free: 4 },
    ])
  })

  it("leaves out pending, revoked, offline, silent and non-worker peers, and workers with no free slot", () => {
    const r = root(
      peer("pend", { ...online, state: "pending" }),
      peer("rev", { ...online, state: "revoked" }),
      peer("stale", { ...online, lastSeen: NOW - 20_000 }),
      peer("stopped", { concurrency: 4 }),
      peer("boss", { ...online, role: "operator" }),
      peer("full", { ...online, concurrency: 1 }),
      peer("ok", online),
    )
    const byId = index(task("x", { status: "running", lease: { ...LEASE, holder: "full" } }))
    expect(workerSlots(r, byId, NOW, 15_000).map(w => w.name)).toEqual(["ok"])
  })

  it("a worker that let a lease expire gets nothing while it is listed as lapsed (the relay forgets it once heard from again)", () => {
    const r = root(peer("w1", { ...online, lastSeen: NOW - 500 }))
    expect(workerSlots(r, index(), NOW, 15_000, new Map([["w1", NOW - 1_000]]))).toEqual([])
    expect(workerSlots(r, index(), NOW, 15_000, new Map()).map(w => w.name)).toEqual(["w1"])
  })

  it("a worker that advertises no concurrency runs one task at a time", () => {
    expect(workerSlots(root(peer("w1", { lastSeen: NOW })), index(), NOW, 15_000)[0]?.free).toBe(1)
  })
})

describe("assignLeases", () => {
  const slots = (name: string, free: number, over: Partial<WorkerProfile> = {}) => ({ name, free, hasLlmKey: true, identities: [], ...over })

  it("hands out ready tasks in dispatch order: priority (highest first), then creation time, then id", () => {
    const byId = index(
      task("t-late-low", { priority: 0, createdAt: 3 }),
      task("t-b", { priority: 5, createdAt: 2 }),
      task("t-a", { priority: 5, createdAt: 2 }),
      task("t-early-high", { priority: 5, createdAt: 1 }),
      task("t-urgent", { priority: 100, createdAt: 9 }),
      task("t-negative", { priority: -3, createdAt: 0 }),
    )
    expect([...assignLeases(byId, [slots("w1", 3)], NOW).keys()]).toEqual(["t-urgent", "t-early-high", "t-a"])
  })

  it("spreads tasks to the worker with the most free slots, ties by name, never beyond a worker's slots", () => {
    const byId = index(task("a", { createdAt: 1 }), task("b", { createdAt: 2 }), task("c", { createdAt: 3 }), task("d", { createdAt: 4 }), task("e", { createdAt: 5 }))
    const plan = assignLeases(byId, [slots("zed", 2), slots("amy", 2)], NOW)
    expect(Object.fromEntries(plan)).toEqual({ a: "amy", b: "zed", c: "amy", d: "zed" })
  })

  it("gives llm tasks only to workers with a key and targeted tasks only to a worker that plays the identity", () => {
    const byId = index(localTask("local", { createdAt: 1 }), task("llm", { createdAt: 2 }), task("for-ada", { createdAt: 3, targetIdentity: "ada" }))
    const plan = assignLeases(byId, [slots("keyless", 5, { hasLlmKey: false }), slots("ada-player", 2, { identities: ["ada"] })], NOW)
    expect(Object.fromEntries(plan)).toEqual({ local: "keyless", llm: "ada-player", "for-ada": "ada-player" })
    // Without the identity, the targeted task waits.
    expect(assignLeases(byId, [slots("other", 5)], NOW).has("for-ada")).toBe(false)
  })

  it("skips tasks that are not ready: leased, backing off, waiting on a dependency, or finished", () => {
    const byId = index(
      task("leased", { lease: LEASE, status: "claimed" }),
      task("later", { notBefore: NOW + 1_000 }),
      task("waiting", { dependsOn: ["leased"] }),
      task("done", { status: "approved" }),
      task("requeued", { status: "requeued" }),
    )
    expect([...assignLeases(byId, [slots("w1", 10)], NOW).keys()]).toEqual(["requeued"])
  })

  it("no workers, no assignments; the same inputs give the same plan on every replica", () => {
    const byId = index(task("a"), task("b"))
    expect(assignLeases(byId, [], NOW).size).toBe(0)
    const workers = [slots("b", 1), slots("a", 1)]
    expect(Object.fromEntries(assignLeases(byId, workers, NOW))).toEqual(Object.fromEntries(assignLeases(byId, [...workers].reverse(), NOW)))
  })
})

describe("reconcileBlock", () => {
  const ok: BlockContext = { killSwitch: { on: false, reason: "" }, llmKeyAvailable: true }
  const killed: BlockContext = { killSwitch: { on: true, reason: "maintenance" }, llmKeyAvailable: true }
  const noKey: BlockContext = { killSwitch: { on: false, reason: "" }, llmKeyAvailable: false }
  const failedDep = task("dep", { status: "failed" })

  it("a healthy claimable task is left alone", () => {
    expect(reconcileBlock(task("t"), index(), ok)).toBeUndefined()
    expect(reconcileBlock(task("t", { status: "requeued" }), index(), ok)).toBeUndefined()
  })

  it("a broken dependency blocks the task with kind dependency", () => {
    expect(reconcileBlock(task("t", { dependsOn: ["dep"] }), index(failedDep), ok)).toEqual({
      to: "blocked",
      kind: "dependency",
      reason: "dependency dep failed",
    })
    const cancelled = task("dep", { status: "cancelled" })
    expect(reconcileBlock(task("t", { dependsOn: ["dep"], status: "requeued" }), index(cancelled), ok)).toMatchObject({ to: "blocked", kind: "dependency" })
  })

  it("a dependency that is only waiting does not block", () => {
    expect(reconcileBlock(task("t", { dependsOn: ["dep"] }), index(task("dep")), ok)).toBeUndefined()
  })

  it("the kill switch blocks the task with kind kill_switch and its reason", () => {
    expect(reconcileBlock(task("t"), index(), killed)).toEqual({ to: "blocked", kind: "kill_switch", reason: "kill switch: maintenance" })
    expect(reconcileBlock(localTask("t"), index(), killed)).toMatchObject({ kind: "kill_switch" })
  })

  it("an llm task with no key on any worker is blocked with kind no_key and the exact reason", () => {
    expect(NO_KEY_REASON).toBe("no GROQ_API_KEY on any worker")
    expect(reconcileBlock(task("t"), index(), noKey)).toEqual({ to: "blocked", kind: "no_key", reason: "no GROQ_API_KEY on any worker" })
  })

  it("a local task does not need a key", () => {
    expect(reconcileBlock(localTask("t"), index(), noKey)).toBeUndefined()
  })

  it("a broken dependency is reported before the kill switch, and the kill switch before a missing key", () => {
    const all: BlockContext = { killSwitch: { on: true, reason: "stop" }, llmKeyAvailable: false }
    expect(reconcileBlock(task("t", { dependsOn: ["dep"] }), index(failedDep), all)).toMatchObject({ kind: "dependency" })
    expect(reconcileBlock(task("t"), index(), all)).toMatchObject({ kind: "kill_switch" })
  })

  it("leased, running and finished tasks are never blocked", () => {
    const all: BlockContext = { killSwitch: { on: true, reason: "stop" }, llmKeyAvailable: false }
    expect(reconcileBlock(task("t", { lease: LEASE }), index(), all)).toBeUndefined()
    for (const status of ["claimed", "running", "pending_review", "approved", "failed", "cancelled"] as const)
      expect(reconcileBlock(task("t", { status, lease: LEASE }), index(), all), status).toBeUndefined()
  })

  it("a kill-switch block is released when the kill switch is off", () => {
    const t = task("t", { status: "blocked", blocked: { kind: "kill_switch", reason: "kill switch: maintenance" } })
    expect(reconcileBlock(t, index(), ok)).toEqual({ to: "queued", reason: "kill switch released" })
    expect(reconcileBlock(t, index(), killed)).toBeUndefined()
  })

  it("a no-key block is released when a worker with a key is online and the kill switch is off", () => {
    const t = task("t", { status: "blocked", blocked: { kind: "no_key", reason: NO_KEY_REASON } })
    expect(reconcileBlock(t, index(), ok)).toEqual({ to: "queued", reason: "a worker with an LLM key is online" })
    expect(reconcileBlock(t, index(), noKey)).toBeUndefined()
    expect(reconcileBlock(t, index(), killed)).toBeUndefined()
  })

  it("a dependency block is never released automatically, even when the dependency is approved again", () => {
    const t = task("t", { status: "blocked", dependsOn: ["dep"], blocked: { kind: "dependency", reason: "dependency dep failed" } })
    expect(reconcileBlock(t, index(task("dep", { status: "approved" })), ok)).toBeUndefined()
    expect(reconcileBlock(t, index(failedDep), ok)).toBeUndefined()
  })

  it("a blocked task without a recorded block reason is left alone", () => {
    expect(reconcileBlock(task("t", { status: "blocked" }), index(), ok)).toBeUndefined()
  })
})

describe("hasDuplicateRun", () => {
  const run = (leaseId: string, worker: string, startedAt: number, finishedAt?: number, outcome?: ExecutionRecord["outcome"]): ExecutionRecord => ({
    leaseId,
    worker,
    startedAt,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(outcome ? { outcome } : {}),
  })
  /** The relay's mark that it expired this run's lease. */
  const expired = (e: ExecutionRecord, at: number): ExecutionRecord => ({ ...e, expiredAt: at })

  it("no executions, or a single one, is not a duplicate", () => {
    expect(hasDuplicateRun(task("t"))).toBe(false)
    expect(hasDuplicateRun(task("t", { executions: [run("l1", "w1", 0, 10, "ok")] }))).toBe(false)
  })

  it("two finished executions after a partition (the first one's lease expired) are a duplicate run", () => {
    const executions = [expired(run("l1", "island", 0, 10, "ok"), 60_000), run("l2", "mainland", 61_000, 62_000, "ok")]
    expect(hasDuplicateRun(task("t", { executions }))).toBe(true)
  })

  it("a run that errored still ran: a finished error and a finished ok after a partition are a duplicate", () => {
    const executions = [expired(run("l1", "island", 0, 10, "error"), 60_000), run("l2", "mainland", 61_000, 62_000, "ok")]
    expect(hasDuplicateRun(task("t", { executions }))).toBe(true)
  })

  it("a lost execution (lease expired, never finished) does not count: a crash and a rescue are not a duplicate", () => {
    const executions = [expired(run("l1", "doomed", 0), 60_000), run("l2", "rescuer", 61_000, 62_000, "ok")]
    expect(hasDuplicateRun(task("t", { executions }))).toBe(false)
  })

  it("a cancelled execution does not count", () => {
    const executions = [expired(run("l1", "w1", 0, 10, "cancelled"), 60_000), run("l2", "w2", 61_000, 62_000, "ok")]
    expect(hasDuplicateRun(task("t", { executions }))).toBe(false)
  })

  it("an execution still running does not count yet", () => {
    const executions = [expired(run("l1", "w1", 0, 10, "ok"), 60_000), run("l2", "w2", 61_000)]
    expect(hasDuplicateRun(task("t", { executions }))).toBe(false)
  })

  it("runs one after the other under their own leases (critic rejection, then a retry) are not a duplicate", () => {
    const executions = [run("l1", "w1", 0, 10, "ok"), run("l2", "w2", 20, 30, "ok")]
    expect(hasDuplicateRun(task("t", { executions, attempts: 1, status: "approved" }))).toBe(false)
  })

  it("a retry after an execution error is not a duplicate", () => {
    const executions = [run("l1", "w1", 0, 10, "error"), run("l2", "w1", 2_010, 2_020, "ok")]
    expect(hasDuplicateRun(task("t", { executions, errors: 1, status: "approved" }))).toBe(false)
  })
})

describe("totalSpend", () => {
  const result = (costUsd: number): TaskResult => ({
    output: "done",
    model: "llama-3.1-8b-instant",
    costUsd,
    leaseId: "l",
    worker: "w1",
    startedAt: NOW,
    finishedAt: NOW,
  })

  it("sums result.costUsd over the tasks", () => {
    expect(totalSpend([task("a", { result: result(0.25) }), task("b", { result: result(0.5) }), task("c", { result: result(0.125) })])).toBe(0.875)
  })

  it("tasks without a result cost nothing", () => {
    expect(totalSpend([task("a"), task("b", { result: result(0.01) }), localTask("c")])).toBeCloseTo(0.01, 12)
  })

  it("no tasks cost 0, and it takes any iterable (a Map's values)", () => {
    expect(totalSpend([])).toBe(0)
    expect(totalSpend(index(task("a", { result: result(0.1) }), task("b", { result: result(0.2) })).values())).toBeCloseTo(0.3, 12)
  })
})
