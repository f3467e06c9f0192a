import { z } from "zod"
import { Actor, DocUrl, Id, LIMITS, PeerName, SchemaVersion, Timestamp, Usd } from "./common.ts"

// ── identities ──────────────────────────────────────────────────────────────

export const Identity = z.object({
  id: Id,
  name: z.string().min(1).max(LIMITS.name),
  createdAt: Timestamp,
  createdBy: PeerName,
  core: z.object({
    traits: z.array(z.string().max(LIMITS.name)).max(20),
    values: z.array(z.string().max(LIMITS.name)).max(20),
  }),
  mutable: z.record(z.string().max(LIMITS.name), z.string().max(LIMITS.reason)),
  profile: z.object({ bio: z.string().max(LIMITS.message), html: z.string().max(LIMITS.objective).optional() }),
  continuity: z.object({
    sessions: z.number().int().nonnegative(),
    tasksCompleted: z.number().int().nonnegative(),
    tasksFailed: z.number().int().nonnegative(),
    level: z.number().int().nonnegative(),
  }),
})
export type Identity = z.infer<typeof Identity>

export const IdentitiesDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("identities"),
  identities: z.record(Id, Identity),
})
export type IdentitiesDoc = z.infer<typeof IdentitiesDoc>

// ── wallets: an append-only ledger; balances are derived, never stored ──────

export const LedgerEntry = z.object({
  /** Idempotency key, also the map key: the same grant written twice counts once. */
  key: z.string().min(1).max(200),
  identity: Id,
  kind: z.enum(["grant", "spend"]),
  amount: z.number().int().positive().max(1_000_000),
  bucket: z.enum(["free_time", "journal"]),
  reason: z.string().max(LIMITS.reason),
  at: Timestamp,
  by: Actor,
})
export type LedgerEntry = z.infer<typeof LedgerEntry>

export const WalletsDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("wallets"),
  entries: z.record(z.string(), LedgerEntry),
})
export type WalletsDoc = z.infer<typeof WalletsDoc>

// ── discussions: one index document, one document per room ──────────────────

export const CANONICAL_ROOMS = [
  "town_hall",
  "human_async",
  "watercooler",
  "improvements",
  "struggles",
  "discoveries",
  "project_war_room",
] as const

export const RoomEntry = z.object({
  id: Id,
  kind: z.enum(["room", "dm"]),
  title: z.string().min(1).max(LIMITS.name),
  /** The two parties of a DM; empty for an open room. */
  members: z.array(Id).max(2),
  url: DocUrl,
  createdAt: Timestamp,
})
export type RoomEntry = z.infer<typeof RoomEntry>

export const RoomIndexDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("rooms"),
  rooms: z.record(Id, RoomEntry),
})
export type RoomIndexDoc = z.infer<typeof RoomIndexDoc>

export const Message = z.object({
  id: Id,
  author: Id,
  content: z.string().min(1).max(LIMITS.message),
  importance: z.number().int().min(0).max(10),
  replyTo: Id.optional(),
  at: Timestamp,
})
export type Message = z.infer<typeof Message>

export const RoomDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("room"),
  roomId: Id,
  messages: z.array(Message),
})
export type RoomDoc = z.infer<typeof RoomDoc>

// ── quests: an index plus one document per quest, so editors do not contend ──

export const QuestState = z.enum(["active", "paused", "awaiting_approval", "completed", "cancelled"])

export const QuestIndexEntry = z.object({ id: Id, title: z.string().max(LIMITS.title), url: DocUrl, createdAt: Timestamp })
export const QuestIndexDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("quests"),
  quests: z.record(Id, QuestIndexEntry),
})
export type QuestIndexDoc = z.infer<typeof QuestIndexDoc>

export const QuestDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("quest"),
  id: Id,
  title: z.string().min(1).max(LIMITS.title),
  /** Collaborative text: concurrent edits merge character by character. */
  objective: z.string().max(LIMITS.objective),
  identity: Id.optional(),
  budgetUsd: Usd,
  upfrontTip: z.number().int().nonnegative().max(100_000),
  completionReward: z.number().int().nonnegative().max(100_000),
  state: QuestState,
  taskId: Id.optional(),
  createdBy: PeerName,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type QuestDoc = z.infer<typeof QuestDoc>

// ── bounties ────────────────────────────────────────────────────────────────

export const Submission = z.object({
  id: Id,
  members: z.array(Id).min(1).max(10),
  content: z.string().min(1).max(LIMITS.message),
  at: Timestamp,
})

export const Bounty = z.object({
  id: Id,
  title: z.string().min(1).max(LIMITS.title),
  description: z.string().max(LIMITS.objective),
  reward: z.number().int().nonnegative().max(100_000),
  slots: z.number().int().min(1).max(100),
  state: z.enum(["open", "completed"]),
  submissions: z.record(Id, Submission),
  winner: Id.optional(),
  runnerUp: Id.optional(),
  createdBy: PeerName,
  createdAt: Timestamp,
})
export type Bounty = z.infer<typeof Bounty>

export const BountiesDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("bounties"),
  bounties: z.record(Id, Bounty),
})
export type BountiesDoc = z.infer<typeof BountiesDoc>
