/**
 * The one source of truth for every replicated document. `DOCUMENT_SCHEMAS` maps a
 * document's `kind` to its schema; `schemas/generate.ts` writes them as JSON Schema.
 */
import { AuditDoc } from "./audit.ts"
import { ArchiveDoc, QueueDoc } from "./queue.ts"
import { RootDoc } from "./root.ts"
import { BountiesDoc, IdentitiesDoc, JournalDoc, MailboxDoc, QuestDoc, QuestIndexDoc, RoomDoc, RoomIndexDoc, WalletsDoc } from "./social.ts"

export * from "./common.ts"
export * from "./root.ts"
export * from "./queue.ts"
export * from "./social.ts"
export * from "./audit.ts"

export const DOCUMENT_SCHEMAS = {
  root: RootDoc,
  queue: QueueDoc,
  archive: ArchiveDoc,
  identities: IdentitiesDoc,
  wallets: WalletsDoc,
  rooms: RoomIndexDoc,
  room: RoomDoc,
  quests: QuestIndexDoc,
  quest: QuestDoc,
  bounties: BountiesDoc,
  journal: JournalDoc,
  mailbox: MailboxDoc,
  audit: AuditDoc,
} as const
export type DocumentKind = keyof typeof DOCUMENT_SCHEMAS
