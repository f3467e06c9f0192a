import { describe, expect, it } from "vitest"
import {
  RootDoc,
  SCHEMA_VERSION,
  Task,
  type Actor,
  type ExecutionRecord,
  type PeerRecord,
  type TaskResult,
  type TaskStatus,
} from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import {
  chooseLeaseWinner,
  dependencyState,
  hasDuplicateRun,
  isReady,
  NO_KEY_REASON,
  pickCandidates,
  reconcileBlock,
  totalSpend,
  workerCanTake,
  type BlockContext,
  type WorkerProfile,
} from "../../src/core/scheduling.ts"
import { buildTask, type NewTaskInput } from "../../src/core/taskFactory.ts"

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
function root(...peers: PeerRecord[]): RootDoc {
  const url = "automerge:abc"
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: "root",
    workspaceId: "ws-12345678",
    name: "test",
    createdAt: 0,
    docs: { queue: url, identities: url, wallets: url, rooms: url, quests: url, bounties: url, archives: {} },
    peers: Object.fromEntries(peers.map(p => [p.name, p])),
    controls: defaultControls("relay", 0),
  }
}

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

describe("pickCandidates", () => {
  const ids = (ts: Task[]) => ts.map(t => t.id)

  it("orders by priority (highest first), then by creation time, then by id", () => {
    const byId = index(
      task("t-late-low", { priority: 0, createdAt: 3 }),
      task("t-b", { priority: 5, createdAt: 2 }),
      task("t-a", { priority: 5, createdAt: 2 }),
      task("t-early-high", { priority: 5, createdAt: 1 }),
      task("t-urgent", { priority: 100, createdAt: 9 }),
      task("t-negative", { priority: -3, createdAt: 0 }),
    )
    expect(ids(pickCandidates(byId, keyed, NOW, 10))).toEqual(["t-urgent", "t-early-high", "t-a", "t-b", "t-late-low", "t-negative"])
  })

  it("returns at most `limit` tasks, the best ones", () => {
    const byId = index(task("a", { priority: 1 }), task("b", { priority: 3 }), task("c", { priority: 2 }))
    expect(ids(pickCandidates(byId, keyed, NOW, 2))).toEqual(["b", "c"])
    expect(pickCandidates(byId, keyed, NOW, 0)).toEqual([])
    expect(pickCandidates(byId, keyed, NOW, -1)).toEqual([])
  })

  it("skips tasks this worker has already claimed, but not those claimed by others", () => {
    const byId = index(task("mine", { claims: { w1: NOW - 5 } }), task("theirs", { claims: { w9: NOW - 5 } }), task("free"))
    expect(ids(pickCandidates(byId, keyed, NOW, 10)).sort()).toEqual(["free", "theirs"])
  })

  it("skips tasks that are not ready or that the worker cannot take", () => {
    const byId = index(
      task("leased", { lease: LEASE, status: "claimed" }),
      task("later", { notBefore: NOW + 1_000 }),
      task("waiting", { dependsOn: ["leased"] }),
      task("done", { status: "approved" }),
      task("for-ada", { targetIdentity: "ada" }),
      localTask("local"),
      task("llm"),
    )
    expect(ids(pickCandidates(byId, keyless, NOW, 10))).toEqual(["local"])
    expect(ids(pickCandidates(byId, keyed, NOW, 10)).sort()).toEqual(["llm", "local"])
    expect(ids(pickCandidates(byId, { ...keyed, identities: ["ada"] }, NOW, 10)).sort()).toEqual(["for-ada", "llm", "local"])
  })
})

describe("chooseLeaseWinner", () => {
  it("the earliest claim from an approved worker wins", () => {
    const t = task("t", { claims: { w1: NOW + 30, w2: NOW + 10, w3: NOW + 20 } })
    expect(chooseLeaseWinner(t, root(peer("w1"), peer("w2"), peer("w3")))).toBe("w2")
  })

  it("claims at the same time are decided by name", () => {
    const t = task("t", { claims: { zed: NOW, amy: NOW, mia: NOW } })
    expect(chooseLeaseWinner(t, root(peer("zed"), peer("amy"), peer("mia")))).toBe("amy")
  })

  it("ignores pending, revoked and unknown peers even when they claimed first", () => {
    const t = task("t", { claims: { pend: NOW, rev: NOW + 1, ghost: NOW + 2, ok: NOW + 3 } })
    const r = root(peer("pend", { state: "pending" }), peer("rev", { state: "revoked" }), peer("ok"))
    expect(chooseLeaseWinner(t, r)).toBe("ok")
  })

  it("ignores approved peers that are not workers", () => {
    const t = task("t", { claims: { boss: NOW, relay: NOW, w1: NOW + 5 } })
    const r = root(peer("boss", { role: "operator" }), peer("relay", { role: "relay" }), peer("w1"))
    expect(chooseLeaseWinner(t, r)).toBe("w1")
  })

  it("for an llm task, ignores workers without an LLM key", () => {
    const t = task("t", { claims: { nokey: NOW, unsaid: NOW + 1, key: NOW + 2 } })
    const r = root(peer("nokey", { hasLlmKey: false }), peer("unsaid", { hasLlmKey: undefined }), peer("key"))
    expect(chooseLeaseWinner(t, r)).toBe("key")
  })

  it("for a local task, a worker without an LLM key may win", () => {
    const t = localTask("t", { claims: { nokey: NOW, key: NOW + 2 } })
    expect(chooseLeaseWinner(t, root(peer("nokey", { hasLlmKey: false }), peer("key")))).toBe("nokey")
  })

  it("no claims, or no eligible claimant, means no winner", () => {
    expect(chooseLeaseWinner(task("t"), root(peer("w1")))).toBeUndefined()
    const t = task("t", { claims: { pend: NOW, nokey: NOW } })
    expect(chooseLeaseWinner(t, root(peer("pend", { state: "pending" }), peer("nokey", { hasLlmKey: false })))).toBeUndefined()
  })

  it("the winner does not depend on the order the claims were recorded in", () => {
    const r = root(peer("b"), peer("a"), peer("c"))
    const one = task("t", { claims: { c: NOW + 1, b: NOW, a: NOW } })
    const two = task("t", { claims: { a: NOW, b: NOW, c: NOW + 1 } })
    expect(chooseLeaseWinner(one, r)).toBe("a")
    expect(chooseLeaseWinner(two, r)).toBe("a")
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
