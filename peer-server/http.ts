/** What every HTTP route of the relay shares: answers with safe headers, bodies with a bound, the secret check. */
import type { IncomingMessage, ServerResponse } from "node:http"
import { presentedToken, tokenMatches } from "./auth.ts"
import type { RelayContext } from "./extension.ts"

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
}

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, "Content-Type": type, "Content-Length": Buffer.byteLength(body) })
  res.end(body)
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value))
}

/** A GET or HEAD: every route but enrolment only reads. */
export function isRead(req: IncomingMessage): boolean {
  return req.method === "GET" || req.method === "HEAD"
}

/** The body as text, or undefined when it is larger than `max` (the rest is read and dropped, up to a bound). */
export function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
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

/** Counts and logs a refused request or connection (address, method and path; never a secret). */
export function logRefusal(ctx: RelayContext, req: IncomingMessage, reason: string): void {
  ctx.metrics.authFailures++
  ctx.log(`refused ${req.socket.remoteAddress ?? "?"} ${req.method} ${new URL(req.url ?? "/", "http://x").pathname}: ${reason}`)
}

/** Whether the request presents the join secret; answers 401 itself when not. */
export function authorized(req: IncomingMessage, res: ServerResponse, ctx: RelayContext): boolean {
  const presented = presentedToken(req)
  if (tokenMatches(presented, ctx.token)) return true
  logRefusal(ctx, req, presented ? "wrong secret" : "no secret")
  sendJson(res, 401, { error: "missing or wrong workspace secret: send Authorization: Bearer <secret>" })
  return false
}
