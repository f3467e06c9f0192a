/**
 * Why a task that is not running waits, in words, from what the workspace documents show:
 * the task, its dependencies, the queue ahead of it, the workers (approved, online, with an
 * LLM key, playing its resident), the kill switch and the spend cap. One rule for the CLI
 * (`task list`, `task show`, `status`) and the panel (queue rows, task detail, quests). Pure.
 */
import type { PeerRecord, RootDoc, Task } from "../../../schemas/index.ts"
import { ONLINE_WINDOW_MS } from "../../core/defaults.ts"
import { formatAgo, formatDuration, formatRelative } from "../../core/dashboard.ts"
import { formatUsd } from "./pricing.ts"
import { compareForDispatch, dependencyState, isOnline, isReady, leaseEndsBy, onlineWorkers, workerCanTake, type TaskIndex, type WorkerSlots } from "./scheduling.ts"
import type { SpendCap } from "./spend.ts"
import { TERMINAL_STATUSES } from "./taskMachine.ts"

export type WaitKind =
  /** Its result waits for an operator's decision. */
  | "review"
  /** Its plan waits for an operator to approve it. */
  | "plan"
  /** A dependency failed or was cancelled: it cannot run as it is. */
  | "dependency_failed"
  /** A dependency is not approved yet. */
  | "dependency"
  /** The kill switch is on. */
  | "halted"
  /** LLM spend reached the workspace's spend cap. */
  | "over_budget"
  /** Backing off after an execution error. */
  | "backoff"
  /** A worker that could take it is registered but not approved yet. */
  | "pending_worker"
  /** No approved worker is online at all. */
  | "no_worker"
  /** An LLM task, and no online worker holds an LLM key. */
  | "no_llm_key"
  /** A task for a resident no online worker plays. */
  | "no_resident_worker"
  /** Workers can take it; it waits its turn (or a free slot). */
  | "queued"
  /** Leased to a worker that is starting it. */
  | "starting"
  /** Leased to a worker that has not been heard from. */
  | "silent_worker"
  /** Blocked for a recorded reason the documents no longer explain (the relay revisits it). */
  | "blocked"

/** Waits that end by themselves (the queue moves, a dependency finishes, a backoff runs out). */
const MOVING: ReadonlySet<WaitKind> = new Set(["dependency", "backoff", "queued", "starting"])

export interface WaitReason {
  kind: WaitKind
  /** Nothing moves until someone acts (an operator, or a worker started or approved). */
  stuck: boolean
  /** A few words, for a list row. */
  short: string
  /** The whole sentence, with what would end the wait. */
  text: string
}

export interface WaitContext {
  root: Pick<RootDoc, "peers" | "controls">
  /** The live queue: dependencies and the tasks ahead are read from it. */
  tasks: TaskIndex
  /** LLM spend against the cap (spendAgainstCap). */
  spend: Pick<SpendCap, "spentUsd" | "capUsd" | "reached">
  now: number
  onlineWindowMs?: number
  /** A resident's name for its id, when the identities document is at hand. */
  residentName?: (id: string) => string | undefined
}

/** A reason before the rule says whether it is stuck. */
type Reason = Omit<WaitReason, "stuck">

/** Why `task` waits, or undefined when it does not (running, or finished). */
export type WaitReasons = (task: Task) => WaitReason | undefined

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const quoted = (title: string) => `“${title.length > 48 ? `${title.slice(0, 47)}…` : title}”`

function names(list: readonly string[]): string {
  return list.length <= 3 ? list.join(", ") : `${list.slice(0, 3).join(", ")} and ${list.length - 3} more`
}

/**
 * The wait rule over one snapshot of the workspace. Returns a function so that a list of
 * tasks shares the work done once (the queue in dispatch order, the online workers).
 */
export function waitReasons(ctx: WaitContext): WaitReasons {
  const { root, tasks, now } = ctx
  const windowMs = ctx.onlineWindowMs ?? ONLINE_WINDOW_MS
  let online: WorkerSlots[] | undefined
  let readyOrder: Map<string, number> | undefined
  const workersOnline = () => (online ??= onlineWorkers(root, tasks, now, windowMs))
  /** Ready tasks' places in dispatch order (priority, then FIFO): how many are ahead. */
  const placeOf = (id: string) => {
    readyOrder ??= new Map(
      [...tasks.values()]
        .filter(t => isReady(t, tasks, now))
        .sort(compareForDispatch)
        .map((t, i) => [t.id, i]),
    )
    return readyOrder.get(id) ?? 0
  }
  const residentName = (id: string) => ctx.residentName?.(id) ?? id
  const taskName = (id: string) => {
    const t = tasks.get(id)
    return t ? `${quoted(t.title)} (${id})` : id
  }

  function halted(): Reason | undefined {
    const ks = root.controls.killSwitch
    if (ks.on && ctx.spend.reached) return overBudget(true)
    if (ks.on)
      return {
        kind: "halted",
        short: "halted",
        text: `the workspace is halted (${ks.setBy}: ${ks.reason || "no reason given"}): no worker takes a task until an operator resumes (vivarium resume, or Runtime in the panel)`,
      }
    return undefined
  }

  function overBudget(halted: boolean): Reason {
    const { spentUsd, capUsd } = ctx.spend
    return {
      kind: "over_budget",
      short: "over the spend cap",
      text:
        `over budget: LLM spend ${formatUsd(spentUsd)} has reached the workspace's spend cap ${formatUsd(capUsd)}; ` +
        (halted ? "the relay halted the workspace: raise the cap under Runtime, then resume" : "no LLM task runs until the cap is raised under Runtime"),
    }
  }

  function dependencies(task: Task): Reason | undefined {
    const deps = dependencyState(task, tasks)
    if (deps.state === "broken") {
      const status = tasks.get(deps.dep)?.status ?? "finished"
      return {
        kind: "dependency_failed",
        short: `dependency ${status}`,
        text: `it depends on ${taskName(deps.dep)}, which ${status === "cancelled" ? "was cancelled" : "failed"}: it cannot run; cancel it, or edit it to drop that dependency`,
      }
    }
    if (deps.state === "waiting") {
      const first = deps.on[0]!
      const dep = tasks.get(first)
      const more = deps.on.length > 1 ? ` and ${plural(deps.on.length - 1, "other task")}` : ""
      return {
        kind: "dependency",
        short: `waiting for ${dep ? quoted(dep.title) : first}${deps.on.length > 1 ? ` +${deps.on.length - 1}` : ""}`,
        text: `waiting for ${dep ? `${quoted(dep.title)} (${first}, ${dep.status.replace("_", " ")})` : `${first} (not in the live queue)`}${more} to be approved: it runs once every task it depends on is approved`,
      }
    }
    return undefined
  }

  /** Which online workers could take the task, or, when none can, why in words. */
  function workers(task: Task): { eligible: WorkerSlots[] } | { reason: Reason } {
    const all = workersOnline()
    const eligible = all.filter(w => workerCanTake(task, w))
    if (eligible.length) return { eligible }

    const could = (p: PeerRecord) => workerCanTake(task, { name: p.name, hasLlmKey: p.hasLlmKey ?? false, identities: p.identities ?? [] })
    const registered = Object.values(root.peers).filter(p => p.role === "worker" && could(p))
    const pending = registered.filter(p => p.state === "pending").map(p => p.name)
    if (pending.length) {
      const reason: Reason = {
        kind: "pending_worker",
        short: `${pending[0]} awaits approval`,
        text: `worker ${names(pending)} could take it but ${pending.length === 1 ? "awaits" : "await"} approval: vivarium worker approve ${pending[0]} (or Workers in the panel)`,
      }
      return { reason }
    }
    const offline = registered.filter(p => p.state === "approved" && !isOnline(p, now, windowMs))
    const lastSeen = offline.length
      ? ` (${offline.slice(0, 2).map(p => `${p.name} ${p.lastSeen ? `was last seen ${formatAgo(p.lastSeen, now)}` : "has not been online"}`).join("; ")})`
      : ""
    if (!all.length) {
      const text = `no worker is online${lastSeen}: vivarium start runs one on the relay's machine; vivarium worker runs one on another machine`
      return { reason: { kind: "no_worker", short: "no worker online", text } }
    }
    const resident = task.targetIdentity
    const llm = task.mode === "llm"
    const keyed = all.some(w => w.hasLlmKey)
    const playsResident = all.filter(w => resident && w.identities.includes(resident))
    if (llm && (!keyed || playsResident.length)) {
      const who = keyed ? `with an LLM key plays resident ${residentName(resident!)} (${names(playsResident.map(w => w.name))} ${playsResident.length === 1 ? "has" : "have"} no key)` : "has an LLM key"
      const how = resident && !playsResident.length ? `, playing resident ${residentName(resident)} (vivarium start plays every resident; or vivarium worker --residents ${resident})` : " (vivarium start, or vivarium worker)"
      const text = `no online worker ${who}${lastSeen}: an LLM task needs a worker started with GROQ_API_KEY in its environment${how}`
      return { reason: { kind: "no_llm_key", short: "no worker with an LLM key", text } }
    }
    const name = residentName(resident!)
    const text =
      `no online worker plays resident ${name}${lastSeen}: the worker of vivarium start plays every resident; ` +
      `one started with vivarium worker --residents ${resident} (or --residents all) plays it${llm ? ", with GROQ_API_KEY for an LLM task" : ""}`
    return { reason: { kind: "no_resident_worker", short: `no worker plays ${name}`, text } }
  }

  function turn(task: Task, eligible: WorkerSlots[]): Reason {
    const ahead = placeOf(task.id)
    const free = eligible.filter(w => w.free > 0)
    if (free.length && ahead < free.reduce((n, w) => n + w.free, 0))
      return { kind: "queued", short: "being leased", text: `a worker with a free slot (${names(free.map(w => w.name))}) can take it: the relay leases it next` }
    const busy = `the workers that can take it (${names(eligible.map(w => w.name))}) are busy`
    return ahead
      ? { kind: "queued", short: `behind ${plural(ahead, "task")}`, text: `queued behind ${plural(ahead, "other task")} (higher priority or older); ${busy}` }
      : { kind: "queued", short: "next in line", text: `next in line: ${busy}; it runs when one of them finishes a task` }
  }

  function leased(task: Task, lease: NonNullable<Task["lease"]>): Reason | undefined {
    const holder = root.peers[lease.holder]
    if (!holder || !isOnline(holder, now, windowMs)) {
      const silent = holder?.lastSeen ? `has not been heard from for ${formatDuration(now - holder.lastSeen)}` : "has not been heard from"
      const endsBy = leaseEndsBy(lease, holder)
      const expiry = endsBy > now ? ` (${formatRelative(endsBy, now)})` : ""
      return {
        kind: "silent_worker",
        short: `${lease.holder} went silent`,
        text: `leased to ${lease.holder}, which ${silent}: the relay gives the task to another worker once the lease runs out${expiry}`,
      }
    }
    if (task.status === "claimed") return halted() ?? { kind: "starting", short: `starting on ${lease.holder}`, text: `leased to ${lease.holder}, which is starting it` }
    return undefined
  }

  return task => {
    const reason = reasonOf(task)
    return reason && { ...reason, stuck: !MOVING.has(reason.kind) }
  }

  function reasonOf(task: Task): Reason | undefined {
    if (TERMINAL_STATUSES.has(task.status)) return undefined
    if (task.status === "pending_review")
      return { kind: "review", short: "waits for your review", text: "its result waits for an operator's review: approve, requeue or fail it" }
    if (task.plan?.state === "proposed" && !TERMINAL_STATUSES.has(task.status))
      return { kind: "plan", short: "plan waits for you", text: `its plan of ${plural(task.plan.steps.length, "step")} waits for an operator: edit, approve or reject it (vivarium plan show ${task.id}, or Plans in the panel)` }
    if (task.lease && (task.status === "claimed" || task.status === "running")) return leased(task, task.lease)
    if (task.status === "running") return undefined

    const broken = dependencies(task)
    if (broken?.kind === "dependency_failed") return broken
    const stop = halted() ?? (task.mode === "llm" && ctx.spend.reached ? overBudget(false) : undefined)
    if (stop) return stop
    if (broken) return broken
    if (task.notBefore && task.notBefore > now)
      return {
        kind: "backoff",
        short: `retry ${formatRelative(task.notBefore, now)}`,
        text: `retries ${formatRelative(task.notBefore, now)} after ${plural(task.errors, "execution error")}${task.lastError ? `: ${task.lastError}` : ""}`,
      }
    const pool = workers(task)
    if ("reason" in pool) return pool.reason
    if (task.status === "blocked")
      return { kind: "blocked", short: "blocked", text: `blocked: ${task.blocked?.reason ?? "no reason recorded"} (the relay lets it go on now that a worker can take it)` }
    return turn(task, pool.eligible)
  }
}
