/** The relay's HTTP routes: health, metrics, the workspace pointer and the PWA. */
import { existsSync } from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import { fileURLToPath } from "node:url"
import sirv from "sirv"
import type { Workspace } from "../src/workspace/workspace.ts"
import { presentedToken, tokenMatches } from "./auth.ts"
import type { WorkspacePointer } from "./dataDir.ts"
import type { EnrolmentResult } from "./enrolment.ts"
import type { RelayMetrics } from "./metrics.ts"
import type { StorageHealth } from "./storage/storageHealth.ts"
import type { ChallengeStore } from "./transport/connectionAuth.ts"

export interface HttpContext {
  token: string
  rootUrl: string
  pointer: WorkspacePointer
  metrics: RelayMetrics
  storageHealth: StorageHealth
  startedAt: number
  workspace: Workspace
  onAuthFailure: (reason: string) => void
  /** Single-use nonces for key proofs (connections and enrolments). */
  challenges: ChallengeStore
  /** Registers a key as a pending peer (body already parsed as JSON). */
  enrol: (body: unknown) => Promise<EnrolmentResult>
  /** Serves the built PWA; undefined when dist/app is missing (a page says how to build it). */
  app?: StaticHandler
}

type StaticHandler = ReturnType<typeof sirv>

/** Where `npm run build` puts the PWA. */
export const DEFAULT_APP_DIR = fileURLToPath(new URL("../dist/app", import.meta.url))

/**
 * The PWA's files. Hashed assets are immutable; the page, manifest and service worker are
 * revalidated so a rebuilt app reaches browsers. Unknown paths fall back to index.html
 * (the app routes in the browser).
 */
export function staticApp(dir = DEFAULT_APP_DIR): StaticHandler | undefined {
  if (!existsSync(`${dir}/index.html`)) return undefined
  return sirv(dir, {
    single: true,
    // Look files up per request: a rebuild (`npm run build`) replaces the hashed files under a
    // running relay, and a cached file list would serve 404s or vanished files.
    dev: true,
    etag: true,
    setHeaders(res, pathname) {
      for (const [k, v] of Object.entries(APP_HEADERS)) res.setHeader(k, v)
      res.setHeader("Cache-Control", pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache")
    },
  })
}

/** The PWA loads only its own code; WASM compilation needs 'wasm-unsafe-eval'. */
const APP_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
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

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vivarium</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Vivarium relay</h1>
<p>The relay is running, but the control panel is not built. Build it and reload:</p>
<pre>npm run build</pre>
<p>Health: <a href="/healthz">/healthz</a> · Metrics: <a href="/metrics">/metrics</a></p>
</body></html>
`

/** The largest enrolment body read; a larger one is refused before it is parsed. */
export const MAX_ENROL_BODY = 16 * 1024

/** The body as text, or undefined when it is larger than `max` (the rest is read and dropped, up to a bound). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size <= max) chunks.push(chunk)
      else if (size > 64 * max) req.destroy()
    })
    req.on("end", () => resolve(size > max ? undefined : Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })
}

function authorized(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): boolean {
  const presented = presentedToken(req)
  if (tokenMatches(presented, ctx.token)) return true
  ctx.onAuthFailure(presented ? "wrong secret" : "no secret")
  sendJson(res, 401, { error: "missing or wrong workspace secret: send Authorization: Bearer <secret>" })
  return false
}

async function handleEnrol(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  if (!authorized(req, res, ctx)) return
  const text = await readBody(req, MAX_ENROL_BODY)
  if (text === undefined) return sendJson(res, 413, { error: `enrolment body over ${MAX_ENROL_BODY} bytes` })
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return sendJson(res, 400, { error: "enrolment: the body is not JSON" })
  }
  const result = await ctx.enrol(body)
  if ("answer" in result) sendJson(res, result.status, result.answer)
  else {
    if (result.status === 401) ctx.onAuthFailure(`enrolment refused: ${result.error}`)
    sendJson(res, result.status, { error: result.error })
  }
}

export function handleHttp(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): void {
  const path = new URL(req.url ?? "/", "http://relay.invalid").pathname
  if (path === "/api/enrol") {
    if (req.method !== "POST") return sendJson(res, 405, { error: "POST a JSON enrolment to /api/enrol" })
    handleEnrol(req, res, ctx).catch(error => {
      if (!res.headersSent) sendJson(res, 500, { error: `enrolment failed: ${(error as Error).message}` })
    })
    return
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(res, 405, { error: `method ${req.method} not allowed; every route here but /api/enrol is GET` })
    return
  }
  switch (path) {
    case "/healthz": {
      // Not ok while the relay cannot save (it refuses writes then); damaged documents are
      // warnings: the relay serves the rest.
      const reasons = ctx.storageHealth.reasons()
      const warnings = ctx.storageHealth.warnings()
      sendJson(res, reasons.length ? 503 : 200, {
        ok: !reasons.length,
        ...(reasons.length ? { reasons } : {}),
        ...(warnings.length ? { warnings } : {}),
        uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
        peers: ctx.metrics.connectedPeers,
        documents: ctx.metrics.documentsLoaded,
        dataIssues: ctx.metrics.dataIssues,
      })
      return
    }
    case "/metrics":
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics.render())
      return
    case "/api/challenge": {
      const nonce = ctx.challenges.issue()
      if (nonce) sendJson(res, 200, { nonce })
      else sendJson(res, 503, { error: "too many challenges outstanding; try again in a minute" })
      return
    }
    case "/api/workspace": {
      if (!authorized(req, res, ctx)) return
      sendJson(res, 200, { rootUrl: ctx.rootUrl, workspaceId: ctx.pointer.workspaceId, name: ctx.workspace.root.name })
      return
    }
    default:
      if (path.startsWith("/api/")) sendJson(res, 404, { error: `no route ${path}` })
      else if (ctx.app) ctx.app(req, res, () => sendJson(res, 404, { error: `no route ${path}` }))
      else send(res, 503, "text/html; charset=utf-8", NOT_BUILT)
  }
}
