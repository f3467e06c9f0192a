/** A workspace document named for people: "the task queue", "the audit log of ada", not an id. */
import { parseAutomergeUrl, type AutomergeUrl } from "@automerge/automerge-repo/slim"
import type { RootDoc } from "../../../schemas/index.ts"
import { displayNameOf } from "../../domain/peers/index.ts"

const NAMES: Record<string, string> = {
  queue: "the task queue",
  identities: "the residents",
  wallets: "the wallets",
  rooms: "the room list",
  quests: "the quest list",
  bounties: "the bounties",
  mailbox: "the mailbox",
}

export function documentLabel(root: RootDoc | undefined, documentId: string, rootDocumentId?: string): string {
  if (documentId === rootDocumentId) return "the workspace settings and peers"
  const idOf = (url: string) => {
    try {
      return parseAutomergeUrl(url as AutomergeUrl).documentId
    } catch {
      return undefined
    }
  }
  for (const [key, url] of Object.entries(root?.docs ?? {}))
    if (typeof url === "string" && idOf(url) === documentId) return NAMES[key] ?? key
  for (const [period, url] of Object.entries(root?.docs.archives ?? {})) if (idOf(url) === documentId) return `the archive of ${period}`
  for (const peer of Object.values(root?.peers ?? {})) if (peer.auditUrl && idOf(peer.auditUrl) === documentId) return `the audit log of ${displayNameOf(root, peer.name)}`
  return `document ${documentId.slice(0, 8)}…`
}
