/**
 * Reader checks of signed records against the chain of authority: whether a task's
 * operator decision and a ledger entry were made by a key allowed to make them. A record
 * that fails counts as not made (the task stays pending_review, the entry is left out of
 * every balance) and is reported.
 */
import type { LedgerEntry, ResidentLease, Task, TaskStatus } from "../../schemas/index.ts"
import type { AuthorityChain } from "./authorityChain.ts"
import { knownVerdict, ledgerEntryText, taskDecisionText, verifyRecord, type ReviewDecision, type TaskDecisionRecord } from "./signedRecords.ts"
import type { DataIssue } from "./validate.ts"

/** A record to verify (key, text, signature), or why it cannot be valid whatever its signature. */
export type SignatureCheck = { ok: true; key: string; text: string; sig: string } | { ok: false; reason: string }

const DECISION_OF: Partial<Record<TaskStatus, ReviewDecision>> = { approved: "approve", requeued: "requeue", failed: "fail" }

/**
 * The operator decision `task` claims, if any: it left pending_review for approved, requeued
 * or failed, or its review names a decider, tip or feedback (only an operator gives those).
 */
export function claimedDecision(task: Task): TaskDecisionRecord | undefined {
  const decision = DECISION_OF[task.status]
  if (!decision) return undefined
  const last = task.history[task.history.length - 1]
  const r = task.review
  const fromReview = last?.from === "pending_review" && last.to === task.status
  const named = !!r && (r.decidedBy !== undefined || r.tip !== undefined || r.feedback !== undefined || r.decisionSig !== undefined)
  if (!fromReview && !named) return undefined
  return {
    taskId: task.id,
    decision,
    leaseId: task.result?.leaseId,
    tip: r?.tip,
    feedback: r?.feedback,
    decidedBy: r?.decidedBy ?? last?.by.name ?? "",
    decidedAt: r?.decidedAt ?? last?.at ?? task.updatedAt,
  }
}

/** What must hold for `task`'s claimed decision to count; undefined when it claims none. */
export function checkTaskDecision(task: Task, chain: AuthorityChain): SignatureCheck | undefined {
  const claim = claimedDecision(task)
  if (!claim) return undefined
  const sig = task.review?.decisionSig
  if (!sig || task.review?.decidedAt === undefined) return { ok: false, reason: `the ${claim.decision} decision is not signed by an operator` }
  const key = chain.keyFor(claim.decidedBy, ["operator"], claim.decidedAt)
  if (!key) return { ok: false, reason: `${claim.decidedBy} was not an operator approved by the owner when it decided` }
  return { ok: true, key, text: taskDecisionText(claim), sig }
}

/** A task whose decision did not verify, as readers show it: still waiting for review. */
export function asPendingReview(task: Task): Task {
  const out: Task = { ...task, status: "pending_review" }
  if (task.review) {
    const { decidedBy: _by, decidedAt: _at, decisionSig: _sig, tip: _tip, feedback: _feedback, ...review } = task.review
    out.review = review
  }
  return out
}

/** Where a resident's spends may come from: its lease holder, or a worker that offers to play it. */
export type ResidentLeases = ReadonlyMap<string, ResidentLease>

/**
 * Who may write a ledger entry: the relay any grant (rewards, tips, allowances); an operator
 * any grant or spend; a worker only spends of a resident it plays (holds the lease from
 * before the spend, or offers in its record). The entry must be signed by that key.
 */
export function checkLedgerEntry(entry: LedgerEntry, chain: AuthorityChain, leases: ResidentLeases): SignatureCheck {
  if (!entry.sig) return { ok: false, reason: `unsigned ${entry.kind} by ${entry.by.name}` }
  const { by, at } = entry
  let key: string | undefined
  if (by.kind === "system") key = chain.keyFor(by.name, ["relay"], at)
  else if (by.kind === "operator") key = chain.keyFor(by.name, ["operator"], at)
  else {
    if (entry.kind !== "spend") return { ok: false, reason: `a worker (${by.name}) cannot grant tokens` }
    key = chain.keyFor(by.name, ["worker"], at)
    const lease = leases.get(entry.identity)
    const plays = (lease?.holder === by.name && lease.grantedAt <= at) || chain.offers(by.name).includes(entry.identity)
    if (key && !plays) return { ok: false, reason: `${by.name} did not play ${entry.identity} when it spent` }
  }
  if (!key) return { ok: false, reason: `${by.name} held no ${by.kind === "system" ? "relay" : by.kind} key valid at that time` }
  const { sig: _sig, ...record } = entry
  return { ok: true, key, text: ledgerEntryText(record), sig: entry.sig }
}

/** The verdict of a check if already known without waiting (undefined: call verifyCheck). */
export function knownCheck(check: SignatureCheck): boolean | undefined {
  return check.ok ? knownVerdict(check.key, check.text, check.sig) : false
}

export async function verifyCheck(check: SignatureCheck): Promise<boolean> {
  return check.ok && (await verifyRecord(check.key, check.text, check.sig))
}

/**
 * The ledger entries a reader may count: each signed by a key allowed to write it. The
 * others are left out and reported (signatures are checked once each, then cached).
 */
export async function verifiedLedger(
  entries: Iterable<LedgerEntry>,
  chain: AuthorityChain,
  leases: ResidentLeases,
  docLabel: string,
  issues: DataIssue[],
): Promise<LedgerEntry[]> {
  const list = [...entries]
  const checks = list.map(e => checkLedgerEntry(e, chain, leases))
  const verdicts = await Promise.all(checks.map(c => knownCheck(c) ?? verifyCheck(c)))
  const out: LedgerEntry[] = []
  list.forEach((entry, i) => {
    if (verdicts[i]) return void out.push(entry)
    const check = checks[i]!
    const reason = check.ok ? `the signature of ${entry.by.name} does not match the entry` : check.reason
    issues.push({ doc: docLabel, path: `entries.${entry.key}`, message: `ledger entry not counted: ${reason}` })
  })
  return out
}
