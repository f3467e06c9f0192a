/**
 * Ephemeral messages (automerge-repo broadcasts: Presence, a running task's live output) are
 * not changes, so the change gate lets them through; this extension checks them before the
 * relay's Repo decodes and forwards them. A payload that is not CBOR, or not one of the kinds
 * in schemas/ephemeral.ts, is dropped: automerge-repo would throw on it in every receiver.
 * So is task output that is not on the queue document, not from the worker holding that
 * task's current lease, or faster than the rate. Forwarding itself needs no rule here: the
 * relay sends a document's messages only to peers that may read it (keyAuth's mayRead).
 * Drops are counted (metrics) and logged at most once a minute per peer; the sender gets no
 * answer, as there is nothing it could send again.
 */
import { cbor } from "@automerge/automerge-repo/slim"
import { EphemeralPayload, LIVE_OUTPUT_LIMITS, TASK_OUTPUT_MARKER } from "../../schemas/ephemeral.ts"
import type { Task } from "../../schemas/index.ts"
import { RateLimiter } from "../../worker/rateLimit.ts"
import type { RelayExtension } from "../extension.ts"
import type { Principal } from "../principal.ts"

export type EphemeralVerdict = { ok: true; taskOutput: boolean } | { ok: false; reason: string }

export interface EphemeralInput {
  principal: Principal
  documentId: string
  data: Uint8Array
  /** The live queue's document id: the one channel of task output. */
  queueDocumentId: string
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
  if (!parsed.success) return { ok: false, reason: "the payload is neither presence nor task output" }
  if (!(TASK_OUTPUT_MARKER in parsed.data)) return { ok: true, taskOutput: false }
  const batch = parsed.data[TASK_OUTPUT_MARKER]
  if (input.documentId !== input.queueDocumentId) return { ok: false, reason: "task output goes on the queue document only" }
  const lease = input.task(batch.taskId)?.lease
  if (!lease || lease.holder !== input.principal.peer || lease.leaseId !== batch.leaseId)
    return { ok: false, reason: `output for task ${batch.taskId} from ${input.principal.peer}, which does not hold its lease ${batch.leaseId}` }
  return { ok: true, taskOutput: true }
}

const LOG_EVERY_MS = 60_000

export function ephemeralGate(): RelayExtension {
  let judge: ((principal: Principal, documentId: string, data: Uint8Array) => EphemeralVerdict) | undefined
  let dropped = (_peer: string, _reason: string) => {}
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
      judge = (principal, documentId, data) => judgeEphemeral({ principal, documentId, data, queueDocumentId, task: id => ctx.workspace.tasks.get(id) })
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
      if (!verdict.ok) {
        dropped(principal.peer, verdict.reason)
        return "drop"
      }
      if (verdict.taskOutput && !rateOf(principal.peer).tryTake().ok) {
        dropped(principal.peer, `task output faster than ${LIVE_OUTPUT_LIMITS.messagesPerSecond} messages a second`)
        return "drop"
      }
      return "accept"
    },
  }
}
