/** A workspace document named for people: "the task queue", "the audit log of ada", not an id. */
import { parseAutomergeUrl, type AutomergeUrl } from "@automerge/automerge-repo/slim"
import type { DocumentKind, RootDoc } from "../../../schemas/index.ts"
import { displayNameOf } from "../../domain/peers/index.ts"

/** Each kind of document as a person would name it (the root's documents are named by their kind). */
export const DOCUMENT_NAMES: Readonly<Record<DocumentKind, string>> = {
  root: "the workspace settings and peers",
  queue: "the task queue",
  archive: "this archive",
  identities: "the resident list",
  wallets: "the wallet ledger",
  ledger: "the wallet ledger's index",
  "ledger-checkpoint": "a wallet ledger checkpoint",
  rooms: "the room list",
  room: "this room",
  quests: "the quest list",
  quest: "this quest",
  bounties: "the bounty board",
  journal: "this journal",
  mailbox: "the mailbox",
  skills: "the skills",
  proposals: "the proposals and loops",
  community: "the guilds, journal reviews and disputes",
  artifacts: "the artifacts list",
  artifact: "this artifact",
  audit: "this audit log",
}

export function documentLabel(root: RootDoc | undefined, documentId: string, rootDocumentId?: string): string {
  if (documentId === rootDocumentId) return DOCUMENT_NAMES.root
  const idOf = (url: string) => {
    try {
      return parseAutomergeUrl(url as AutomergeUrl).documentId
    } catch {
      return undefined
    }
  }
  for (const [key, url] of Object.entries(root?.docs ?? {}))
    if (typeof url === "string" && idOf(url) === documentId) return key in DOCUMENT_NAMES ? DOCUMENT_NAMES[key as DocumentKind] : key
  for (const [period, url] of Object.entries(root?.docs.archives ?? {})) if (idOf(url) === documentId) return `the archive of ${period}`
  for (const peer of Object.values(root?.peers ?? {})) if (peer.auditUrl && idOf(peer.auditUrl) === documentId) return `the audit log of ${displayNameOf(root, peer.name)}`
  return `document ${documentId.slice(0, 8)}…`
}
