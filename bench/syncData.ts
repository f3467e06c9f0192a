/**
 * Documents used by the sync benchmark. Both systems get byte-for-byte the same shapes
 * (the Vivarium schemas); the bare relay just does not know what they mean.
 */
import type { Message, QuestDoc, QueueDoc, RoomDoc, Task } from "../schemas/index.ts"
import { DEFAULT_OWNER_NAME } from "../peer-server/dataDir.ts"

export const SCHEMA_VERSION_1 = 1 as const

/**
 * A realistic queued local task, valid under the Task schema, as an operator adds it: by
 * default by the relay's owner, whom the benchmark's Vivarium peers speak for (the relay's
 * change gate accepts a new task only from the operator it names).
 */
export function makeTask(i: number, now: number, createdBy = DEFAULT_OWNER_NAME): Task {
  const id = `task-${(now + i).toString(36)}-${(i % 0xffff).toString(16).padStart(4, "0")}`
  return {
    id,
    title: `Benchmark task ${i}: summarise the build log and list flaky tests`,
    mode: "local",
    command: `echo "task ${i}" && ls -la /tmp`,
    model: "auto",
    minBudgetUsd: 0.05,
    maxBudgetUsd: 0.1,
    priority: i % 7,
    dependsOn: [],
    room: "town_hall",
    status: "queued",
    attempts: 0,
    errors: 0,
    executions: [],
    createdBy,
    createdAt: now,
    updatedAt: now,
    history: [],
  }
}

export function makeMessage(i: number, now: number): Message {
  return {
    id: `msg-${i.toString(36)}`,
    author: `resident-${i % 12}`,
    content: `Message ${i}: the worker finished the nightly run; three tests were flaky and one timed out.`,
    importance: i % 10,
    at: now + i,
  }
}

export function emptyQueue(): QueueDoc {
  return { schemaVersion: SCHEMA_VERSION_1, kind: "queue", tasks: {} }
}

export function emptyRoom(roomId = "town_hall"): RoomDoc {
  return { schemaVersion: SCHEMA_VERSION_1, kind: "room", roomId, messages: [] }
}

export function makeQuest(i: number, objective: string, now: number): QuestDoc {
  return {
    schemaVersion: SCHEMA_VERSION_1,
    kind: "quest",
    id: `quest-${i}`,
    title: `Benchmark quest ${i}`,
    objective,
    budgetUsd: 0.1,
    upfrontTip: 0,
    completionReward: 0,
    state: "active",
    // The relay checks a quest's author against the peer that writes it: the benchmarks' peers speak for the owner.
    createdBy: DEFAULT_OWNER_NAME,
    createdAt: now,
    updatedAt: now,
  }
}
