/**
 * One execution plane for the queue benchmark: the relay and each worker in its own child
 * process (bench/queueRelay.ts, bench/queueWorker.ts), and an operator peer plus the fake
 * Groq server (test/helpers/fakeGroq.ts, zero latency) in the bench process.
 */
import { join } from "node:path"
import type { Task } from "../schemas/index.ts"
import { decidePeer, openOwnAuditLog } from "../src/domain/peers/index.ts"
import { connectPeer, type NodePeer } from "../src/peer/nodePeer.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import type { FakeGroq } from "../test/helpers/fakeGroq.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { withTimeout } from "./lib/cleanup.ts"
import { epochNow, spawnNode, tempDir, whenIdle, type Child } from "./lib/proc.ts"
import type { ProbeSnapshot } from "./queueProbe.ts"

export interface RigOptions {
  /** An existing relay data directory (a workspace built beforehand); a fresh one by default. */
  dataDir?: string
  /** Relay extensions to leave out, by name (the old layout of a workspace built beforehand). */
  leaveOut?: readonly string[]
  /** Worker names are `<prefix>1`, `<prefix>2` …; a second rig on the same data directory needs other names (a name keeps its key). */
  workerPrefix?: string
  workers: number
  concurrency: number
  /** Let the relay and every worker write a V8 CPU profile (`<name>.cpuprofile`) here. */
  cpuProfDir?: string
  leaseMs?: number
  schedulerTickMs?: number
  scanMs?: number
  heartbeatMs?: number
  rateLimitPerMinute: number
}

export interface RelayStats {
  probe: ProbeSnapshot
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  tasks: number
  counts: Record<string, number>
}

export interface WorkerStats {
  probe: ProbeSnapshot
  finished: Record<string, number>
}

export interface Rig {
  readonly relay: Child
  readonly workers: Child[]
  readonly op: NodePeer
  /** Who the operator peer writes as: the relay's owner (the change gate takes a task only from the operator it names). */
  readonly operator: { kind: "operator"; name: string }
  pids(): number[]
  relayStats(): Promise<RelayStats>
  workerStats(): Promise<WorkerStats[]>
  resetCounters(): Promise<void>
  /** Starts / stops the CPU profilers of the relay and the workers (needs `cpuProfDir`). */
  profiler(action: "start" | "stop"): Promise<void>
  /** Stops workers, then the operator, then the relay (each exits, writing its profile). */
  stop(): Promise<void>
}

let seq = 0
/** Sends `command N` to a child and resolves with its `COMMAND N <json>` answer. */
export async function ask<T>(child: Child, command: string, timeoutMs = 15_000): Promise<T> {
  const n = ++seq
  const answer = child.waitForLine(new RegExp(`^${command.toUpperCase()} ${n} (.*)$`), timeoutMs)
  child.send(`${command} ${n}`)
  const value = JSON.parse((await answer)[1]!) as T & { error?: string }
  if (value && typeof value === "object" && "error" in value && value.error) throw new Error(`${command}: ${value.error}`)
  return value
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))

export async function startRig(scope: Cleanup, fake: FakeGroq, opts: RigOptions, label: string): Promise<Rig> {
  const prof = (name: string) => (opts.cpuProfDir ? { profile: join(opts.cpuProfDir, `${name}.cpuprofile`) } : {})
  const relayDir = opts.dataDir ?? tempDir(scope, "queue-relay")
  const relay = spawnNode(scope, `${label} relay`, ["--import", "tsx"], [
    "bench/queueRelay.ts",
    JSON.stringify({
      dataDir: relayDir,
      ...prof("relay"),
      ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
      ...(opts.schedulerTickMs !== undefined ? { schedulerTickMs: opts.schedulerTickMs } : {}),
      ...(opts.leaveOut?.length ? { leaveOut: opts.leaveOut } : {}),
    }),
  ])
  const ready = JSON.parse((await relay.waitForLine(/^READY (.*)$/, 30_000))[1]!) as { wsUrl: string; token: string }
  // Workers start once the relay is idle: one restarted on a big workspace first catches up.
  await whenIdle(relay.pid, `${label} relay catching up`)

  const names = Array.from({ length: opts.workers }, (_, i) => `${opts.workerPrefix ?? "bench-w"}${i + 1}`)
  const workers = names.map(name =>
    spawnNode(scope, `${label} ${name}`, ["--import", "tsx"], [
      "bench/queueWorker.ts",
      JSON.stringify({
        relay: ready.wsUrl,
        token: ready.token,
        dataDir: tempDir(scope, `queue-${name}`),
        name,
        concurrency: opts.concurrency,
        baseURL: fake.baseURL,
        rateLimitPerMinute: opts.rateLimitPerMinute,
        ...prof(name),
        ...(opts.scanMs !== undefined ? { scanMs: opts.scanMs } : {}),
        ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
        ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
      }),
    ]),
  )
  // startRelay without an owner keeps one in its data dir: the operator speaks for it.
  const owner = await loadOrCreateIdentity(join(relayDir, "owner-identity"), "owner", "operator")
  const op = await connectPeer({ relay: ready.wsUrl, token: ready.token, identity: owner, retryMs: 1000, connectTimeoutMs: 15_000 })
  const closeOp = scope.add(`${label} operator`, () => op.close())
  await Promise.all(workers.map(w => w.waitForLine(/^READY /, 60_000)))

  // Approve each worker as `vivarium worker approve` does: a signed decision by the owner, in its audit log.
  await waitUntil(op, () => names.every(n => !!op.workspace.root.peers[n]), 30_000, "workers registered at the operator")
  const audit = await openOwnAuditLog(op.repo, op.workspace.root, owner)
  for (const n of names) await decidePeer({ workspace: op.workspace, audit, actor: { kind: "operator", name: owner.name } }, n, "approved", "worker")
  await audit.settled()
  // The relay must see every worker approved, holding a key and advertising its concurrency
  // (the slots it assigns leases into) before LLM tasks arrive; otherwise it blocks them
  // with "no GROQ_API_KEY on any worker".
  const deadline = Date.now() + 30_000
  for (;;) {
    const peers = await ask<Record<string, { state: string; hasLlmKey: boolean; concurrency: number }>>(relay, "peers")
    if (names.every(n => peers[n]?.state === "approved" && peers[n]?.hasLlmKey && peers[n]?.concurrency === opts.concurrency)) break
    if (Date.now() > deadline) throw new Error(`${label}: relay never saw all workers approved with a key: ${JSON.stringify(peers)}`)
    await sleep(50)
  }

  return {
    relay,
    workers,
    op,
    operator: { kind: "operator", name: owner.name },
    pids: () => [relay.pid, ...workers.map(w => w.pid)],
    relayStats: () => ask<RelayStats>(relay, "stats"),
    workerStats: () => Promise.all(workers.map(w => ask<WorkerStats>(w, "stats"))),
    async profiler(action) {
      await Promise.all([relay, ...workers].map(c => ask(c, `prof${action}`, 60_000)))
    },
    async resetCounters() {
      await Promise.all([relay, ...workers].map(c => ask(c, "reset")))
    },
    async stop() {
      await Promise.all(workers.map(w => stopChild(w)))
      await closeOp()
      await stopChild(relay)
    },
  }
}

/** Asks the child to stop (clean exit, profile written); SIGTERM/SIGKILL if it hangs. */
async function stopChild(child: Child): Promise<void> {
  child.send("stop")
  const exited = await Promise.race([child.exited.then(() => true), sleep(20_000).then(() => false)])
  if (!exited) await child.stop(2_000)
}

/** Resolves once `test()` holds, re-checked on every root or task change of the operator's view. */
export function waitUntil(op: NodePeer, test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  if (test()) return Promise.resolve()
  let off = () => {}
  return withTimeout(
    new Promise<void>(resolve => {
      const check = () => {
        if (test()) resolve()
      }
      const timer = setInterval(check, 100)
      op.workspace.rootHandle.on("change", check)
      op.workspace.tasks.on("change", check)
      off = () => {
        clearInterval(timer)
        op.workspace.rootHandle.off("change", check)
        op.workspace.tasks.off("change", check)
      }
    }),
    timeoutMs,
    what,
  ).finally(() => off())
}

export const FINAL: ReadonlySet<Task["status"]> = new Set(["approved", "failed", "cancelled", "pending_review"])

/**
 * Waits until every id in `ids` reaches a final status in the operator's validated view;
 * resolves with the time (epoch ms) each was first seen final there.
 */
export function whenAllFinal(op: NodePeer, ids: readonly string[], timeoutMs: number): { done: Promise<void>; seenAt: Map<string, number>; pending: Set<string> } {
  const pending = new Set(ids)
  const seenAt = new Map<string, number>()
  const tasks = op.workspace.tasks
  let resolveDone!: () => void
  let rejectDone!: (e: Error) => void
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  const checkKey = (id: string, t: number) => {
    const status = tasks.get(id)?.status
    if (status && FINAL.has(status)) {
      pending.delete(id)
      seenAt.set(id, t)
    }
  }
  const onChange = ({ changedKeys }: { changedKeys: ReadonlySet<string> | "all" }) => {
    const t = epochNow()
    if (changedKeys === "all") for (const id of [...pending]) checkKey(id, t)
    else for (const id of changedKeys) if (pending.has(id)) checkKey(id, t)
    if (!pending.size) finish()
  }
  const timer = setTimeout(() => {
    tasks.off("change", onChange)
    rejectDone(new Error(`${pending.size} of ${ids.length} tasks not final within ${timeoutMs} ms`))
  }, timeoutMs)
  const finish = () => {
    clearTimeout(timer)
    tasks.off("change", onChange)
    resolveDone()
  }
  tasks.on("change", onChange)
  onChange({ changedKeys: "all" })
  return { done, seenAt, pending }
}
