/**
 * How a browser joins a workspace: the join link `http://relay/#join=SECRET` carries the
 * relay's secret in the URL fragment (never sent in an HTTP request line). The browser asks
 * the relay which workspace it serves and remembers it, so later starts work offline.
 */
import { z } from "zod"
import { DocUrl } from "../../../schemas/index.ts"

export const RememberedWorkspace = z.object({
  /** The relay's HTTP origin (the page's own origin when the relay serves the app). */
  origin: z.string().url(),
  token: z.string().min(8).max(200),
  rootUrl: DocUrl,
  workspaceId: z.string(),
  name: z.string(),
  joinedAt: z.number(),
})
export type RememberedWorkspace = z.infer<typeof RememberedWorkspace>

export class JoinError extends Error {
  override readonly name = "JoinError"
}

/** The secret in a `#join=SECRET` fragment, if any. */
export function joinSecretFromHash(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ""))
  const secret = params.get("join")?.trim()
  return secret || undefined
}

export function joinLinkFor(ws: Pick<RememberedWorkspace, "origin" | "token">): string {
  return `${ws.origin}/#join=${encodeURIComponent(ws.token)}`
}

/** The relay's WebSocket address (no secret: a connection proves this browser's key instead). */
export function syncUrlFor(ws: Pick<RememberedWorkspace, "origin">): string {
  const url = new URL(ws.origin)
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  url.pathname = "/"
  return url.toString()
}

const WorkspaceAnswer = z.object({ rootUrl: DocUrl, workspaceId: z.string(), name: z.string() })

/** Asks the relay at `origin` which workspace `token` opens; clear errors for the usual failures. */
export async function lookUpWorkspace(origin: string, token: string, now = Date.now()): Promise<RememberedWorkspace> {
  let res: Response
  try {
    res = await fetch(`${origin}/api/workspace`, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" })
  } catch {
    throw new JoinError(`cannot reach the relay at ${origin}; is it running and are you online?`)
  }
  if (res.status === 401) throw new JoinError("the relay refused this join link's secret: ask an operator for a fresh link ('vivarium join-link')")
  if (!res.ok) throw new JoinError(`the relay answered ${res.status} when asked for its workspace`)
  const parsed = WorkspaceAnswer.safeParse(await res.json().catch(() => undefined))
  if (!parsed.success) throw new JoinError("the relay sent an unexpected answer; is this a Vivarium relay?")
  return { origin, token, ...parsed.data, joinedAt: now }
}
