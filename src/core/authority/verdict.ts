/**
 * What every authority rule answers, and the context it is judged in. A rule is pure: it
 * compares an entry before and after a peer's change (undefined: absent) and says whether
 * that peer's principal may make the change, with a reason a human can act on.
 */
import type { ActorKind, RunRef } from "../../../schemas/index.ts"
import { isOperator, type Principal } from "../principal.ts"

export type AuthorityVerdict = { ok: true } | { ok: false; reason: string }

export const ALLOWED: AuthorityVerdict = { ok: true }

export function refused(reason: string): AuthorityVerdict {
  return { ok: false, reason }
}

export interface AuthorityContext {
  /** The map key the entry is stored under (its id must equal it). */
  key: string
  /** The worker holding a resident's lease, as the relay granted it (identities.leases). */
  residentHolder(resident: string): string | undefined
  /**
   * The worker that ran task `run.taskId` under the lease `run.leaseId` (its execution record
   * or the current lease, as the relay's queue shows it); undefined when no such run is known.
   */
  runWorker?(run: RunRef): string | undefined
  /**
   * The resident task `taskId` is aimed at (`resident` undefined: none), as the relay's queue
   * shows it; undefined when the queue does not hold the task.
   */
  taskTarget?(taskId: string): { resident: string | undefined } | undefined
}

/** The actor kind a principal's writes must carry (`by.kind` in histories and ledgers). */
export function actorKindOf(who: Principal): ActorKind | undefined {
  if (isOperator(who)) return "operator"
  if (who.role === "worker") return "worker"
  return undefined
}

/** Whether `name`, written as the author of a record, is this principal. */
export function isSelf(name: string | undefined, who: Principal): boolean {
  return name === who.peer
}

/** JSON with object keys sorted, so equal data compares equal whatever wrote it. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  ) ?? "undefined"
}

/** Equal as plain data (entries are compared as JSON, whatever their key order). */
export function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b)
}

/** The fields whose values differ between two records (either may be undefined). */
export function changedFields(before: object | undefined, after: object | undefined): string[] {
  const a = (before ?? {}) as Record<string, unknown>
  const b = (after ?? {}) as Record<string, unknown>
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(k => !same(a[k], b[k]))
}

/**
 * A side effect (journal entry, mail, spend, submission) naming the run it came from: only a
 * worker writes under a run, and only under one of its own. Whether that run's lease was
 * still current is the readers' question (src/domain/tasks/taskMerge.ts staleRunReason): the worker
 * writes its side effects after handing the result in, when it no longer holds the lease.
 */
export function authorizeRun(run: RunRef | undefined, who: Principal, ctx: Pick<AuthorityContext, "runWorker">, what: string): AuthorityVerdict {
  if (!run) return ALLOWED
  if (who.role !== "worker") return refused(`${what} names run ${run.leaseId} of task ${run.taskId}: only the worker that ran a task writes under its run`)
  const worker = ctx.runWorker?.(run)
  if (worker !== who.peer) return refused(`${what} names run ${run.leaseId} of task ${run.taskId}, which ${worker ? `${worker} ran` : "the relay does not know"}, not ${who.peer}`)
  return ALLOWED
}

/** A pending peer writes nothing; checked first by every rule. */
export function refusePending(who: Principal): AuthorityVerdict | undefined {
  if (who.role === "pending") return refused(`${who.peer} is not approved yet: a pending peer writes nothing (an operator approves it with 'vivarium worker approve ${who.peer}')`)
  return undefined
}

/** The first refusal among `checks`, or ALLOWED. */
export function firstRefusal(...checks: (AuthorityVerdict | undefined)[]): AuthorityVerdict {
  return checks.find(c => c && !c.ok) ?? ALLOWED
}
