/**
 * Enrolment: a holder of the join secret registers ONE key as a pending peer. The peer
 * proves it holds the key by signing a relay challenge; the relay (the only writer of
 * registrations) creates the peer's audit document and writes `root.peers[name]`.
 * Enrolling the same name with the same key again answers the record as it stands.
 */
import type { Repo } from "@automerge/automerge-repo"
import { displayNameHolder, EnrolmentRequest, enrolmentProofText, type EnrolmentAnswer, PeerNameTakenError, writePeerRecord } from "../src/domain/peers/index.ts"
import { verifyHex } from "../src/core/signing.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import { RateLimiter } from "../worker/rateLimit.ts"
import type { ChallengeStore } from "./transport/connectionAuth.ts"

export interface EnrolmentContext {
  repo: Repo
  workspace: Workspace
  workspaceId: string
  challenges: ChallengeStore
  /**
   * On a follower relay: the primary's address. Registrations are written upstream only, so
   * a follower answers keys already registered there and sends new ones to the primary.
   */
  registersAt?: string
  /** New registrations a minute, for the whole relay (each one writes the root). */
  limiter?: RateLimiter
  now?: () => number
}

export type EnrolmentResult = { status: 200 | 201; answer: EnrolmentAnswer } | { status: 400 | 401 | 409 | 429; error: string }

export function enrolmentLimiter(perMinute = 60): RateLimiter {
  return new RateLimiter(perMinute)
}

export async function enrol(body: unknown, ctx: EnrolmentContext): Promise<EnrolmentResult> {
  const parsed = EnrolmentRequest.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { status: 400, error: `enrolment: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}` }
  }
  const req = parsed.data
  if (!ctx.challenges.take(req.nonce)) return { status: 401, error: "unknown, used or expired challenge: ask GET /api/challenge again" }
  const text = enrolmentProofText(ctx.workspaceId, req.name, req.role, req.publicKey, req.nonce)
  if (!(await verifyHex(req.publicKey, text, req.sig))) return { status: 401, error: "the signature does not prove this key" }
  const before = ctx.workspace.root.peers[req.name]
  if (ctx.registersAt !== undefined) {
    if (!before || before.publicKey !== req.publicKey || before.role !== req.role)
      return { status: 409, error: `this is a follower relay: a new key enrols at the primary relay (${ctx.registersAt}), then connects to either` }
    return { status: 200, answer: { name: before.name, role: before.role, state: before.state, auditUrl: before.auditUrl } }
  }
  // Operators are told apart by their display names: a new one may not take another's.
  const holder = !before && req.role === "operator" && req.displayName !== undefined ? displayNameHolder(ctx.workspace.root.peers, req.displayName) : undefined
  if (holder) return { status: 409, error: `the name "${req.displayName}" is taken by another operator: pick another` }
  // Only new registrations count against the limit: every peer re-enrols on each start.
  if (!before && ctx.limiter && !ctx.limiter.tryTake().ok) return { status: 429, error: "too many new enrolments; try again in a minute" }
  const now = ctx.now?.() ?? Date.now()
  try {
    const record = writePeerRecord(
      ctx.repo,
      ctx.workspace.rootHandle,
      {
        name: req.name,
        role: req.role,
        publicKey: req.publicKey,
        state: "pending",
        displayName: req.displayName,
        hasLlmKey: req.hasLlmKey,
        concurrency: req.concurrency,
        identities: req.identities,
        // The peer is speaking to the relay right now (as a self-registered peer said before).
        lastSeen: now,
      },
      now,
    )
    return { status: before ? 200 : 201, answer: { name: record.name, role: record.role, state: record.state, auditUrl: record.auditUrl } }
  } catch (error) {
    if (error instanceof PeerNameTakenError) return { status: 409, error: req.displayName ? `the name "${req.displayName}" is taken by another peer: pick another` : error.message }
    throw error
  }
}
