import { describe, expect, it } from "vitest"
import type { Task } from "../../schemas/index.ts"
import { questWork } from "../../src/domain/quests/index.ts"
import { waitReasons } from "../../src/domain/tasks/index.ts"
import { FIXTURE_NOW as NOW, fixturePeer as peer, fixtureRoot as root, fixtureTask, taskIndex } from "../helpers/workspaceFixtures.ts"

const QUEST = { id: "quest-1", taskId: "t3" }
const LINK = { kind: "quest" as const, id: "quest-1" }
const task = (id: string, over: Partial<Task> = {}) => fixtureTask(id, { link: LINK, ...over })
const LEASE = { leaseId: "l", holder: "w1", grantedAt: NOW, expiresAt: NOW + 60_000, renewals: 0 }

function work(tasks: Task[], peers = [peer("w1")], quest: { id: string; taskId?: string } = QUEST) {
  const byId = taskIndex(...tasks)
  return questWork(quest, byId.values(), waitReasons({ root: root(peers), tasks: byId, spend: { spentUsd: 0, capUsd: 1, reached: false }, now: NOW }))
}

describe("questWork", () => {
  it("counts the quest's tasks by state and says why the waiting one waits", () => {
    const w = work([task("t1", { status: "approved" }), task("t2", { status: "approved" }), task("t3"), fixtureTask("other")])
    expect(w).toMatchObject({ total: 3, done: 2, running: 0, review: 0 })
    expect(w.waiting).toEqual([{ short: "no worker with an LLM key", text: expect.stringMatching(/^no online worker has an LLM key/), stuck: true, taskIds: ["t3"] }])
    expect(w.summary).toBe("2 of 3 tasks done, 1 waiting: no worker with an LLM key")
  })

  it("running, starting, awaiting review, failed and cancelled tasks", () => {
    const keyed = [peer("w1", { hasLlmKey: true })]
    const w = work(
      [task("t1", { status: "running", lease: LEASE }), task("t2", { status: "claimed", lease: LEASE }), task("t3", { status: "pending_review" }), task("t4", { status: "failed" }), task("t5", { status: "cancelled" })],
      keyed,
    )
    expect(w.summary).toBe("0 of 5 tasks done, 2 running, 1 awaiting review, 1 failed, 1 cancelled")
  })

  it("different reasons are listed with their counts", () => {
    const w = work([task("t1"), task("t2"), task("t3", { dependsOn: ["t1"] })])
    expect(w.summary).toBe("0 of 3 tasks done, 3 waiting: no worker with an LLM key (2); waiting for “do t1” (1)")
  })

  it("a quest without a task, and one whose task is not in the live queue", () => {
    expect(work([], [], { id: "quest-1" }).summary).toBe("no task yet")
    expect(work([]).summary).toMatch(/^its task t3 is not in the live queue/)
  })
})
