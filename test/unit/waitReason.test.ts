import { describe, expect, it } from "vitest"
import type { PeerRecord, RootDoc, Task } from "../../schemas/index.ts"
import { waitReasons, type WaitContext } from "../../src/domain/tasks/index.ts"
import { FIXTURE_NOW as NOW, fixturePeer as peer, fixtureRoot as root, fixtureTask as task, taskIndex } from "../helpers/workspaceFixtures.ts"

const local = (id: string, over: Partial<Task> = {}) => task(id, over, { command: "ls" })
const NO_SPEND = { spentUsd: 0, capUsd: 1, reached: false }
const keyed = (name: string, over: Partial<PeerRecord> = {}) => peer(name, { hasLlmKey: true, ...over })
const LEASE = { leaseId: "lease-1", holder: "w1", grantedAt: NOW - 5_000, expiresAt: NOW + 55_000, renewals: 1 }

function why(t: Task, r: RootDoc, others: Task[] = [], over: Partial<WaitContext> = {}) {
  return waitReasons({ root: r, tasks: taskIndex(t, ...others), spend: NO_SPEND, now: NOW, ...over })(t)
}

describe("waitReasons", () => {
  it("says nothing of finished tasks or of a task running on a worker that is heard from", () => {
    for (const status of ["approved", "failed", "cancelled"] as const) expect(why(task("t", { status }), root([keyed("w1")])), status).toBeUndefined()
    expect(why(task("t", { status: "running", lease: LEASE }), root([keyed("w1")]))).toBeUndefined()
  })

  it("a result pending review waits for an operator", () => {
    expect(why(task("t", { status: "pending_review" }), root([keyed("w1")]))).toMatchObject({ kind: "review", short: "waits for your review" })
  })

  it("names the dependency it waits for, with its status, and counts the others", () => {
    const a = task("task-a", { title: "Collect the data", status: "running" })
    const b = task("task-b", { status: "queued" })
    const reason = why(task("t", { dependsOn: ["task-a", "task-b"] }), root([keyed("w1")]), [a, b])
    expect(reason).toMatchObject({ kind: "dependency", short: "waiting for “Collect the data” +1" })
    expect(reason?.text).toBe("waiting for “Collect the data” (task-a, running) and 1 other task to be approved: it runs once every task it depends on is approved")
  })

  it("a dependency missing from the live queue is named by its id", () => {
    expect(why(task("t", { dependsOn: ["task-gone"] }), root([keyed("w1")]))?.text).toMatch(/^waiting for task-gone \(not in the live queue\)/)
  })

  it("a failed or cancelled dependency: the task cannot run, and says what to do", () => {
    const failed = task("task-a", { title: "Build", status: "failed" })
    const reason = why(task("t", { status: "blocked", dependsOn: ["task-a"], blocked: { kind: "dependency", reason: "dependency task-a failed" } }), root([keyed("w1")]), [failed])
    expect(reason).toMatchObject({ kind: "dependency_failed", short: "dependency failed" })
    expect(reason?.text).toBe("it depends on “Build” (task-a), which failed: it cannot run; cancel it, or edit it to drop that dependency")
    const cancelled = task("task-a", { status: "cancelled" })
    expect(why(task("t", { dependsOn: ["task-a"] }), root([keyed("w1")]), [cancelled])?.text).toMatch(/which was cancelled/)
  })

  it("the kill switch halts every task that is not running, naming who and why", () => {
    const r = root([keyed("w1")], { killSwitch: { on: true, reason: "maintenance", setBy: "alice", setAt: NOW } })
    const reason = why(local("t"), r)
    expect(reason).toMatchObject({ kind: "halted", short: "halted" })
    expect(reason?.text).toMatch(/halted \(alice: maintenance\).*vivarium resume/)
    // It also wins over a dependency that only waits, and is said of a claimed task.
    expect(why(task("t", { dependsOn: ["x"] }), r, [task("x")])?.kind).toBe("halted")
    expect(why(task("t", { status: "claimed", lease: LEASE }), r)?.kind).toBe("halted")
  })

  it("over the spend cap: halted by the relay, or, before it halts, every LLM task (not local ones)", () => {
    const spend = { spentUsd: 1.2, capUsd: 1, reached: true }
    const halted = root([keyed("w1")], { killSwitch: { on: true, reason: "spend cap reached ($1.20 >= $1.00)", setBy: "relay", setAt: NOW } })
    const reason = why(local("t"), halted, [], { spend })
    expect(reason).toMatchObject({ kind: "over_budget", short: "over the spend cap" })
    expect(reason?.text).toMatch(/LLM spend \$1\.20 has reached the workspace's spend cap \$1\.00; the relay halted the workspace: raise the cap under Runtime, then resume/)
    expect(why(task("t"), root([keyed("w1")]), [], { spend })?.text).toMatch(/no LLM task runs until the cap is raised/)
    expect(why(local("t"), root([keyed("w1")]), [], { spend })?.kind).toBe("queued")
  })

  it("a task backing off after an execution error says when it retries and why", () => {
    const reason = why(local("t", { status: "requeued", errors: 1, notBefore: NOW + 12_000, lastError: "spawn failed" }), root([peer("w1")]))
    expect(reason).toMatchObject({ kind: "backoff", short: "retry in 12 s", text: "retries in 12 s after 1 execution error: spawn failed" })
  })

  it("no worker online at all, naming an approved worker that went offline", () => {
    expect(why(local("t"), root([]))).toMatchObject({ kind: "no_worker", short: "no worker online" })
    const gone = peer("box2", { lastSeen: NOW - 5 * 60_000 })
    expect(why(local("t"), root([gone]))?.text).toMatch(/^no worker is online \(box2 was last seen 5 min ago\): vivarium start/)
  })

  it("a worker that could take it awaits approval, with the command that approves it", () => {
    const pending = peer("box2", { state: "pending", lastSeen: undefined })
    const reason = why(local("t"), root([pending]))
    expect(reason).toMatchObject({ kind: "pending_worker", short: "box2 awaits approval" })
    expect(reason?.text).toMatch(/vivarium worker approve box2/)
    // A pending worker that could not take it (no key for an LLM task) is not the reason.
    expect(why(task("t"), root([peer("w1"), pending]))?.kind).toBe("no_llm_key")
  })

  it("an LLM task with no key on any online worker says so, also when the relay blocked it", () => {
    const reason = why(task("t"), root([peer("w1")]))
    expect(reason).toMatchObject({ kind: "no_llm_key", short: "no worker with an LLM key" })
    expect(reason?.text).toMatch(/^no online worker has an LLM key: an LLM task needs a worker started with GROQ_API_KEY/)
    const blocked = task("t", { status: "blocked", blocked: { kind: "no_key", reason: "no GROQ_API_KEY on any worker" } })
    expect(why(blocked, root([peer("w1")]))?.kind).toBe("no_llm_key")
  })

  it("a resident's task that no online worker plays names the resident and how to play it", () => {
    const forAda = task("t", { targetIdentity: "ada" })
    const reason = why(forAda, root([keyed("w1", { identities: ["bob"] })]), [], { residentName: id => (id === "ada" ? "Ada" : undefined) })
    expect(reason).toMatchObject({ kind: "no_resident_worker", short: "no worker plays Ada" })
    // Neither a key nor the resident: both are said.
    expect(why(forAda, root([peer("w1")]), [], { residentName: () => "Ada" })?.text).toBe(
      "no online worker has an LLM key: an LLM task needs a worker started with GROQ_API_KEY in its environment, playing resident Ada (vivarium start plays every resident; or vivarium worker --residents ada)",
    )
    expect(reason?.text).toMatch(/^no online worker plays resident Ada: the worker of vivarium start plays every resident; one started with vivarium worker --residents ada \(or --residents all\) plays it, with GROQ_API_KEY/)
    // Played, but only by a worker without a key: the key is what is missing.
    const keyless = why(forAda, root([keyed("w1"), peer("w2", { identities: ["ada"] })]))
    expect(keyless).toMatchObject({ kind: "no_llm_key" })
    expect(keyless?.text).toMatch(/no online worker with an LLM key plays resident ada \(w2 has no key\)/)
  })

  it("with a worker able to take it: being leased, next in line, or behind N others", () => {
    const r = root([keyed("w1")])
    expect(why(local("t"), r)).toMatchObject({ kind: "queued", short: "being leased" })
    const busy = local("busy", { status: "running", lease: LEASE })
    expect(why(local("t"), r, [busy])).toMatchObject({ kind: "queued", short: "next in line" })
    const first = local("first", { priority: 5 })
    const second = local("second", { createdAt: NOW - 120_000 })
    const reason = why(local("t"), r, [busy, first, second])
    expect(reason).toMatchObject({ kind: "queued", short: "behind 2 tasks" })
    expect(reason?.text).toBe("queued behind 2 other tasks (higher priority or older); the workers that can take it (w1) are busy")
  })

  it("a lease on a worker that is starting it, or that went silent", () => {
    expect(why(local("t", { status: "claimed", lease: LEASE }), root([keyed("w1")]))).toMatchObject({ kind: "starting", short: "starting on w1" })
    const silent = root([keyed("w1", { lastSeen: NOW - 40_000 })])
    for (const status of ["claimed", "running"] as const) {
      const reason = why(local("t", { status, lease: LEASE }), silent)
      expect(reason, status).toMatchObject({ kind: "silent_worker", short: "w1 went silent" })
      expect(reason?.text).toBe("leased to w1, which has not been heard from for 40 s: the relay gives the task to another worker once the lease runs out (in 55 s)")
    }
  })

  it("says whether the wait ends by itself or needs someone to act", () => {
    const r = root([keyed("w1")])
    expect(why(local("t"), r)?.stuck).toBe(false)
    expect(why(task("t", { dependsOn: ["x"] }), r, [task("x")])?.stuck).toBe(false)
    expect(why(task("t"), root([peer("w1")]))?.stuck).toBe(true)
    expect(why(task("t", { status: "pending_review" }), r)?.stuck).toBe(true)
  })

  it("a block the documents no longer explain falls back to its recorded reason", () => {
    const t = local("t", { status: "blocked", blocked: { kind: "kill_switch", reason: "kill switch: maintenance" } })
    expect(why(t, root([peer("w1")]))).toMatchObject({ kind: "blocked", short: "blocked", text: expect.stringMatching(/^blocked: kill switch: maintenance/) })
  })
})
