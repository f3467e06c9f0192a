/**
 * Who a connection speaks for. The join secret admits a holder to enrol one key (a pending
 * peer) and to ask for the workspace; a WebSocket proves a registered key by signing a
 * challenge. A pending terminal asks for a pairing code and an approved operator claims it
 * (pairing.ts), both proving their keys the same way. Pending peers read the root and their own audit log; approved peers read
 * everything; a registration that changes (approved, revoked, key replaced) changes what its
 * open connections speak for at once.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { RelayContext, RelayExtension } from "../extension.ts"
import { enrol, enrolmentLimiter } from "../enrolment.ts"
import { claimPairingCode, PairingCodes, requestPairingCode, type PairingContext, type PairingResult } from "../pairing.ts"
import { RateLimiter } from "../../worker/rateLimit.ts"
import { authorized, isRead, logRefusal, readBody, sendJson } from "../http.ts"
import { authenticateUpgrade, ChallengeStore, principalFor } from "./connectionAuth.ts"
import { auditSegments } from "../../src/domain/audit/index.ts"

/** The largest enrolment body read; a larger one is refused before it is parsed. */
export const MAX_ENROL_BODY = 16 * 1024

/** A POSTed JSON body (the secret checked first), or undefined once an error is answered. */
async function readJson(req: IncomingMessage, res: ServerResponse, ctx: RelayContext, what: string): Promise<{ body: unknown } | undefined> {
  if (!authorized(req, res, ctx)) return undefined
  const text = await readBody(req, MAX_ENROL_BODY)
  if (text === undefined) {
    sendJson(res, 413, { error: `${what} body over ${MAX_ENROL_BODY} bytes` })
    return undefined
  }
  try {
    return { body: JSON.parse(text) }
  } catch {
    sendJson(res, 400, { error: `${what}: the body is not JSON` })
    return undefined
  }
}

export function keyAuth(opts: { pairingTtlMs?: number; /** On a follower: the primary, where keys enrol and pair. */ registersAt?: string } = {}): RelayExtension {
  const challenges = new ChallengeStore()
  const enrolments = enrolmentLimiter()
  let ctx: RelayContext | undefined
  // (Not repo.shareConfigChanged(): its asynchronous re-evaluation can end a sync that a
  // request started meanwhile; the adapter answers the requests it refused instead.)
  const refreshPrincipals = () => {
    const root = ctx!.workspace.root
    ctx!.adapter.refreshPrincipals(current => {
      const verdict = principalFor(root, current.peer, current.publicKeyHex)
      return verdict.ok ? verdict.principal : undefined
    })
  }

  const codes = new PairingCodes(Date.now, opts.pairingTtlMs)
  const pairingRequests = new RateLimiter(30)
  const tries = new Map<string, RateLimiter>()
  const pairing = (ctx: RelayContext): PairingContext => ({
    workspace: ctx.workspace,
    workspaceId: ctx.workspaceId,
    challenges,
    codes,
    requests: pairingRequests,
    tries: operator => tries.get(operator) ?? tries.set(operator, new RateLimiter(6)).get(operator)!,
    audit: (device, operator) => ctx.auditLater("peer_decision", device, { pairing: "claimed", operator }),
  })

  function answer(req: IncomingMessage, res: ServerResponse, ctx: RelayContext, what: string, result: { status: number; answer: unknown } | { status: number; error: string }): void {
    if ("answer" in result) return sendJson(res, result.status, result.answer)
    if (result.status === 401 || result.status === 403) logRefusal(ctx, req, `${what} refused: ${result.error}`)
    sendJson(res, result.status, { error: result.error })
  }

  async function handleEnrol(req: IncomingMessage, res: ServerResponse, ctx: RelayContext): Promise<void> {
    const json = await readJson(req, res, ctx, "enrolment")
    if (json)
      answer(req, res, ctx, "enrolment", await enrol(json.body, { repo: ctx.repo, workspace: ctx.workspace, workspaceId: ctx.workspaceId, challenges, limiter: enrolments, registersAt: opts.registersAt }))
  }

  async function handlePairing(req: IncomingMessage, res: ServerResponse, ctx: RelayContext, step: (body: unknown, p: PairingContext) => Promise<PairingResult<unknown>>): Promise<void> {
    if (opts.registersAt !== undefined) return sendJson(res, 409, { error: `this is a follower relay: pair at the primary relay (${opts.registersAt})` })
    const json = await readJson(req, res, ctx, "pairing")
    if (json) answer(req, res, ctx, "pairing", await step(json.body, pairing(ctx)))
  }

  /** The POST routes: enrolment and the two pairing steps. */
  const posts: Record<string, (req: IncomingMessage, res: ServerResponse, ctx: RelayContext) => Promise<void>> = {
    "/api/enrol": handleEnrol,
    "/api/pair": (req, res, ctx) => handlePairing(req, res, ctx, requestPairingCode),
    "/api/pair/claim": (req, res, ctx) => handlePairing(req, res, ctx, claimPairingCode),
  }

  return {
    name: "key-auth",
    onStart(started) {
      ctx = started
      ctx.workspace.rootHandle.on("change", refreshPrincipals)
    },
    onAuthenticate(req) {
      return authenticateUpgrade(req, { workspaceId: ctx!.workspaceId, challenges, root: () => ctx!.workspace.root })
    },
    onConnect() {
      // The principal was read from the root when the key proof was checked; a decision that
      // landed between that and the socket joining (an owner approving at once) found no
      // connection to update. Re-read once the adapter holds the socket (it takes it right
      // after this hook), or a just-approved peer would stay pending until the next root change.
      queueMicrotask(refreshPrincipals)
    },
    mayRead(principal, documentId) {
      if (principal.role !== "pending") return true
      const workspace = ctx!.workspace
      const record = workspace.root.peers[principal.peer]
      return documentId === workspace.rootHandle.documentId || (!!record && auditSegments(record).some(s => s.url === `automerge:${documentId}`))
    },
    onRequest(req, res, path) {
      const post = Object.hasOwn(posts, path) ? posts[path] : undefined
      if (post) {
        if (req.method !== "POST") sendJson(res, 405, { error: `POST JSON to ${path}` })
        else
          post(req, res, ctx!).catch(error => {
            if (!res.headersSent) sendJson(res, 500, { error: `${path} failed: ${(error as Error).message}` })
          })
        return true
      }
      if (!isRead(req)) return false
      if (path === "/api/challenge") {
        const nonce = challenges.issue()
        if (nonce) sendJson(res, 200, { nonce })
        else sendJson(res, 503, { error: "too many challenges outstanding; try again in a minute" })
        return true
      }
      if (path === "/api/workspace") {
        if (authorized(req, res, ctx!)) sendJson(res, 200, { rootUrl: ctx!.rootUrl, workspaceId: ctx!.workspaceId, name: ctx!.workspace.root.name })
        return true
      }
      return false
    },
    onStop() {
      ctx?.workspace.rootHandle.off("change", refreshPrincipals)
    },
  }
}
