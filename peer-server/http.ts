/** The relay's HTTP routes: health, metrics, the workspace pointer and the PWA. */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Workspace } from "../src/workspace/workspace.ts"
import { presentedToken, tokenMatches } from "./auth.ts"
import type { WorkspacePointer } from "./dataDir.ts"
import type { RelayMetrics } from "./metrics.ts"

export interface HttpContext {
  token: string
  rootUrl: string
  pointer: WorkspacePointer
  metrics: RelayMetrics
  startedAt: number
  workspace: Workspace
  onAuthFailure: (reason: string) => void
}

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value))
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vivarium</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Vivarium relay</h1>
<p>The relay is running. The control panel (PWA) is not built yet; use the CLI meanwhile:</p>
<pre>vivarium status\nvivarium task add --command "ls"\nvivarium task list</pre>
<p>Health: <a href="/healthz">/healthz</a> · Metrics: <a href="/metrics">/metrics</a></p>
</body></html>
`

export function handleHttp(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): void {
  const path = new URL(req.url ?? "/", "http://relay.invalid").pathname
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(res, 405, { error: `method ${req.method} not allowed; every route here is GET` })
    return
  }
  switch (path) {
    case "/healthz":
      sendJson(res, 200, {
        ok: true,
        uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
        peers: ctx.metrics.connectedPeers,
        documents: ctx.metrics.documentsLoaded,
        dataIssues: ctx.metrics.dataIssues,
      })
      return
    case "/metrics":
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics.render())
      return
    case "/api/workspace": {
      const presented = presentedToken(req)
      if (!tokenMatches(presented, ctx.token)) {
        ctx.onAuthFailure(presented ? "wrong secret" : "no secret")
        sendJson(res, 401, { error: "missing or wrong workspace secret: send Authorization: Bearer <secret>" })
        return
      }
      sendJson(res, 200, { rootUrl: ctx.rootUrl, workspaceId: ctx.pointer.workspaceId, name: ctx.workspace.root.name })
      return
    }
    case "/":
    case "/index.html":
      send(res, 200, "text/html; charset=utf-8", PLACEHOLDER)
      return
    default:
      sendJson(res, 404, { error: `no route ${path}` })
  }
}
