import { describe, expect, it } from "vitest"
import { SCHEMA_VERSION, type Actor, type Identity, type PeerRecord, type RootDoc, type Task, type TaskEvent, type TaskStatus } from "../../schemas/index.ts"
import {
  countByStatus,
  DAY_MS,
  entryChainState,
  formatAgo,
  formatRelative,
  health,
  leasesByHolder,
  matchesTask,
  recentFinished,
  spendState,
  throughput,
  workerCounts,
  type DashboardInput,
} from "../../src/core/dashboard.ts"
import { activityFeed } from "../../src/core/activity.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { taskSeries } from "../../src/domain/tasks/series.ts"
import { seededRandom, seedFrom } from "../helpers/seededRandom.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import { fixtureRoot } from "../helpers/workspaceFixtures.ts"

const ALICE: Actor = { kind: "operator", name: "alice" }
const W1: Actor = { kind: "worker", name: "w1" }
const NOW = 1_800_000_000_000
const HOUR = 60 * 60 * 1000

function task(id: string, over: Partial<Task> = {}): Task {
  return { ...buildTask({ command: "ls" }, defaultControls("x", 0), ALICE, NOW - DAY_MS * 2, id), ...over }
}
const event = (to: TaskStatus, at: number, from: TaskStatus = "running"): TaskEvent => ({ at, from, to, by: W1 })
const costing = (id: string, costUsd: number, over: Partial<Task> = {}) =>
  task(id, {
    status: "approved",
    result: { output: "", model: "llama-3.1-8b-instant", costUsd, leaseId: "l", worker: "w1", startedAt: NOW, finishedAt: NOW },
    ...over,
  })

function peer(name: string, over: Partial<PeerRecord> = {}): PeerRecord {
  return { name, role: "worker", publicKey: "a".repeat(64), state: "approved", registeredAt: 0, auditUrl: "automerge:abc", lastSeen: NOW - 1_000, ...over }
}
const root = (peers: PeerRecord[] = [peer("w1")], controls: Partial<RootDoc["controls"]> = {}): RootDoc => fixtureRoot(peers, controls)
const input = (over: Partial<DashboardInput> = {}): DashboardInput => ({ tasks: [], root: root(), now: NOW, issueCount: 0, ...over })

describe("countByStatus", () => {
  it("counts every status, zero included", () => {
    const counts = countByStatus([task("a"), task("b"), task("c", { status: "failed" })])
    expect(counts.queued).toBe(2)
    expect(counts.failed).toBe(1)
    expect(counts.pending_review).toBe(0)
    expect(Object.keys(counts)).toHaveLength(9)
  })
})

describe("throughput", () => {
  it("counts approvals and failures of the last 24 h from history events", () => {
    const tasks = [
      task("a", { status: "approved", history: [event("approved", NOW - 10 * 60_000)] }),
      task("b", { status: "approved", history: [event("pending_review", NOW - 3 * HOUR), event("approved", NOW - 2 * HOUR - 1, "pending_review")] }),
      task("c", { status: "approved", history: [event("approved", NOW - DAY_MS - 1)] }),
      task("d", { status: "failed", history: [event("failed", NOW - HOUR)] }),
      task("e", { status: "failed", history: [event("failed", NOW - 2 * DAY_MS)] }),
    ]
    const t = throughput(tasks, NOW)
    expect(t.approved).toBe(2)
    expect(t.failed).toBe(1)
    expect(t.perHour).toBeCloseTo(2 / 24)
    expect(t.hourly).toHaveLength(24)
    expect(t.hourly[23]).toBe(1)
    expect(t.hourly[21]).toBe(1)
    expect(t.hourly.reduce((a, b) => a + b, 0)).toBe(2)
  })

  it("ignores events stamped in the future by a skewed clock", () => {
    expect(throughput([task("a", { history: [event("approved", NOW + 5_000)] })], NOW).approved).toBe(0)
  })
})

describe("spendState", () => {
  it("sums result costs of the live queue against the cap", () => {
    const s = spendState([costing("a", 0.25), costing("b", 0.25), task("c")], root())
    expect(s).toMatchObject({ spentUsd: 0.5, capUsd: 1, fraction: 0.5, level: "ok" })
  })

  it("watches at 80% of the cap and is critical at the cap, like the relay", () => {
    expect(spendState([costing("a", 0.8)], root()).level).toBe("watch")
    expect(spendState([costing("a", 1)], root()).level).toBe("critical")
  })

  it("a zero cap is reached at once", () => {
    expect(spendState([], root(undefined, { spendCapUsd: 0 })).level).toBe("critical")
  })
})

describe("workerCounts and leases", () => {
  it("counts approved workers online, pending and revoked; operators are not workers", () => {
    const r = root([
      peer("w1"),
      peer("w2", { lastSeen: NOW - 60_000 }),
      peer("w3", { state: "pending" }),
      peer("w4", { state: "revoked" }),
      peer("op", { role: "operator" }),
    ])
    expect(workerCounts(r, NOW)).toEqual({ online: 1, approved: 2, pending: 1, revoked: 1 })
  })

  it("counts the leases each holder has", () => {
    const lease = (holder: string) => ({ leaseId: `l-${holder}`, holder, grantedAt: NOW, expiresAt: NOW, renewals: 0 })
    const held = leasesByHolder([task("a", { lease: lease("w1") }), task("b", { lease: lease("w1") }), task("c", { lease: lease("w2") }), task("d")])
    expect(Object.fromEntries(held)).toEqual({ w1: 2, w2: 1 })
  })
})

describe("health", () => {
  it("is ok with nothing to report", () => {
    expect(health(input())).toEqual({ level: "ok", reasons: [] })
  })

  it("is critical when the kill switch is on, with who and why (its blocked tasks are not listed again)", () => {
    const r = root(undefined, { killSwitch: { on: true, reason: "maintenance", setBy: "alice", setAt: NOW } })
    const h = health(input({ root: r, tasks: [task("a", { status: "blocked", blocked: { kind: "kill_switch", reason: "kill switch: maintenance" } })] }))
    expect(h.level).toBe("critical")
    expect(h.reasons).toEqual([{ level: "critical", text: "kill switch on (by alice): maintenance" }])
  })

  it("is critical when spend reached the cap, and says watch only near it", () => {
    expect(health(input({ tasks: [costing("a", 1.2)] })).reasons).toEqual([{ level: "critical", text: "spend $1.20 has reached the cap $1.00" }])
    expect(health(input({ tasks: [costing("a", 0.85)] })).reasons).toEqual([{ level: "watch", text: "spend $0.85 is 85% of the cap $1.00" }])
  })

  it("is critical when tasks wait and no approved worker is online", () => {
    const offline = root([peer("w1", { lastSeen: NOW - 60_000 }), peer("w2", { state: "pending" })])
    const h = health(input({ tasks: [task("a"), task("b", { status: "requeued" })], root: offline }))
    expect(h.level).toBe("critical")
    expect(h.reasons[0]).toEqual({ level: "critical", text: "2 tasks waiting and no approved worker online" })
    expect(h.reasons).toContainEqual({ level: "watch", text: "1 worker waiting for approval" })
    // No waiting task: no worker is needed.
    expect(health(input({ root: offline })).reasons.some(r => r.level === "critical")).toBe(false)
  })

  it("watches pending reviews, failures in 24 h, blocked tasks, duplicate runs and data issues", () => {
    const noKey = { kind: "no_key" as const, reason: "no GROQ_API_KEY on any worker" }
    const tasks = [
      task("a", { status: "pending_review" }),
      task("b", { status: "failed", history: [event("failed", NOW - HOUR)] }),
      task("c", { status: "approved", duplicateRun: true }),
      task("d", { status: "blocked", blocked: noKey }),
      task("e", { status: "blocked", blocked: noKey }),
      task("f", { status: "blocked", blocked: { kind: "dependency", reason: "dependency b failed" } }),
    ]
    const h = health(input({ tasks, issueCount: 3 }))
    expect(h.level).toBe("watch")
    expect(h.reasons.map(r => r.text)).toEqual([
      "1 result waiting for review",
      "1 task failed in the last 24 h",
      "3 tasks blocked: no GROQ_API_KEY on any worker; a dependency failed or was cancelled",
      "1 task ran twice (a partition let two workers run it)",
      "3 invalid entries in the documents (ignored)",
    ])
  })

  it("lists critical reasons before watch reasons", () => {
    const r = root([peer("w1", { state: "pending" })], { killSwitch: { on: true, reason: "x", setBy: "bob", setAt: NOW } })
    const h = health(input({ root: r, tasks: [task("a")] }))
    expect(h.reasons.map(x => x.level)).toEqual(["critical", "critical", "watch"])
  })
})

describe("task lists", () => {
  it("recentFinished keeps terminal tasks, newest first, up to the limit", () => {
    const tasks = [
      task("a", { status: "approved", updatedAt: NOW - 3 }),
      task("b", { status: "failed", updatedAt: NOW - 1 }),
      task("c", { status: "queued", updatedAt: NOW }),
      task("d", { status: "cancelled", updatedAt: NOW - 2 }),
    ]
    expect(recentFinished(tasks).map(t => t.id)).toEqual(["b", "d", "a"])
    expect(recentFinished(tasks, 1).map(t => t.id)).toEqual(["b"])
  })

  it("matchesTask looks at id and title, ignoring case", () => {
    const t = task("task-abc", { title: "Build the Index" })
    expect(matchesTask(t, "")).toBe(true)
    expect(matchesTask(t, "ABC")).toBe(true)
    expect(matchesTask(t, "index")).toBe(true)
    expect(matchesTask(t, "nope")).toBe(false)
  })
})

describe("relative times", () => {
  it("formatAgo says seconds, minutes, hours and days, and never 'in' for a clock slightly ahead", () => {
    expect(formatAgo(NOW - 12_000, NOW)).toBe("12 s ago")
    expect(formatAgo(NOW - 5 * 60_000, NOW)).toBe("5 min ago")
    expect(formatAgo(NOW - 3 * HOUR, NOW)).toBe("3 h ago")
    expect(formatAgo(NOW - 2 * DAY_MS, NOW)).toBe("2 d ago")
    expect(formatAgo(NOW + 900, NOW)).toBe("0 s ago")
  })

  it("formatRelative tells a deadline ahead from one passed", () => {
    expect(formatRelative(NOW + 40_000, NOW)).toBe("in 40 s")
    expect(formatRelative(NOW - 40_000, NOW)).toBe("40 s ago")
  })
})

describe("entryChainState", () => {
  it("is pending until verified, valid before the first bad seq and broken from it", () => {
    expect(entryChainState({ seq: 0 }, undefined).state).toBe("pending")
    expect(entryChainState({ seq: 4 }, { ok: true, peer: "w1", entries: 5 })).toEqual({ state: "valid", text: "chain verified" })
    const bad = { ok: false as const, peer: "w1", seq: 2, reason: "bad signature", entries: 5 }
    expect(entryChainState({ seq: 1 }, bad).state).toBe("valid")
    expect(entryChainState({ seq: 1 }, bad).text).toContain("breaks later, at seq 2")
    expect(entryChainState({ seq: 2 }, bad)).toEqual({ state: "broken", text: "chain broken at seq 2: bad signature" })
    expect(entryChainState({ seq: 3 }, bad).state).toBe("broken")
  })
})

describe("taskSeries", () => {
  const w = { now: NOW, buckets: 4, bucketMs: HOUR }
  const call = (at: number, costUsd: number) => ({ model: "llama-3.1-8b-instant", promptTokens: 1, completionTokens: 1, costUsd, at, ok: true, leaseId: "l", worker: "w1" })

  it("counts approvals and failures per bucket, the last bucket ending now", () => {
    const s = taskSeries(
      [
        task("a", { status: "approved", history: [event("approved", NOW - 10)] }),
        task("b", { status: "failed", history: [event("failed", NOW - 2 * HOUR - 1)] }),
        task("c", { status: "approved", history: [event("approved", NOW - 5 * HOUR)] }),
      ],
      w,
    )
    expect(s.ends).toEqual([NOW - 3 * HOUR, NOW - 2 * HOUR, NOW - HOUR, NOW])
    expect(s.approved).toEqual([0, 0, 0, 1])
    expect(s.failed).toEqual([0, 1, 0, 0])
  })

  it("spends each LLM call in its bucket, or a task's result when it recorded no calls", () => {
    const s = taskSeries(
      [
        task("a", { calls: [call(NOW - 30 * 60_000, 0.01), call(NOW - 3.5 * HOUR, 0.02), call(NOW - 9 * HOUR, 5)] }),
        costing("b", 0.04, { result: { output: "", model: "m", costUsd: 0.04, leaseId: "l", worker: "w1", startedAt: NOW - HOUR - 5, finishedAt: NOW - HOUR - 1 } }),
      ],
      w,
    )
    expect(s.spendUsd).toEqual([0.02, 0, 0.04, 0.01])
  })

  it("counts a task open from its creation until its first terminal event (queue depth at each bucket's end)", () => {
    const s = taskSeries(
      [
        task("old-open", { createdAt: NOW - DAY_MS }),
        task("new", { createdAt: NOW - 90 * 60_000 }),
        task("closed", { createdAt: NOW - 3.5 * HOUR, status: "approved", history: [event("pending_review", NOW - 3 * HOUR), event("approved", NOW - 2.5 * HOUR, "pending_review")] }),
        task("legacy", { createdAt: NOW - 5 * HOUR, status: "cancelled", updatedAt: NOW - 30 * 60_000, history: [] }),
      ],
      w,
    )
    expect(s.depth).toEqual([3, 2, 3, 2])
  })

  it("throughput reads the same buckets", () => {
    const tasks = [task("a", { status: "approved", history: [event("approved", NOW - 10)] })]
    expect(throughput(tasks, NOW).hourly).toEqual(taskSeries(tasks, { now: NOW, buckets: 24, bucketMs: HOUR }).approved)
  })
})

describe("activityFeed", () => {
  const ADA: Actor = { kind: "operator", name: "ada-7f" }
  const feedRoot = root([peer("w1"), peer("ada-7f", { role: "operator", displayName: "Ada Lovelace" })])
  const residents = new Map([["moss", { id: "moss", name: "Moss Keeper" } as Identity]])

  it("names people and things, leaves lease grants out, and lists the newest first", () => {
    const t = task("t1", {
      title: "Paint the caves",
      createdBy: "ada-7f",
      createdAt: NOW - 50,
      status: "approved",
      history: [
        { at: NOW - 40, from: "queued", to: "claimed", by: { kind: "system", name: "relay" } },
        { at: NOW - 30, from: "claimed", to: "running", by: W1 },
        { at: NOW - 20, from: "running", to: "pending_review", by: W1 },
        { at: NOW - 10, from: "pending_review", to: "approved", by: ADA, reason: "approve by operator ada-7f" },
      ],
    })
    const feed = activityFeed({ tasks: [t], root: feedRoot, residents })
    expect(feed.map(i => [i.kind, i.who, i.did, i.what])).toEqual([
      ["decision", "Ada Lovelace", "approved", "Paint the caves"],
      ["task", undefined, "is waiting for review", "Paint the caves"],
      ["task", "w1", "started", "Paint the caves"],
      ["task", "Ada Lovelace", "added", "Paint the caves"],
    ])
    expect(feed[0]!.to).toBe("/tasks/t1")
    expect(feed.some(i => i.note?.includes("approve by operator"))).toBe(false)
  })

  it("tells what happened to a task with its reason, and counts quests, bounties and mail (not a stale run's, not review notices)", () => {
    const failed = task("t2", { title: "Count", createdBy: "ada-7f", createdAt: NOW - 100, history: [{ at: NOW - 90, from: "running", to: "failed", by: W1, reason: "execution failed 3 times" }] })
    const stale = { taskId: "t2", leaseId: "old" }
    const feed = activityFeed({
      tasks: [failed],
      root: feedRoot,
      residents,
      quests: [{ id: "q1", title: "Map the greenhouse", createdAt: NOW - 80 }],
      bounties: [
        {
          id: "b1",
          title: "Best haiku",
          description: "",
          reward: 5,
          slots: 2,
          state: "completed",
          submissions: {
            s1: { id: "s1", members: ["moss"], content: "x", at: NOW - 70 },
            s2: { id: "s2", members: ["moss"], content: "y", at: NOW - 69, run: stale },
          },
          createdBy: "ada-7f",
          createdAt: NOW - 75,
          completedBy: "ada-7f",
          completedAt: NOW - 60,
        },
      ],
      mail: [
        { id: "m1", direction: "to_human", resident: "moss", type: "idea", content: "Let us   grow ferns", by: "moss", at: NOW - 50 },
        { id: "m2", direction: "from_human", resident: "moss", type: "reply", content: "Yes", by: "ada-7f", at: NOW - 40 },
        { id: "pending-t2", direction: "to_human", resident: "moss", type: "task_pending_approval", content: "approve?", by: "moss", at: NOW - 30 },
      ],
      staleRun: run => (run?.leaseId === "old" ? "stale" : undefined),
    })
    const lines = feed.map(i => [i.who ?? "", i.did, i.what, i.note ?? ""].join("|"))
    expect(lines).toEqual([
      "Ada Lovelace|replied to|Moss Keeper|Yes",
      "Moss Keeper|wrote to|the humans|Let us grow ferns",
      "Ada Lovelace|completed the bounty|Best haiku|",
      "Moss Keeper|answered the bounty|Best haiku|",
      "Ada Lovelace|posted the bounty|Best haiku|",
      "|New quest|Map the greenhouse|",
      "|failed|Count|execution failed 3 times",
      "Ada Lovelace|added|Count|",
    ])
    expect(activityFeed({ tasks: [failed], root: feedRoot }, 1)).toHaveLength(1)
  })

  it("tells the kill switch's last change, once it was ever used", () => {
    const halted = root([peer("ada-7f", { role: "operator", displayName: "Ada Lovelace" })], { killSwitch: { on: true, reason: "disk   full", setBy: "ada-7f", setAt: NOW - 5 } })
    expect(activityFeed({ tasks: [], root: halted })).toEqual([
      { key: "control:kill-switch", at: NOW - 5, kind: "control", who: "Ada Lovelace", did: "halted all work", what: "kill switch", to: "/runtime", note: "disk full" },
    ])
    expect(activityFeed({ tasks: [], root: feedRoot })).toEqual([])
  })

  it("the newest n items are the same whether the feed is cut at n or not (random queues)", () => {
    const seed = seedFrom("FEED_SEED")
    const rnd = seededRandom(seed)
    const statuses: TaskStatus[] = ["claimed", "running", "pending_review", "approved", "failed", "requeued", "queued"]
    const tasks = Array.from({ length: 300 }, (_, i) => {
      const createdAt = NOW - rnd.int(0, 10_000)
      let at = createdAt
      const history = Array.from({ length: rnd.int(0, 4) }, () => event(statuses[rnd.int(0, statuses.length - 1)]!, (at += rnd.int(0, 500))))
      return task(`t${i}`, { createdAt, history })
    })
    const all = activityFeed({ tasks, root: feedRoot }, 10_000).map(i => i.key)
    for (const n of [1, 7, 30, 299]) expect(activityFeed({ tasks, root: feedRoot }, n).map(i => i.key), `seed ${seed}, n ${n}`).toEqual(all.slice(0, n))
  })
})
