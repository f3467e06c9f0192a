/** The join secret: it admits a holder to enrol a key and to ask for the workspace, nothing more. */
import { timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"

/** The secret a request presents in `Authorization: Bearer` (never in a URL, where logs keep it). */
export function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  if (header?.startsWith("Bearer ")) return header.slice(7).trim()
  return undefined
}

export function tokenMatches(presented: string | undefined, secret: string): boolean {
  if (!presented) return false
  const a = Buffer.from(presented)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}
