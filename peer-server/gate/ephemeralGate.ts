/**
 * Ephemeral messages (automerge-repo broadcasts: Presence, a running task's live output, a
 * worker's beat) are not changes, so the change gate lets them through; this extension checks them before the
 * relay's Repo decodes and forwards them. A payload that is not CBOR, or not one of the kinds
 * in schemas/ephemeral.ts, is dropped: automerge-repo would throw on it in every receiver.
 * So is task output that is not on the queue document, not from the worker holding that
 * task's current lease, or faster than the rate. A worker's beat is the relay's own business:
 * given `liveness` (the primary) it is consumed there — the sender counts as heard from, and the
 * leases the beat names are renewed only where the sender holds them — and never forwarded; a
 * follower (no `liveness`) passes it on upstream, where it is judged again. A beat must name
 * its sender, except from a follower, which passes on its peers' beats under their names (as
 * it says whose changes are whose). Forwarding itself needs no rule here: the
 * relay sends a document's messages only to peers that may read it (keyAuth's mayRead).
 * Drops are counted (metrics) and logged at most once a minute per peer; the sender gets no
 * answer, as there is nothing it could send again. While live forwarding sheds load, presence
 * is dropped (counted apart): the first thing to give up, as the next update replaces it.
 */
import { cbor } from "@automerge/automerge-repo/slim"
import { EphemeralPayload, LIVE_OUTPUT_LIMITS, TASK_OUTPUT_MARKER, WORKER_BEAT_MARKER, type WorkerBeat } from "../../schemas/ephemeral.ts"
import type { Task } from "../../schemas/index.ts"
import { RateLimiter } from "../../worker/rateLimit.ts"
import type { RelayExtension } from "../extension.ts"
import type { Liveness } from "../liveness.ts"
import type { Principal } from "../principal.ts"

export type EphemeralVerdict =
  | { ok: true; kind: "presence" | "taskOutput" }
  /** `renew`: the leases the beat names that its worker holds; `refused`: those held by another peer or under another lease. */
  | { ok: true; kind: "beat"; beat: WorkerBeat; renew: string[]; refused: string[] }
  | { ok: false; reason: string }

export interface EphemeralInput {
  principal: Principal
  documentId: string
  data: Uint8Array
  /** The live queue's document id: the one channel of task output. */
  queueDocumentId: string
  /** The root's document id: the one channel of workers' beats. */
  rootDocumentId: string
  task: (id: string) => Task | undefined
}

/** Whether one ephemeral payload may be passed on (before the rate, which the caller keeps). */
export function judgeEphemeral(input: EphemeralInput): EphemeralVerdict {
  let decoded: unknown
  try {
    decoded = cbor.decode(input.data)
  } catch {
    return { ok: false, reason: "the payload is not CBOR" }
  }
  const parsed = EphemeralPayload.safeParse(decoded)
  if (!parsed.success) return { ok: false, reason: "the payload is neither presence, task output nor a worker's beat" }
  if (WORKER_BEAT_MARKER in parsed.data) return judgeBeat(parsed.data[WORKER_BEAT_MARKER], input)
  if (!(TASK_OUTPUT_MARKER in parsed.data)) return { ok: true, kind: "presence" }
  const batch = parsed.data[TASK_OUTPUT_MARKER]
  if (input.documentId !== input.queueDocumentId) return { ok: false, reason: "task output goes on the queue document only" }
  const lease = input.task(batch.taskId)?.lease
  if (!lease || lease.holder !== input.principal.peer || lease.leaseId !== batch.leaseId)
    return { ok: false, reason: `output for task ${batch.taskId} from ${input.principal.peer}, which does not hold its lease ${batch.leaseId}` }
  return { ok: true, kind: "taskOutput" }
}

/** A beat names its sender (a follower may name its peers); it renews only leases its worker holds. */
function judgeBeat(beat: WorkerBeat, input: EphemeralInput): EphemeralVerdict {
  if (input.documentId !== input.rootDocumentId) return { ok: false, reason: "a worker's beat goes on the root document only" }
  if (beat.worker !== input.principal.peer && input.principal.role !== "mirror")
    return { ok: false, reason: `a beat naming ${beat.worker} from ${input.principal.peer}: a peer beats only for itself` }
  const renew: string[] = []
  const refused: string[] = []
  for (const { taskId, leaseId } of beat.leases) {
    const lease = input.task(taskId)?.lease
    // A lease that just ended (the task finished, or expired) may still be named by a beat in flight.
    if (!lease) continue
    if (lease.holder === beat.worker && lease.leaseId === leaseId) renew.push(leaseId)
    else refused.push(`${taskId} (lease ${leaseId}; ${lease.holder} holds ${lease.leaseId})`)
  }
  return { ok: true, kind: "beat", beat, renew, refused }
}

const LOG_EVERY_MS = 60_000

/** `liveness`: where the primary takes beats (renewals and who is online); a follower has none and passes beats on. */
export function ephemeralGate(liveness?: Liveness): RelayExtension {
  let judge: ((principal: Principal, documentId: string, data: Uint8Array) => EphemeralVerdict) | undefined
  let dropped = (_peer: string, _reason: string) => {}
  let shedding = () => false
  let shed = () => {}
  const rates = new Map<string, RateLimiter>()
  const rateOf = (peer: string) => {
    let rate = rates.get(peer)
    const perSecond = LIVE_OUTPUT_LIMITS.messagesPerSecond
    if (!rate) rates.set(peer, (rate = new RateLimiter(perSecond * 60, Date.now, perSecond * 2)))
    return rate
  }
  return {
    name: "ephemeral-gate",
    onStart(ctx) {
      const queueDocumentId = ctx.workspace.queueHandle.documentId
      const rootDocumentId = ctx.workspace.rootHandle.documentId
      judge = (principal, documentId, data) => judgeEphemeral({ principal, documentId, data, queueDocumentId, rootDocumentId, task: id => ctx.workspace.tasks.get(id) })
      shedding = () => ctx.forwarding?.saturated() ?? false
      shed = () => ctx.metrics.presenceShed++
      const logged = new Map<string, number>()
      dropped = (peer, reason) => {
        ctx.metrics.ephemeralDropped++
        const now = Date.now()
        if (now - (logged.get(peer) ?? -Infinity) < LOG_EVERY_MS) return
        logged.set(peer, now)
        ctx.log(`dropped an ephemeral message from ${peer}: ${reason} (further drops from ${peer} in the next minute are only counted)`)
      }
    },
    beforeMessage(principal, message) {
      if (message.type !== "ephemeral") return "accept"
      const verdict = judge!(principal, message.documentId, message.data)
      // A follower passes on all its peers' ephemeral messages; only beats concern this relay
      // (presence and live output stay with each relay's own peers), so the rest goes quietly.
      if (principal.role === "mirror" && !(verdict.ok && verdict.kind === "beat")) return "drop"
      if (!verdict.ok) {
        dropped(principal.peer, verdict.reason)
        return "drop"
      }
      if (verdict.kind === "beat") {
        if (verdict.refused.length) dropped(principal.peer, `renewal refused: ${verdict.beat.worker} does not hold ${verdict.refused.join(", ")}`)
        if (!liveness) return "accept"
        const relayed = principal.role === "mirror"
        liveness.beat(verdict.beat.worker, Date.now(), verdict.renew, { ...(verdict.beat.goodbye ? { goodbye: true } : {}), relayed })
        return "drop"
      }
      // Under load presence goes first: live forwarding is widening its batches.
      if (verdict.kind === "presence" && shedding()) {
        shed()
        return "drop"
      }
      if (verdict.kind === "taskOutput" && !rateOf(principal.peer).tryTake().ok) {
        dropped(principal.peer, `task output faster than ${LIVE_OUTPUT_LIMITS.messagesPerSecond} messages a second`)
        return "drop"
      }
      return "accept"
    },
  }
}
