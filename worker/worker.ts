/**
 * The headless worker peer: asks the relay for leases on ready tasks, runs what it is
 * granted (renewing the lease while it runs), puts results through the critic, and signs
 * every action into its own audit log. See docs/RUNTIME_CONTRACT.md for the lease protocol.
 */
import { mkdirSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import createDebug from "debug"
import { EventEmitter } from "eventemitter3"
import { MAX_TASK_CALLS, type Actor, type AuditKind, type LlmCall, type RootDoc, type RunRef, type SkillRoute, type Task, type TaskStatus } from "../schemas/index.ts"
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "../src/core/backoff.ts"
import { critique, routeReview, formatUsd, applyTransition, storedResult, storedReview } from "../src/domain/tasks/index.ts"
import { storedPlan } from "../src/domain/tasks/storedValues.ts"
import { DEFAULT_LEASE_MS } from "../src/core/defaults.ts"
import { DEFAULT_LOCAL_POLICY, type LocalPolicy } from "../src/core/safety.ts"
import { connectRelay, type RelayConnection } from "../src/peer/nodePeer.ts"
import { loadOrCreateIdentity } from "../src/peer/peerIdentity.ts"
import { openOwnAuditLog, type PeerIdentity } from "../src/domain/peers/index.ts"
import type { AuditLog } from "../src/domain/audit/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { artifactExistsIn, execute, safetyCheck, type Executed, type Refusal } from "./execute.ts"
import { noteTaskInJournal, sendResidentMessages, submitBountyWork, taskContextFor } from "./residentContext.ts"
import { assemblePlanResult, subtaskIdOf } from "../src/domain/plans/index.ts"
import { DEFAULT_HATS, hatForFacet, hatsOf } from "../src/domain/hats/index.ts"
import { declineReason } from "./voluntary.ts"
import { skillSection } from "../src/domain/residents/index.ts"
import { routeWithSkills } from "./skillRouting.ts"
import { draftPlan } from "./planDrafting.ts"
import { groqClient, type LlmClient } from "./llm.ts"
import { liveOutputOn } from "./liveOutput.ts"
import { WORKER_BEAT_MARKER, type WorkerBeat, type WorkerBeatEnvelope } from "../schemas/ephemeral.ts"
import { RateLimiter } from "./rateLimit.ts"
import { followResidents } from "./residentRoster.ts"
import { listJail, readChangedFiles, type JailListing } from "./jailFiles.ts"
import { recordTaskArtifacts } from "../src/domain/artifacts/index.ts"

export interface WorkerOptions {
  relay: string
  token: string
  dataDir: string
  name?: string
  concurrency?: number
  leaseMs?: number
  /** How often the worker beats (says it is online and renews its leases); at least three times a lease. */
  heartbeatMs?: number
  /** Re-scan interval for backoffs and timers (document changes trigger scans at once). */
  scanMs?: number
  identities?: string[]
  /** Plays every resident of the workspace, new ones included as they are forged (instead of `identities`). */
  playAllResidents?: boolean
  /** An LLM client; by default one is made from GROQ_API_KEY / GROQ_BASE_URL if set. */
  llm?: LlmClient
  env?: NodeJS.ProcessEnv
  policy?: LocalPolicy
  rateLimitPerMinute?: number
  maxExecutionErrors?: number
  /**
   * The voluntary acceptance score a resident's traits and the reward must reach for it to
   * take up work offered to it (default 0: it takes everything, as in the original).
   */
  minAcceptScore?: number
  backoff?: BackoffOptions
  log?: (line: string) => void
}

export interface WorkerEvents {
  "task-finished": (payload: { taskId: string; status: TaskStatus | "lost" }) => void
  /** Approved: the worker has opened the workspace and takes leases from now on. */
  approved: () => void
  /** It dropped its copies of documents the relay refused a change to, and connected again. */
  reloaded: (payload: { documents: string[] }) => void
}

type ResolvedOptions = Required<Pick<WorkerOptions, "concurrency" | "leaseMs" | "heartbeatMs" | "scanMs" | "maxExecutionErrors">> & WorkerOptions

interface Run {
  leaseId: string
  abort: AbortController
  done: Promise<void>
}

export const DEFAULT_MAX_EXECUTION_ERRORS = 3
/** Room left on a task's call record for one run (a call and its retries). */
const CALLS_PER_RUN = 10
/** How long a run waits for the relay to have its artifacts before it hands its result in. */
const ARTIFACT_FLUSH_MS = 5_000
/** Skipped files named in one audit entry, at most. */
const SKIPPED_AUDITED = 20

export class Worker extends EventEmitter<WorkerEvents> {
  readonly name: string
  #peer: RelayConnection
  /** Connects anew (after a reload of documents the relay refused a change to). */
  readonly #connect: () => Promise<RelayConnection>
  #peerClosed = false
  readonly #id: PeerIdentity
  /** Open once the worker is approved (a pending peer reads only the root). */
  #ws?: Workspace
  #auditLog?: AuditLog
  readonly #opts: ResolvedOptions
  readonly #hasLlmKey: boolean
  readonly #actor: Actor
  readonly #jailDir: string
  readonly #llm?: LlmClient
  readonly #rate: RateLimiter
  readonly #runs = new Map<string, Run>()
  /**
   * The lease of each run that ended, until this replica shows the task moved on: a view that
   * lags behind this worker's own writes (a new queue generation not yet carrying them) must
   * not start the same lease again.
   */
  readonly #ended = new Map<string, string>()
  /** Journal notes, mailbox messages and bounty submissions still being written after a resident's task. */
  readonly #followUps = new Set<Promise<void>>()
  readonly #timers: NodeJS.Timeout[] = []
  readonly #debug: createDebug.Debugger
  readonly #policy: LocalPolicy
  #disconnectedAt?: number
  #scanQueued = false
  /** Whether this worker's profile was written since approval (the first beat after it writes it). */
  #announced = false
  #stopped = false
  #stopping?: AbortController
  /** Documents the relay refused a change to, waiting to be reloaded from it. */
  readonly #refusedDocs = new Set<string>()
  #reloading?: Promise<void>
  /** Every resident's id, for a worker that plays them all; and how to stop following them. */
  #allResidents?: string[]
  #unfollowResidents?: () => void

  private constructor(peer: RelayConnection, connect: () => Promise<RelayConnection>, id: PeerIdentity, opts: ResolvedOptions, llm: LlmClient | undefined) {
    super()
    this.#peer = peer
    this.#connect = connect
    this.#id = id
    this.#opts = opts
    this.name = id.name
    this.#actor = { kind: "worker", name: id.name }
    this.#llm = llm
    this.#hasLlmKey = !!llm
    this.#jailDir = join(opts.dataDir, "workspace")
    mkdirSync(this.#jailDir, { recursive: true })
    this.#rate = new RateLimiter(opts.rateLimitPerMinute ?? 60)
    this.#policy = opts.policy ?? DEFAULT_LOCAL_POLICY
    this.#debug = createDebug(`app:worker:${id.name}`)
  }

  static async start(options: WorkerOptions): Promise<Worker> {
    const opts = {
      concurrency: 1,
      leaseMs: DEFAULT_LEASE_MS,
      heartbeatMs: 5_000,
      scanMs: 500,
      maxExecutionErrors: DEFAULT_MAX_EXECUTION_ERRORS,
      ...options,
    }
    const env = opts.env ?? process.env
    const llm =
      opts.llm ??
      (env.GROQ_API_KEY ? groqClient({ apiKey: env.GROQ_API_KEY, ...(env.GROQ_BASE_URL ? { baseURL: env.GROQ_BASE_URL } : {}) }) : undefined)
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    const id = await loadOrCreateIdentity(opts.dataDir, opts.name ?? `worker-${hostname().replace(/[^A-Za-z0-9_.-]/g, "-")}`, "worker")
    if (opts.name && opts.name !== id.name) throw new Error(`data dir ${opts.dataDir} belongs to worker ${id.name}, not ${opts.name}`)
    const connect = () =>
      connectRelay({
        relay: opts.relay,
        token: opts.token,
        identity: id,
        profile: { hasLlmKey: !!llm, concurrency: opts.concurrency, ...(opts.identities ? { identities: opts.identities } : {}) },
        storageDir: join(opts.dataDir, "automerge"),
        anchorsDir: opts.dataDir,
        retryMs: 1000,
      })
    const worker = new Worker(await connect(), connect, id, opts, llm)
    worker.#begin()
    return worker
  }

  /** The workspace view; there is none before approval (see `approved`). */
  get workspace(): Workspace {
    if (!this.#ws) throw new Error(`worker ${this.name} is not approved yet: it cannot read the workspace`)
    return this.#ws
  }

  get approved(): boolean {
    return !!this.#ws
  }

  get #audit(): AuditLog {
    if (!this.#auditLog) throw new Error(`worker ${this.name} has no audit log before approval`)
    return this.#auditLog
  }

  get runningTasks(): string[] {
    return [...this.#runs.keys()]
  }

  #log(line: string): void {
    this.#debug(line)
    this.#opts.log?.(`[${this.name}] ${line}`)
  }

  #auditAsync(kind: AuditKind, subject: string, data: Record<string, unknown>): void {
    this.#audit.append(kind, subject, data).catch(error => this.#log(`audit append failed: ${(error as Error).message}`))
  }

  #begin(): void {
    const net = this.#peer.repo.networkSubsystem
    // A connection starts connected (connecting waits for the relay): a disconnect seen while the
    // previous one closed (a reload) must not count against this one, or the worker would give
    // up its runs as "cut off" most of a lease later. Late events of a closed connection are ignored.
    this.#disconnectedAt = undefined
    net.on("peer-disconnected", () => {
      if (net === this.#peer.repo.networkSubsystem) this.#disconnectedAt ??= Date.now()
    })
    net.on("peer", () => {
      this.#disconnectedAt = undefined
      this.#queueScan()
    })
    this.#peer.notices.on("refused", ({ documentId, reason, retry }) => {
      this.#log(`the relay refused a change${documentId ? ` to ${documentId}` : ""}: ${reason}${retry ? " (offered again later)" : ""}`)
      if (documentId && !retry) this.#reloadLater(documentId)
    })
    this.#peer.notices.on("auth-failed", ({ status, reason }) => {
      this.#log(`the relay refused this worker's key (${status}): ${reason}`)
      if (status === 403) this.#abortAll("worker revoked by an operator")
    })
    this.#heartbeat()
    const beatMs = Math.max(50, Math.min(this.#opts.heartbeatMs, Math.floor(this.#opts.leaseMs / 3)))
    this.#timers.push(setInterval(() => this.#heartbeat(), beatMs))
    if (this.#peer.state() !== "approved") this.#log(`waiting for approval: an operator runs 'vivarium worker approve ${this.name}'`)
    const stopped = new AbortController()
    this.#stopping = stopped
    this.#peer
      .whenApproved(stopped.signal)
      .then(() => this.#open())
      .catch(error => {
        if (!this.#stopped) this.#log(`not working: ${(error as Error).message}`)
      })
  }

  /** Approved: opens the workspace and the audit log, and starts taking leases. */
  async #open(): Promise<void> {
    const ws = await this.#peer.openWorkspace()
    const audit = await openOwnAuditLog(this.#peer.repo, () => ws.root, this.#id)
    // Offered at once: a resident forged later is played from the next heartbeat on.
    const unfollow = this.#opts.playAllResidents
      ? await followResidents(ws, ids => {
          this.#allResidents = ids
          if (!this.#stopped) this.#heartbeat()
        })
      : undefined
    if (this.#stopped) {
      unfollow?.()
      return ws.close()
    }
    this.#unfollowResidents = unfollow
    this.#ws = ws
    this.#auditLog = audit
    const trigger = () => this.#queueScan()
    ws.tasks.on("change", trigger)
    ws.rootHandle.on("change", trigger)
    this.#timers.push(setInterval(trigger, this.#opts.scanMs))
    this.emit("approved")
    this.#queueScan()
  }

  /**
   * Says "online" and renews the leases of its runs, in an ephemeral beat to the relay (nothing
   * is written: the relay decides by its own clock from the last beat it received). A run whose
   * lease this replica no longer shows (the relay expired it) is stopped. What this worker can
   * take is written to its peer record only when it changed.
   */
  #heartbeat(goodbye = false): void {
    const leases: WorkerBeat["leases"] = []
    for (const [taskId, run] of this.#runs) {
      if (this.#ws?.tasks.get(taskId)?.lease?.leaseId === run.leaseId) leases.push({ taskId, leaseId: run.leaseId })
      else if (!run.abort.signal.aborted) run.abort.abort(new Error("lease lost"))
    }
    this.#peer.rootHandle.broadcast({ [WORKER_BEAT_MARKER]: { worker: this.name, leases, ...(goodbye ? { goodbye: true as const } : {}) } } satisfies WorkerBeatEnvelope)
    this.#advertise()
  }

  /** Writes what this worker can take (the relay assigns leases from it) where it changed. */
  #advertise(): void {
    const identities = this.#allResidents ?? this.#opts.identities ?? []
    // A peer that is not approved writes nothing (the relay would refuse it, and every later
    // change of this document would depend on the refused one); it starts once approved.
    if (this.#peer.state() !== "approved") return
    this.#announced = true
    this.#peer.rootHandle.change((d: RootDoc) => {
      const me = d.peers[this.name]
      if (!me) return
      if (me.hasLlmKey !== this.#hasLlmKey) me.hasLlmKey = this.#hasLlmKey
      if (me.concurrency !== this.#opts.concurrency) me.concurrency = this.#opts.concurrency
      if (JSON.stringify(me.identities ?? []) !== JSON.stringify(identities)) me.identities = identities
    })
  }

  #queueScan(): void {
    if (this.#scanQueued || this.#stopped || !this.#ws) return
    this.#scanQueued = true
    setImmediate(() => {
      this.#scanQueued = false
      // A reload (after a refused change) can drop the workspace between queueing and running.
      if (!this.#stopped && this.#ws) this.#scan(Date.now())
    })
  }

  #scan(now: number): void {
    const ws = this.workspace
    const root = ws.root
    const me = root.peers[this.name]
    const ks = root.controls.killSwitch
    if (ks.on) return this.#abortAll(`kill switch: ${ks.reason}`)
    if (me?.state === "revoked") return this.#abortAll("worker revoked by an operator")
    // A worker cut off from the relay longer than most of a lease stops, so that the task
    // can run elsewhere without two runs overlapping for long (docs/RUNTIME_CONTRACT.md).
    if (this.#disconnectedAt !== undefined && now - this.#disconnectedAt > this.#opts.leaseMs * 0.8)
      return this.#abortAll("cut off from the relay")
    if (me?.state !== "approved") return
    if (!this.#announced) this.#advertise()

    for (const [taskId, leaseId] of this.#ended) if (ws.tasks.get(taskId)?.lease?.leaseId !== leaseId) this.#ended.delete(taskId)
    // The relay assigns leases (up to our advertised concurrency); we run what we are granted, once.
    for (const task of ws.tasks.entries.values())
      if (task.status === "claimed" && task.lease?.holder === this.name && !this.#runs.has(task.id) && this.#ended.get(task.id) !== task.lease.leaseId)
        this.#startRun(task)
  }

  #abortAll(reason: string): void {
    for (const run of this.#runs.values()) if (!run.abort.signal.aborted) run.abort.abort(new Error(reason))
  }

  /** Applies `mutate` to the task if this worker still holds `leaseId`; false if the lease is gone. */
  #updateHeld(taskId: string, leaseId: string, mutate: (d: Task) => void): boolean {
    let held = false
    this.workspace.queueHandle.change(d => {
      const draft = d.tasks[taskId]
      if (!draft || draft.lease?.leaseId !== leaseId) return
      held = true
      mutate(draft)
    })
    return held
  }

  #transition(taskId: string, leaseId: string, to: TaskStatus, reason: string, mutate?: (d: Task) => void): boolean {
    const now = Date.now()
    let from: TaskStatus | undefined
    const held = this.#updateHeld(taskId, leaseId, d => {
      from = d.status
      mutate?.(d)
      applyTransition(d, to, this.#actor, now, reason, leaseId)
    })
    if (held) this.#auditAsync("transition", taskId, { from, to, reason, leaseId })
    return held
  }

  #startRun(task: Task): void {
    const leaseId = task.lease!.leaseId
    const abort = new AbortController()
    const run: Run = { leaseId, abort, done: Promise.resolve() }
    this.#runs.set(task.id, run)
    run.done = this.#run(task, leaseId, abort.signal)
      .catch(error => this.#log(`task ${task.id}: ${(error as Error).message}`))
      .finally(() => {
        this.#runs.delete(task.id)
        this.#ended.set(task.id, leaseId)
        this.#queueScan()
      })
  }

  async #run(task: Task, leaseId: string, signal: AbortSignal): Promise<void> {
    const ws = this.workspace
    const spend = ws.spendAgainstCap()
    if (task.mode === "llm" && task.plan?.state !== "approved" && spend.reached) {
      this.#transition(task.id, leaseId, "queued", `spend cap reached (${formatUsd(spend.spentUsd)}); lease given back`, d => {
        delete d.lease
      })
      return
    }
    if ((task.calls?.length ?? 0) > MAX_TASK_CALLS - CALLS_PER_RUN)
      return this.#refuse(task.id, leaseId, { kind: "refused", rule: "calls", reason: `${task.calls!.length} LLM calls are recorded on this task already (at most ${MAX_TASK_CALLS})` }, "claimed")
    // First safety check: before the task starts (execute() checks again right before running).
    const refused = safetyCheck(task, { jailDir: this.#jailDir, policy: this.#policy })
    if (refused.kind === "refused") return this.#refuse(task.id, leaseId, refused, "claimed")
    const declined = await declineReason(ws, task, this.#opts.minAcceptScore ?? 0)
    if (declined) {
      this.#auditAsync("social", task.id, { declined: task.targetIdentity, reason: declined })
      return this.#finish(task.id, leaseId, "failed", declined, d => {
        d.lastError = declined.slice(0, 500)
      })
    }
    const startedAt = Date.now()
    const started = this.#transition(task.id, leaseId, "running", "started", d => {
      d.executions.push({ leaseId, worker: this.name, startedAt })
    })
    if (!started) {
      this.emit("task-finished", { taskId: task.id, status: "lost" })
      return
    }

    const calls: LlmCall[] = []
    if (task.plan?.state === "drafting") return this.#draft(task, leaseId, signal, calls)
    if (task.plan) {
      // Every step is approved (the task waited for them): its result is theirs, put together, for one review.
      const output = assemblePlanResult(task.plan, key => ws.tasks.get(subtaskIdOf(task.id, key)))
      this.#complete(task, leaseId, startedAt, { kind: "executed", output, model: "plan", costUsd: 0 })
      return
    }
    try {
      const hat = task.mode === "llm" && task.facet ? hatForFacet(task.facet, await hatsOf(ws).catch(() => DEFAULT_HATS)) : undefined
      const routed = await routeWithSkills(ws, task, { llm: this.#llm, signal, onCall: call => calls.push({ ...call, leaseId, worker: this.name }) })
      const skill = routed?.skill ? skillSection(routed.skill, routed.route, routed.filled ?? "") : undefined
      const residentContext = task.mode === "llm" ? (await taskContextFor(ws, task, { hat, skill }))?.text : undefined
      // A command's lines reach readers as they come; the last ones before the result does.
      const live = task.mode === "local" ? liveOutputOn(ws.queueHandle, { taskId: task.id, leaseId }) : undefined
      // Only a command touches the jail: a model's run is not listed (nor credited with a concurrent command's files).
      const jailBefore = task.mode === "local" ? listJail(this.#jailDir) : undefined
      const result = await execute(task, {
        jailDir: this.#jailDir,
        policy: this.#policy,
        ...(this.#llm ? { llm: this.#llm } : {}),
        rateLimiter: this.#rate,
        signal,
        ...(residentContext ? { residentContext } : {}),
        onCall: call => calls.push({ ...call, leaseId, worker: this.name }),
        ...(live ? { onOutput: live.write } : {}),
      }).finally(() => live?.close())
      this.#recordCalls(task.id, calls)
      if (result.kind === "refused") return this.#refuse(task.id, leaseId, result, "running")
      await this.#keepArtifacts(task, { taskId: task.id, leaseId }, result, jailBefore)
      this.#complete(task, leaseId, startedAt, result, { hat: hat?.id, route: routed?.route })
      if (task.targetIdentity) {
        const followUp = this.#afterResidentTask(task, { taskId: task.id, leaseId }, result.output)
        this.#followUps.add(followUp)
        void followUp.finally(() => this.#followUps.delete(followUp))
      }
    } catch (error) {
      this.#recordCalls(task.id, calls)
      if (signal.aborted) return this.#aborted(task.id, leaseId, String((signal.reason as Error)?.message ?? signal.reason))
      this.#failedAttempt(task, leaseId, (error as Error).message)
    }
  }

  /** Drafts a plan with the model and leaves it proposed: the task goes back to the queue, where it waits for an operator. */
  async #draft(task: Task, leaseId: string, signal: AbortSignal, calls: LlmCall[]): Promise<void> {
    if (!this.#llm) return this.#failedAttempt(task, leaseId, "this worker has no GROQ_API_KEY to draft a plan")
    try {
      const plan = await draftPlan(task, { llm: this.#llm, signal, onCall: call => calls.push({ ...call, leaseId, worker: this.name }) })
      this.#recordCalls(task.id, calls)
      const reason = plan.source === "llm" ? `plan of ${plan.steps.length} steps drafted by the model; it waits for an operator` : `plan kept from the splitter: ${plan.note ?? "the model's plan was not usable"}`
      this.#finish(task.id, leaseId, "requeued", reason.slice(0, 500), d => {
        d.plan = storedPlan(plan)
      }, "ok")
    } catch (error) {
      this.#recordCalls(task.id, calls)
      if (signal.aborted) return this.#aborted(task.id, leaseId, String((signal.reason as Error)?.message ?? signal.reason))
      this.#failedAttempt(task, leaseId, (error as Error).message)
    }
  }

  /**
   * Every LLM attempt of a run goes on the task, with the API's token counts, whether or not
   * this worker still holds the lease: the API billed it either way, and the spend cap counts it.
   */
  #recordCalls(taskId: string, calls: LlmCall[]): void {
    if (!calls.length) return
    const recorded = calls.splice(0)
    this.workspace.queueHandle.change(d => {
      const draft = d.tasks[taskId]
      if (!draft) return
      draft.calls ??= []
      for (const call of recorded) if (draft.calls.length < MAX_TASK_CALLS) draft.calls.push(call)
    })
    this.#auditAsync("llm_call", taskId, { calls: recorded.map(c => ({ model: c.model, promptTokens: c.promptTokens, completionTokens: c.completionTokens, costUsd: c.costUsd, ok: c.ok })) })
  }

  /**
   * The resident's memory of the task, and its messages to the human (from its answer), each
   * naming the run: readers ignore them if the relay had expired the lease (a stale run).
   */
  async #afterResidentTask(task: Task, run: RunRef, output: string): Promise<void> {
    const ws = this.workspace
    try {
      await noteTaskInJournal(ws, task, run, ws.tasks.get(task.id)?.status ?? "finished", output)
      for (const problem of await sendResidentMessages(ws, task, run, output, this.#audit.signer)) this.#log(`message to the human not sent: ${problem}`)
      const refused = await submitBountyWork(ws, task, run, output)
      if (refused) this.#log(`bounty submission of ${task.targetIdentity} not entered: ${refused}`)
    } catch (error) {
      this.#log(`resident follow-up of ${task.id} failed: ${(error as Error).message}`)
    }
  }

  /**
   * What the run produced, kept as artifacts before its result is handed in, so that the room
   * post of an approval links them: a model's answer as its resident's report, and the files a
   * command changed in the jail. The relay gets them first (for a few seconds at most: a relay out
   * of reach does not hold the result back). A failure here never fails the task.
   */
  async #keepArtifacts(task: Task, run: RunRef, r: Executed, jailBefore: JailListing | undefined): Promise<void> {
    try {
      const { files, skipped } = jailBefore ? readChangedFiles(this.#jailDir, jailBefore) : { files: [], skipped: [] }
      const report = task.mode === "llm" && task.targetIdentity ? r.output : undefined
      if (!report && !files.length && !skipped.length) return
      const kept = await recordTaskArtifacts(this.workspace, { task, run, by: this.#actor, ...(report ? { report } : {}), files })
      const notKept = [...skipped, ...kept.skipped]
      for (const s of notKept) this.#log(`task ${task.id}: ${s.path} is not kept as an artifact: ${s.reason}`)
      if (kept.written.length || notKept.length)
        this.#auditAsync("artifact", task.id, {
          action: "recorded",
          written: kept.written.map(w => `${w.id} v${w.version}`),
          skipped: notKept.slice(0, SKIPPED_AUDITED).map(s => `${s.path}: ${s.reason}`),
          ...(notKept.length > SKIPPED_AUDITED ? { skippedMore: notKept.length - SKIPPED_AUDITED } : {}),
        })
      if (kept.written.length) await this.#peer.flushToRelay(ARTIFACT_FLUSH_MS).catch(() => {})
    } catch (error) {
      this.#log(`task ${task.id}: its artifacts were not kept: ${(error as Error).message}`)
    }
  }

  /** A safety or budget refusal: the task fails with the reason, and the block is audited. */
  #refuse(taskId: string, leaseId: string, r: Refusal, stage: "claimed" | "running"): void {
    const reason = `blocked by safety (${r.rule}): ${r.reason}`
    this.#auditAsync("safety_block", taskId, { rule: r.rule, reason: r.reason, stage })
    this.#log(`task ${taskId} ${reason}`)
    this.#finish(taskId, leaseId, "failed", reason, d => {
      d.lastError = reason.slice(0, 500)
    })
  }

  /** Ends the run with a status and marks this execution finished; the lease is released. */
  #finish(taskId: string, leaseId: string, to: TaskStatus, reason: string, mutate?: (d: Task) => void, outcome: "ok" | "error" | "cancelled" = "error"): void {
    const now = Date.now()
    const held = this.#transition(taskId, leaseId, to, reason, d => {
      mutate?.(d)
      for (const e of d.executions) if (e.leaseId === leaseId) Object.assign(e, { finishedAt: now, outcome })
      delete d.lease
    })
    if (!held) this.#recordLostRun(taskId, leaseId, outcome, now)
    this.emit("task-finished", { taskId, status: held ? to : "lost" })
  }

  /**
   * Our lease is gone (expired while we were cut off): the result is not applied, but the
   * finished run is recorded so that the relay can detect and report the duplicate.
   */
  #recordLostRun(taskId: string, leaseId: string, outcome: "ok" | "error" | "cancelled", now: number): void {
    this.workspace.queueHandle.change(d => {
      const draft = d.tasks[taskId]
      const e = draft?.executions.find(x => x.leaseId === leaseId)
      if (e && e.finishedAt === undefined) Object.assign(e, { finishedAt: now, outcome })
    })
    this.#log(`task ${taskId}: finished after losing lease ${leaseId}; result not applied`)
  }

  #complete(task: Task, leaseId: string, startedAt: number, r: Executed, worn: { hat?: string | undefined; route?: SkillRoute | undefined } = {}): void {
    const root = this.workspace.root
    const c = critique({
      mode: task.mode,
      output: r.output,
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
      artifactExists: artifactExistsIn(this.#jailDir),
    })
    const route = routeReview(task, c, root.controls)
    const now = Date.now()
    this.#finish(
      task.id,
      leaseId,
      route.to,
      route.reason,
      d => {
        d.result = storedResult({
          output: r.output,
          model: r.model,
          costUsd: r.costUsd,
          leaseId,
          worker: this.name,
          startedAt,
          finishedAt: now,
          ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
          ...(r.usage ? { usage: r.usage } : {}),
          ...(r.context ? { context: r.context } : {}),
          ...(worn.hat ? { hat: worn.hat } : {}),
        })
        if (worn.route) d.route = worn.route
        d.review = storedReview({ verdict: c.verdict, confidence: c.confidence, issues: c.issues, needsHuman: route.needsHuman, reviewer: this.name, at: now })
        d.attempts = route.attempts
      },
      "ok",
    )
  }

  #failedAttempt(task: Task, leaseId: string, message: string): void {
    const errors = task.errors + 1
    const final = errors >= this.#opts.maxExecutionErrors
    const delay = backoffDelay(errors, this.#opts.backoff ?? DEFAULT_BACKOFF)
    const reason = final
      ? `execution failed ${errors} times; last: ${message}`
      : `execution error ${errors} of ${this.#opts.maxExecutionErrors}, retry in ${Math.round(delay / 100) / 10} s: ${message}`
    this.#log(`task ${task.id}: ${reason}`)
    this.#finish(task.id, leaseId, final ? "failed" : "requeued", reason, d => {
      d.errors = errors
      d.lastError = message.slice(0, 500)
      if (!final) d.notBefore = Date.now() + delay
    })
  }

  #aborted(taskId: string, leaseId: string, reason: string): void {
    // A kill switch or revocation cancels the task; a lost connection only stops our run.
    if (reason.startsWith("kill switch") || reason.startsWith("worker revoked")) this.#finish(taskId, leaseId, "cancelled", reason, undefined, "cancelled")
    else {
      this.#recordLostRun(taskId, leaseId, "cancelled", Date.now())
      this.emit("task-finished", { taskId, status: "lost" })
    }
  }

  /**
   * The relay refused a change of ours to `documentId` for good. Automerge cannot take a change
   * back, and every later change to that document builds on the refused one, so the relay
   * would hold those back too: the worker gives its runs back, forgets its copy of the
   * document, and connects again, loading the document from the relay.
   */
  #reloadLater(documentId: string): void {
    this.#refusedDocs.add(documentId)
    this.#reloading ??= this.#reload()
      .catch(error => this.#log(`reloading refused documents failed: ${(error as Error).message}`))
      .finally(() => (this.#reloading = undefined))
  }

  async #reload(): Promise<void> {
    while (this.#refusedDocs.size && !this.#stopped) {
      const docs = [...this.#refusedDocs]
      this.#refusedDocs.clear()
      this.#log(`reloading ${docs.join(", ")} from the relay: changes that build on the refused one are dropped`)
      await this.#giveBack("reloaded a document the relay refused a change to", false)
      for (const documentId of docs) await this.#peer.discardLocalCopy(documentId)
      this.#ws?.close()
      this.#ws = undefined
      this.#auditLog = undefined
      this.#announced = false
      await this.#peer.close()
      this.#peerClosed = true
      this.#peer = await this.#reconnect()
      this.#peerClosed = false
      this.#begin()
      this.emit("reloaded", { documents: docs })
    }
  }

  /** Connects again, retrying while the relay is out of reach, until it works or the worker stops. */
  async #reconnect(): Promise<RelayConnection> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#connect()
      } catch (error) {
        if (this.#stopped) throw error
        this.#log(`cannot reconnect yet (${(error as Error).message}); trying again`)
        await new Promise(resolve => setTimeout(resolve, backoffDelay(attempt, this.#opts.backoff ?? DEFAULT_BACKOFF)))
      }
    }
  }

  /**
   * Gives running tasks back (requeued) and makes sure the relay has everything; `offline`
   * first says this worker is offline, so the relay stops assigning to it meanwhile.
   */
  async #giveBack(why: string, offline: boolean): Promise<void> {
    for (const t of this.#timers) clearInterval(t)
    this.#timers.length = 0
    this.#unfollowResidents?.()
    this.#stopping?.abort(new Error(`worker ${why}`))
    // Before the runs are given back, so that the relay leases this worker nothing new meanwhile.
    if (offline) this.#heartbeat(true)
    const runs = [...this.#runs.entries()]
    for (const [, run] of runs) run.abort.abort(new Error(`worker ${why}`))
    await Promise.all(runs.map(([, r]) => r.done))
    for (const [taskId, run] of runs) this.#transition(taskId, run.leaseId, "requeued", `worker ${why}`, d => delete d.lease)
    for (const task of this.#ws?.tasks.entries.values() ?? [])
      if (task.status === "claimed" && task.lease?.holder === this.name)
        this.#transition(task.id, task.lease.leaseId, "queued", `worker ${why} before starting it`, d => delete d.lease)
    await Promise.all(this.#followUps)
    await this.#auditLog?.settled()
    await this.#peer.flushToRelay(5_000).catch(() => {})
  }

  /** Goes offline (no new leases), gives running tasks back (requeued), and makes sure the relay has it all. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.#reloading
    if (this.#peerClosed) return
    await this.#giveBack("stopped", true)
    this.#ws?.close()
    await this.#peer.close()
  }
}
