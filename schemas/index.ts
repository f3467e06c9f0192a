/**
 * The one source of truth for every replicated document. `DOCUMENT_SCHEMAS` maps a
 * document's `kind` to its schema; `schemas/generate.ts` writes them as JSON Schema.
 */
import { AuditDoc } from "./audit.ts"
import { ArchiveDoc, QueueDoc } from "./queue.ts"
import { RootDoc } from "./root.ts"
import { SkillsDoc } from "./cognition.ts"
import { ProposalsDoc } from "./proposals.ts"
import { CommunityDoc } from "./community.ts"
import { ARTIFACT_LIMITS, ArtifactDoc, ArtifactsDoc } from "./artifacts.ts"
import { BountiesDoc, IdentitiesDoc, JournalDoc, LedgerCheckpointDoc, LedgerIndexDoc, MailboxDoc, QuestDoc, QuestIndexDoc, RoomDoc, RoomIndexDoc, WalletsDoc } from "./social.ts"

export * from "./common.ts"
export * from "./root.ts"
export * from "./queue.ts"
export * from "./social.ts"
export * from "./audit.ts"
export * from "./cognition.ts"
export * from "./proposals.ts"
export * from "./community.ts"
export * from "./artifacts.ts"

export const DOCUMENT_SCHEMAS = {
  root: RootDoc,
  queue: QueueDoc,
  archive: ArchiveDoc,
  identities: IdentitiesDoc,
  wallets: WalletsDoc,
  ledger: LedgerIndexDoc,
  "ledger-checkpoint": LedgerCheckpointDoc,
  rooms: RoomIndexDoc,
  room: RoomDoc,
  quests: QuestIndexDoc,
  quest: QuestDoc,
  bounties: BountiesDoc,
  journal: JournalDoc,
  mailbox: MailboxDoc,
  audit: AuditDoc,
  skills: SkillsDoc,
  proposals: ProposalsDoc,
  community: CommunityDoc,
  artifacts: ArtifactsDoc,
  artifact: ArtifactDoc,
} as const
export type DocumentKind = keyof typeof DOCUMENT_SCHEMAS

/**
 * How large each document may grow, enforced by the relay before it applies a peer's change
 * (peer-server/gate/changeGate.ts). `entries`: records in each of the document's maps or
 * lists (tasks, ledger entries, messages …); `entryBytes`: one record as JSON (every field
 * limit above included, with room for the longest history); `createBytes`: a whole
 * document a peer creates. A document's size is bounded by entries × entryBytes.
 */
export interface DocumentLimits {
  entries: number
  entryBytes: number
  createBytes: number
}

const KiB = 1024
export const DOCUMENT_LIMITS: Readonly<Record<DocumentKind, DocumentLimits>> = {
  root: { entries: 1_000, entryBytes: 16 * KiB, createBytes: 64 * KiB },
  queue: { entries: 20_000, entryBytes: 512 * KiB, createBytes: 64 * KiB },
  archive: { entries: 200_000, entryBytes: 512 * KiB, createBytes: 64 * KiB },
  identities: { entries: 5_000, entryBytes: 32 * KiB, createBytes: 64 * KiB },
  wallets: { entries: 1_000_000, entryBytes: 2 * KiB, createBytes: 64 * KiB },
  ledger: { entries: 10_000, entryBytes: 2 * KiB, createBytes: 64 * KiB },
  "ledger-checkpoint": { entries: 1, entryBytes: 64 * KiB * KiB, createBytes: 64 * KiB },
  rooms: { entries: 20_000, entryBytes: 2 * KiB, createBytes: 64 * KiB },
  room: { entries: 50_000, entryBytes: 8 * KiB, createBytes: 64 * KiB },
  quests: { entries: 20_000, entryBytes: 2 * KiB, createBytes: 64 * KiB },
  quest: { entries: 1, entryBytes: 128 * KiB, createBytes: 128 * KiB },
  bounties: { entries: 5_000, entryBytes: 256 * KiB, createBytes: 64 * KiB },
  journal: { entries: 100_000, entryBytes: 16 * KiB, createBytes: 64 * KiB },
  mailbox: { entries: 200_000, entryBytes: 8 * KiB, createBytes: 64 * KiB },
  audit: { entries: 5_000_000, entryBytes: 32 * KiB, createBytes: 64 * KiB },
  skills: { entries: 5_000, entryBytes: 64 * KiB, createBytes: 64 * KiB },
  proposals: { entries: 20_000, entryBytes: 32 * KiB, createBytes: 64 * KiB },
  community: { entries: 100_000, entryBytes: 64 * KiB, createBytes: 64 * KiB },
  artifacts: { entries: 100_000, entryBytes: 4 * KiB, createBytes: 64 * KiB },
  // One version: 256 KiB of text (as JSON, escapes included) or 512 KiB of image as base64; a new document holds its first.
  artifact: { entries: ARTIFACT_LIMITS.versions, entryBytes: 2 * KiB * KiB, createBytes: 4 * KiB * KiB },
}

/** The bytes of changes one sync message may carry (a burst of honest edits stays far below). */
export const MAX_CHANGE_BYTES_PER_MESSAGE = 16 * KiB * KiB
