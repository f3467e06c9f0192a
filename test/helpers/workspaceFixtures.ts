/** Valid plain records for pure-rule tests: a task, a registered peer, a root document. */
import { SCHEMA_VERSION, type Actor, type PeerRecord, type RootDoc, type Task } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import type { NewTaskInput } from "../../src/domain/tasks/index.ts"
import { buildTask } from "../../src/domain/tasks/index.ts"

export const FIXTURE_NOW = 1_800_000_000_000
const ALICE: Actor = { kind: "operator", name: "alice" }

/** A task added a minute before FIXTURE_NOW (an LLM prompt unless `input` says otherwise). */
export function fixtureTask(id: string, over: Partial<Task> = {}, input: NewTaskInput = { prompt: `do ${id}` }): Task {
  return { ...buildTask(input, defaultControls("x", 0), ALICE, FIXTURE_NOW - 60_000, id), ...over }
}

/** An approved worker, online at FIXTURE_NOW, without an LLM key unless `over` says so. */
export function fixturePeer(name: string, over: Partial<PeerRecord> = {}): PeerRecord {
  return { name, role: "worker", publicKey: "a".repeat(64), state: "approved", registeredAt: 0, auditUrl: "automerge:abc", lastSeen: FIXTURE_NOW - 1_000, ...over }
}

export function fixtureRoot(peers: PeerRecord[], controls: Partial<RootDoc["controls"]> = {}): RootDoc {
  const url = "automerge:abc"
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: "root",
    workspaceId: "ws-12345678",
    name: "test",
    createdAt: 0,
    docs: { queue: url, identities: url, wallets: url, rooms: url, quests: url, bounties: url, archives: {} },
    peers: Object.fromEntries(peers.map(p => [p.name, p])),
    controls: { ...defaultControls("relay", 0), ...controls },
  }
}

export const taskIndex = (...tasks: Task[]): Map<string, Task> => new Map(tasks.map(t => [t.id, t]))
