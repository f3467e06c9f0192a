/**
 * The shape of every document kind as the authority rules see it: which top-level fields
 * are maps of records (keyed by id), which are append-only lists, which are single fields,
 * each with the schema a record must pass and the rule that judges a change to it. The
 * relay's gate walks a peer's change through this table; readers can use the same rules.
 */
import { type z, z as zod } from "zod"
import {
  AuditEntry,
  Bounty,
  Identity,
  JournalEntry,
  LedgerEntry,
  MailMessage,
  Message,
  PeerRecord,
  QuestDoc,
  QuestIndexEntry,
  ResidentLease,
  RoomEntry,
  RuntimeControls,
  SignedHead,
  Skill,
  HatRecord,
  Proposal,
  ImprovementLoop,
  OneTimeTask,
  CollabRequest,
  Guild,
  JoinRequest,
  JournalReview,
  Dispute,
  ArtifactEntry,
  ArtifactIdentity,
  ArtifactVersion,
  Task,
  Timestamp,
  Id,
  type DocumentKind,
} from "../../../schemas/index.ts"
import type { Principal } from "../principal.ts"
import { authorizeArchivedTaskChange } from "../../domain/tasks/archiveAuthority.ts"
import { authorizeBountyChange } from "../../domain/bounties/authority.ts"
import { authorizeIdentityChange, authorizeJournalEntryChange, authorizeResidentLeaseChange, authorizeSeedUse } from "../../domain/residents/authority.ts"
import { authorizeMailChange } from "../../domain/mailbox/authority.ts"
import { authorizeCollabRequestChange } from "../../domain/collaboration/authority.ts"
import { authorizeSkillChange } from "../../domain/skills/authority.ts"
import { authorizeHatChange } from "../../domain/hats/authority.ts"
import { authorizeLoopChange, authorizeProposalChange } from "../../domain/proposals/authority.ts"
import { authorizeOneTimeChange } from "../../domain/onetime/authority.ts"
import { authorizeGuildChange, authorizeJoinRequestChange } from "../../domain/guilds/authority.ts"
import { authorizeJournalReviewChange } from "../../domain/journalReviews/authority.ts"
import { authorizeDisputeChange } from "../../domain/disputes/authority.ts"
import { authorizeArtifactEntryChange, authorizeArtifactVersionChange, type ArtifactContext } from "../../domain/artifacts/authority.ts"
import { authorizeControlsChange, authorizePeerChange, authorizeRootFieldChange } from "../../domain/peers/authority.ts"
import { authorizeQuestChange, authorizeQuestIndexChange } from "../../domain/quests/authority.ts"
import { authorizeRoomEntryChange, authorizeRoomMessageChange } from "../../domain/rooms/authority.ts"
import { authorizeTaskChange } from "../../domain/tasks/authority.ts"
import { ALLOWED, refused, refusePending, type AuthorityContext, type AuthorityVerdict } from "./verdict.ts"
import { authorizeSegmentEntryChange } from "../../domain/wallets/authority.ts"
import { dayOf } from "../../domain/wallets/periods.ts"

/** What the gate knows about the document and the workspace when it judges a change. */
export interface DocumentContext extends Omit<AuthorityContext, "key"> {
  /** The relay's current document (before the change), as plain data. */
  doc: Record<string, unknown>
  reviewEverything: boolean
}

type Rule<T> = (before: T | undefined, after: T | undefined, who: Principal, ctx: DocumentContext & { key: string }) => AuthorityVerdict

/** A map of records keyed by id (tasks, peers, ledger entries …). */
export interface RecordField<T = unknown> {
  type: "records"
  schema: z.ZodType<T>
  authorize: Rule<T>
}

/** An append-only list (messages, journal entries); `key` names an element in messages. */
export interface ListField<T = unknown> {
  type: "list"
  schema: z.ZodType<T>
  authorize: Rule<T>
}

/** One value judged whole (controls); `schema` absent: any change is judged without parsing. */
export interface ValueField<T = unknown> {
  type: "value"
  schema?: z.ZodType<T>
  authorize: Rule<T>
}

/**
 * Maps of records inside fixed shards (a ledger segment's day maps): the shards are made with
 * the document (or by the relay), a peer only adds records inside them, each in the shard
 * `shardOf` names for it.
 */
export interface ShardedField<T = unknown> {
  type: "shards"
  schema: z.ZodType<T>
  authorize: Rule<T>
  shardOf: (record: T) => string
}

export type FieldRule = RecordField | ListField | ValueField | ShardedField

export interface DocumentRules {
  fields: Readonly<Record<string, FieldRule>>
  /** Documents judged as one record (a quest): the whole document before and after. */
  whole?: { schema: z.ZodType<unknown>; authorize: Rule<unknown> }
  /** Audit logs are judged as one append by their owner (authorizeAuditChange). */
  audit?: true
}

const records = <T>(schema: z.ZodType<T>, authorize: Rule<T>): FieldRule => ({ type: "records", schema, authorize: authorize as Rule<unknown> })
const shards = <T>(schema: z.ZodType<T>, authorize: Rule<T>, shardOf: (record: T) => string): FieldRule => ({
  type: "shards",
  schema,
  authorize: authorize as Rule<unknown>,
  shardOf: shardOf as (record: unknown) => string,
})
const list = <T>(schema: z.ZodType<T>, authorize: Rule<T>): FieldRule => ({ type: "list", schema, authorize: authorize as Rule<unknown> })
const value = <T>(schema: z.ZodType<T> | undefined, authorize: Rule<T>): FieldRule => ({ type: "value", ...(schema ? { schema } : {}), authorize: authorize as Rule<unknown> })

/** kind, schemaVersion and the other identifying fields of a document never change. */
const fixed = (what: string): FieldRule => value(undefined, (_b, _a, who, ctx) => refusePending(who) ?? refused(`${what}.${ctx.key} is fixed when the document is created`))
const rootField = (field: string): FieldRule => value(undefined, (_b, _a, who) => authorizeRootFieldChange(field, who))

/** Fields only the relay writes (it writes them locally; every peer's change to them is refused). */
const relayOnly = (what: string, fields: readonly string[]): Record<string, FieldRule> =>
  Object.fromEntries(fields.map(f => [f, value(undefined, (_b, _a, who) => refusePending(who) ?? refused(`${what}.${f} is written by the relay only`))]))

const SeedUse = zod.object({ identity: Id, at: Timestamp })
const residentOf = (ctx: DocumentContext) => String(ctx.doc.identity ?? "")
const roomOf = (ctx: DocumentContext) => String(ctx.doc.roomId ?? "")
/** The artifact document's identity and versions, for the rule that judges a version. */
const artifactOf = (ctx: DocumentContext): Pick<ArtifactContext, "artifact" | "versions"> => ({
  artifact: ArtifactIdentity.safeParse(ctx.doc).data,
  versions: Array.isArray(ctx.doc.versions) ? (ctx.doc.versions as ArtifactContext["versions"]) : [],
})

export const DOCUMENT_RULES: Readonly<Record<DocumentKind, DocumentRules>> = {
  root: {
    fields: {
      peers: records(PeerRecord, authorizePeerChange),
      controls: value(RuntimeControls, authorizeControlsChange),
      ...Object.fromEntries(["kind", "schemaVersion", "workspaceId", "name", "createdAt", "docs", "authority"].map(f => [f, rootField(f)])),
    },
  },
  queue: {
    fields: {
      tasks: records(Task, (b, a, who, ctx) => authorizeTaskChange(b, a, who, ctx)),
      archivedSpendUsd: value(undefined, (_b, _a, who) => refusePending(who) ?? refused("queue.archivedSpendUsd is written by the relay only, when it archives tasks")),
      ...relayOnly("queue", ["generation", "movedTo", "forwarded"]),
      kind: fixed("queue"),
      schemaVersion: fixed("queue"),
    },
  },
  archive: { fields: { tasks: records(Task, authorizeArchivedTaskChange), kind: fixed("archive"), schemaVersion: fixed("archive"), period: fixed("archive") } },
  identities: {
    fields: {
      identities: records(Identity, authorizeIdentityChange),
      seedsUsed: records(SeedUse, authorizeSeedUse),
      leases: records(ResidentLease, authorizeResidentLeaseChange),
      kind: fixed("identities"),
      schemaVersion: fixed("identities"),
    },
  },
  wallets: {
    fields: {
      entries: records(LedgerEntry, authorizeSegmentEntryChange),
      days: shards(LedgerEntry, authorizeSegmentEntryChange, entry => dayOf(entry.at)),
      kind: fixed("wallets"),
      schemaVersion: fixed("wallets"),
      period: fixed("wallets"),
    },
  },
  ledger: { fields: relayOnly("ledger", ["segments", "checkpoints", "kind", "schemaVersion"]) },
  "ledger-checkpoint": { fields: relayOnly("ledger-checkpoint", ["period", "by", "at", "body", "sig", "kind", "schemaVersion"]) },
  rooms: { fields: { rooms: records(RoomEntry, authorizeRoomEntryChange), kind: fixed("rooms"), schemaVersion: fixed("rooms") } },
  room: {
    fields: {
      messages: list(Message, (b, a, who, ctx) => authorizeRoomMessageChange(b, a, who, { ...ctx, roomId: roomOf(ctx) })),
      kind: fixed("room"),
      schemaVersion: fixed("room"),
      roomId: fixed("room"),
      period: fixed("room"),
    },
  },
  quests: { fields: { quests: records(QuestIndexEntry, authorizeQuestIndexChange), kind: fixed("quests"), schemaVersion: fixed("quests") } },
  quest: { fields: {}, whole: { schema: QuestDoc as z.ZodType<unknown>, authorize: authorizeQuestChange as Rule<unknown> } },
  bounties: { fields: { bounties: records(Bounty, authorizeBountyChange), onetime: records(OneTimeTask, authorizeOneTimeChange), kind: fixed("bounties"), schemaVersion: fixed("bounties") } },
  journal: {
    fields: {
      entries: list(JournalEntry, (b, a, who, ctx) => authorizeJournalEntryChange(b, a, who, { ...ctx, resident: residentOf(ctx) })),
      kind: fixed("journal"),
      schemaVersion: fixed("journal"),
      identity: fixed("journal"),
    },
  },
  mailbox: {
    fields: { messages: records(MailMessage, authorizeMailChange), requests: records(CollabRequest, authorizeCollabRequestChange), kind: fixed("mailbox"), schemaVersion: fixed("mailbox") },
  },
  skills: { fields: { skills: records(Skill, authorizeSkillChange), hats: records(HatRecord, authorizeHatChange), kind: fixed("skills"), schemaVersion: fixed("skills") } },
  proposals: { fields: { proposals: records(Proposal, authorizeProposalChange), loops: records(ImprovementLoop, authorizeLoopChange), kind: fixed("proposals"), schemaVersion: fixed("proposals") } },
  community: {
    fields: {
      guilds: records(Guild, authorizeGuildChange),
      requests: records(JoinRequest, authorizeJoinRequestChange),
      reviews: records(JournalReview, authorizeJournalReviewChange),
      disputes: records(Dispute, authorizeDisputeChange),
      kind: fixed("community"),
      schemaVersion: fixed("community"),
    },
  },
  artifacts: { fields: { artifacts: records(ArtifactEntry, authorizeArtifactEntryChange), kind: fixed("artifacts"), schemaVersion: fixed("artifacts") } },
  artifact: {
    fields: {
      versions: list(ArtifactVersion, (b, a, who, ctx) => authorizeArtifactVersionChange(b, a, who, { ...ctx, ...artifactOf(ctx) })),
      ...Object.fromEntries(["kind", "schemaVersion", "id", "by", "author", "task"].map(f => [f, fixed("artifact")])),
    },
  },
  // entries and head are judged together by authorizeAuditChange; these give their schemas.
  audit: { fields: { entries: list(AuditEntry, () => ALLOWED), head: value(SignedHead, () => ALLOWED), kind: fixed("audit"), schemaVersion: fixed("audit"), peer: fixed("audit"), period: fixed("audit") }, audit: true },
}
