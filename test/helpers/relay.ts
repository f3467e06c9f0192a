/** An in-process relay on 127.0.0.1, port 0, in its own temp data dir; closed by the teardown. */
import { dirname, join } from "node:path"
import type { Actor, Task } from "../../schemas/index.ts"
import { applyTransition } from "../../src/domain/tasks/taskMachine.ts"
import { writeRelayAddress } from "../../peer-server/dataDir.ts"
import { startRelay, type Relay, type RelayOptions } from "../../peer-server/relay.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { enrolIdentity, fetchWorkspace } from "../../src/peer/nodePeer.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"
import type { EnrolmentProfile } from "../../src/peer/enrolClient.ts"
import { waitFor } from "./waitFor.ts"
import { makeTempDir } from "./tempDir.ts"
import type { Teardown } from "./teardown.ts"

export interface TestRelay extends Relay {
  readonly dataDir: string
  /** The directory holding the data dir: CLI commands run here (`.vivarium/`) act as the owner. */
  readonly workDir: string
  /** The relay's operator log lines (auth failures, data issues). */
  readonly logs: string[]
}

/**
 * Starts a relay in `<temp>/.vivarium` (or `opts.dataDir`), keeping its owner's key there as
 * `vivarium start` does, and says where it listens (relay.json): CLI children run in
 * `workDir` (or given `--data`) find it and act as its owner.
 */
export async function startTestRelay(teardown: Teardown, opts: Partial<RelayOptions> = {}): Promise<TestRelay> {
  const dataDir = opts.dataDir ?? join(makeTempDir(teardown, "vivarium-relay-"), ".vivarium")
  const logs: string[] = []
  // GATE_DEBUG=1 prints the relay's lines (refusals among them) as they happen.
  const log = (line: string) => {
    logs.push(line)
    if (process.env.GATE_DEBUG) console.error(`[relay] ${line}`)
  }
  const relay = await startRelay({ port: 0, host: "127.0.0.1", log, ...opts, dataDir })
  teardown.add(() => relay.close())
  writeRelayAddress(dataDir, { host: relay.host, port: relay.port, pid: process.pid, startedAt: relay.startedAt })
  return { ...relay, dataDir, workDir: dirname(dataDir), logs }
}

/** A new Ed25519 identity (never written to disk) with a unique name. */
export async function freshIdentity(role: PeerIdentity["role"] = "operator", name = `${role}-${Math.random().toString(36).slice(2, 10)}`): Promise<PeerIdentity> {
  const pair = await generateSigningKey()
  return { name, role, publicKeyHex: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

/** Enrols `identity` with the relay over HTTP, as a peer does before it connects (pending). */
export async function enrol(relay: Pick<Relay, "wsUrl" | "token">, identity: PeerIdentity, profile: EnrolmentProfile = {}): Promise<void> {
  const { workspaceId } = await fetchWorkspace(relay.wsUrl, relay.token)
  await enrolIdentity(relay.wsUrl, relay.token, workspaceId, identity, profile)
}

/** Decides a registered peer through the relay's replica, as the owner would. */
export function decide(relay: Pick<Relay, "decideAsOwner">, name: string, state: "approved" | "revoked"): Promise<void> {
  return relay.decideAsOwner(name, state)
}

/** Enrols a new key and approves it: an operator (or worker) a test can connect as. */
export async function approvedIdentity(relay: TestRelay, role: "operator" | "worker" = "operator", name?: string, profile: EnrolmentProfile = {}): Promise<PeerIdentity> {
  const identity = await freshIdentity(role, name)
  await enrol(relay, identity, profile)
  await decide(relay, identity.name, "approved")
  return identity
}

/** The peer name the relay knows an operator by, from the display name it gave. */
export function peerNamed(relay: TestRelay, displayName: string): string {
  const found = Object.entries(relay.workspace.root.peers).find(([, p]) => p.displayName === displayName)
  if (!found) throw new Error(`no peer is called ${displayName}`)
  return found[0]
}

/** A task's status as the relay sees it. */
export function statusOf(relay: TestRelay, id: string): Task["status"] | undefined {
  return relay.workspace.tasks.get(id)?.status
}

/** Waits until the relay's replica shows task `id` in `status`. */
export async function until(relay: TestRelay, id: string, status: Task["status"], timeoutMs = 10_000): Promise<Task> {
  await waitFor(() => statusOf(relay, id) === status, {
    timeoutMs,
    events: [[relay.workspace.tasks, "change"]],
    message: `task ${id} to become ${status} (is ${statusOf(relay, id)})`,
  })
  return relay.workspace.tasks.get(id)!
}

/**
 * The relay's own writes stand in for a worker that runs task `id` to review (the lease, the
 * worker's moves, and the result `output` when given), once the relay sees the task. An LLM
 * task the relay blocked while no worker with a key was online is unblocked first.
 */
export async function runToReviewAsRelay(relay: TestRelay, id: string, output?: string): Promise<void> {
  await waitFor(() => relay.workspace.tasks.get(id) !== undefined, { events: [[relay.workspace.tasks, "change"]], message: `the relay to see task ${id}` })
  const system: Actor = { kind: "system", name: "relay" }
  const worker: Actor = { kind: "worker", name: "w1" }
  const now = Date.now()
  relay.workspace.updateTask(id, d => {
    if (d.status === "blocked") applyTransition(d, "queued", system, now)
    if (d.status !== "claimed") applyTransition(d, "claimed", system, now)
    const leaseId = d.lease?.leaseId ?? `${id}.lease1`
    delete d.lease
    applyTransition(d, "running", worker, now)
    if (output !== undefined) {
      d.executions.push({ leaseId, worker: worker.name, startedAt: now, finishedAt: now, outcome: "ok" })
      d.result = { output, model: "llama-3.1-8b-instant", costUsd: 0, leaseId, worker: worker.name, startedAt: now, finishedAt: now }
    }
    applyTransition(d, "pending_review", worker, now)
  })
}
