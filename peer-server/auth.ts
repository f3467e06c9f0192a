/** The relay's one credential: the workspace join secret. */
import { timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"

/** The secret a request presents: `?token=` (WebSockets, browsers) or `Authorization: Bearer`. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  if (header?.startsWith("Bearer ")) return header.slice(7).trim()
  const url = new URL(req.url ?? "/", "http://relay.invalid")
  return url.searchParams.get("token") ?? undefined
}

export function tokenMatches(presented: string | undefined, secret: string): boolean {
  if (!presented) return false
  const a = Buffer.from(presented)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}
