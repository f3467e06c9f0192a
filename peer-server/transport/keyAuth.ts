/**
 * Who a connection speaks for. The join secret admits a holder to enrol one key (a pending
 * peer) and to ask for the workspace; a WebSocket proves a registered key by signing a
 * challenge. Pending peers read the root and their own audit log; approved peers read
 * everything; a registration that changes (approved, revoked, key replaced) changes what its
 * open connections speak for at once.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { RelayContext, RelayExtension } from "../extension.ts"
import { enrol, enrolmentLimiter } from "../enrolment.ts"
import { authorized, isRead, logRefusal, readBody, sendJson } from "../http.ts"
import { authenticateUpgrade, ChallengeStore, principalFor } from "./connectionAuth.ts"

/** The largest enrolment body read; a larger one is refused before it is parsed. */
export const MAX_ENROL_BODY = 16 * 1024

export function keyAuth(): RelayExtension {
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

  async function handleEnrol(req: IncomingMessage, res: ServerResponse, ctx: RelayContext): Promise<void> {
    if (!authorized(req, res, ctx)) return
    const text = await readBody(req, MAX_ENROL_BODY)
    if (text === undefined) return sendJson(res, 413, { error: `enrolment body over ${MAX_ENROL_BODY} bytes` })
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return sendJson(res, 400, { error: "enrolment: the body is not JSON" })
    }
    const result = await enrol(body, { repo: ctx.repo, workspace: ctx.workspace, workspaceId: ctx.workspaceId, challenges, limiter: enrolments })
    if ("answer" in result) sendJson(res, result.status, result.answer)
    else {
      if (result.status === 401) logRefusal(ctx, req, `enrolment refused: ${result.error}`)
      sendJson(res, result.status, { error: result.error })
    }
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
    mayRead(principal, documentId) {
      if (principal.role !== "pending") return true
      const workspace = ctx!.workspace
      return documentId === workspace.rootHandle.documentId || workspace.root.peers[principal.peer]?.auditUrl === `automerge:${documentId}`
    },
    onRequest(req, res, path) {
      if (path === "/api/enrol") {
        if (req.method !== "POST") sendJson(res, 405, { error: "POST a JSON enrolment to /api/enrol" })
        else
          handleEnrol(req, res, ctx!).catch(error => {
            if (!res.headersSent) sendJson(res, 500, { error: `enrolment failed: ${(error as Error).message}` })
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
