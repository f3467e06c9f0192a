import { z } from "zod"
import { Actor, DocUrl, Id, LIMITS, PeerName, RunRef, SchemaVersion, SignatureHex, storedString, Timestamp, Usd } from "./common.ts"

// ── identities ──────────────────────────────────────────────────────────────

/** Creativity seed `AA-1234-BB` (A–Z without I and O); each is used by one identity only. */
export const CreativitySeed = z.string().regex(/^[A-HJ-NP-Z]{2}-\d{4}-[A-HJ-NP-Z]{2}$/, "a creativity seed looks like AB-1234-CD (letters without I and O)")

/** The attributes a resident may change about itself (mood, focus, likes …), stored in `Identity.mutable`. */
export const MUTABLE_ATTRIBUTES = ["mood", "focus", "likes", "dislikes", "interests", "workingStyle", "aesthetics", "quirks"] as const
export type MutableAttribute = (typeof MUTABLE_ATTRIBUTES)[number]

export const Identity = z.object({
  id: Id,
  name: z.string().min(1).max(LIMITS.name),
  createdAt: Timestamp,
  createdBy: PeerName,
  summary: z.string().max(600).optional(),
  statement: z.string().max(LIMITS.reason).optional(),
  seed: CreativitySeed.optional(),
  preferredActivities: z.array(z.string().max(LIMITS.name)).max(10).optional(),
  /** The resident's private journal document (memory). */
  journalUrl: DocUrl.optional(),
  core: z.object({
    traits: z.array(z.string().max(LIMITS.name)).max(20),
    values: z.array(z.string().max(LIMITS.name)).max(20),
  }),
  mutable: z.record(z.string().max(LIMITS.name), z.string().max(LIMITS.reason)),
  /** `html`/`css` are stored sanitized (src/domain/residents/profileSanitizer.ts) and re-sanitized on display. */
  profile: z.object({ bio: z.string().max(LIMITS.message), html: z.string().max(4_000).optional(), css: z.string().max(4_000).optional() }),
  continuity: z.object({
    sessions: z.number().int().nonnegative(),
    tasksCompleted: z.number().int().nonnegative(),
    tasksFailed: z.number().int().nonnegative(),
    level: z.number().int().nonnegative(),
  }),
})
export type Identity = z.infer<typeof Identity>

/** One worker plays a resident at a time: the relay grants this lease, like task leases. */
export const ResidentLease = z.object({ holder: PeerName, grantedAt: Timestamp, renewedAt: Timestamp })
export type ResidentLease = z.infer<typeof ResidentLease>

export const IdentitiesDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("identities"),
  identities: z.record(Id, Identity),
  /** Creativity seeds already used, keyed by seed: a seed names one identity only. */
  seedsUsed: z.record(z.string(), z.object({ identity: Id, at: Timestamp })).optional(),
  leases: z.record(Id, ResidentLease).optional(),
})
export type IdentitiesDoc = z.infer<typeof IdentitiesDoc>

// ── memory: one private journal document per resident ───────────────────────

export const JournalEntry = z.object({
  id: Id,
  at: Timestamp,
  kind: z.enum(["reflection", "learning", "observation", "correction", "note", "task"]),
  content: z.string().min(1).max(4_000),
  tier: z.enum(["basic", "quality", "exceptional"]),
  run: RunRef.optional(),
})
export type JournalEntry = z.infer<typeof JournalEntry>

export const JournalDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("journal"),
  identity: Id,
  entries: z.array(JournalEntry),
})
export type JournalDoc = z.infer<typeof JournalDoc>

// ── wallets: an append-only ledger; balances are derived, never stored ──────

export const LedgerEntry = z.object({
  /** Idempotency key, also the map key: the same grant written twice counts once. */
  key: z.string().min(1).max(200),
  identity: Id,
  kind: z.enum(["grant", "spend"]),
  amount: z.number().int().positive().max(1_000_000),
  /** Grants are "split" 70/30 into free time and journal tokens (capped); spends name a bucket. */
  bucket: z.enum(["split", "free_time", "journal"]),
  reason: z.string().max(LIMITS.reason),
  at: Timestamp,
  by: Actor,
  run: RunRef.optional(),
  /** `by`'s signature over the entry (src/core/signedRecords.ts); readers count only entries whose signer may write them. */
  sig: SignatureHex.optional(),
})
export type LedgerEntry = z.infer<typeof LedgerEntry>

/**
 * A ledger period: a UTC month ("2026-11"), or "legacy" for the wallets document written
 * before the ledger had periods (the first segment, kept as it was).
 */
export const LedgerPeriod = z.string().regex(/^(legacy|\d{4}-\d{2})$/, "a ledger period is legacy or a month YYYY-MM")
export type LedgerPeriod = z.infer<typeof LedgerPeriod>

/** A day map of a ledger segment: the UTC day of the month, "01" … "31". */
export const LedgerDay = z.string().regex(/^(0[1-9]|[12]\d|3[01])$/, "a ledger day is a day of the month, 01 to 31")
export type LedgerDay = z.infer<typeof LedgerDay>

/** One segment of the ledger: the entries written while its period was open (or later, by a peer that was offline). */
export const WalletsDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("wallets"),
  /** Absent in the legacy segment. */
  period: LedgerPeriod.optional(),
  /** Entries written before segments had day maps (the legacy document and older segments), kept as they are. */
  entries: z.record(z.string(), LedgerEntry),
  /**
   * Entries by the UTC day of the month of their `at` ("01" … "31"): every day map is made
   * with the segment (or added once by the relay to an older one), so a write only touches
   * one small map and peers never create a map concurrently. Absent in older segments.
   */
  days: z.record(LedgerDay, z.record(z.string(), LedgerEntry)).optional(),
})
export type WalletsDoc = z.infer<typeof WalletsDoc>

export const LedgerSegment = z.object({ period: LedgerPeriod, url: DocUrl, openedAt: Timestamp })
export type LedgerSegment = z.infer<typeof LedgerSegment>

/** A checkpoint the relay wrote when it closed `period` (src/domain/wallets/checkpoint.ts). */
export const LedgerCheckpointRef = z.object({ period: LedgerPeriod, url: DocUrl, at: Timestamp })
export type LedgerCheckpointRef = z.infer<typeof LedgerCheckpointRef>

/** The ledger's index, written by the relay only: its segments and the checkpoints of the closed ones. */
export const LedgerIndexDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("ledger"),
  segments: z.record(LedgerPeriod, LedgerSegment),
  checkpoints: z.record(LedgerPeriod, LedgerCheckpointRef),
})
export type LedgerIndexDoc = z.infer<typeof LedgerIndexDoc>

/** Bounds of a checkpoint's body: a JSON text of every resident's balances and every key counted so far. */
export const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024

/**
 * Balances carried forward at the close of `period`, signed by the relay over `body` (the
 * canonical JSON of CheckpointBody, stored as one immutable string, not collaborative text).
 */
export const LedgerCheckpointDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("ledger-checkpoint"),
  period: LedgerPeriod,
  by: PeerName,
  at: Timestamp,
  /** A string, or Automerge's immutable string ({ val }) as a replica reads it. */
  body: z.union([z.string().max(MAX_CHECKPOINT_BYTES), z.object({ val: z.string().max(MAX_CHECKPOINT_BYTES) })]),
  sig: SignatureHex,
})
export type LedgerCheckpointDoc = z.infer<typeof LedgerCheckpointDoc>

const Tokens = z.number().int().nonnegative().max(1_000_000)

/** What a checkpoint carries: the state derivation goes on from (src/domain/wallets/ledger.ts LedgerStart). */
export const CheckpointBody = z.object({
  period: LedgerPeriod,
  /** The segments it covers, each with the heads and the number of entries it read. */
  segments: z.record(LedgerPeriod, z.object({ heads: z.array(z.string().max(128)).max(1_000), entries: z.number().int().nonnegative() })),
  /** [free time, journal] of every resident with a wallet. */
  balances: z.record(Id, z.tuple([Tokens, Tokens])),
  /** Every key counted up to here, sorted: an entry under one of them never counts again. */
  keys: z.array(z.string().min(1).max(200)),
})
export type CheckpointBody = z.infer<typeof CheckpointBody>

// ── discussions: one index document; each room's messages in documents by period ──

export const CANONICAL_ROOMS = [
  "town_hall",
  "human_async",
  "watercooler",
  "improvements",
  "struggles",
  "discoveries",
  "project_war_room",
] as const

/** "2026-11": the UTC month a room segment holds (src/domain/rooms/segments.ts). */
export const SegmentPeriod = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a period is a UTC month, YYYY-MM")

/** A room's messages from `period` on, in their own room document (listed by the relay only). */
export const RoomSegment = z.object({ period: SegmentPeriod, url: DocUrl })
export type RoomSegment = z.infer<typeof RoomSegment>

export const RoomEntry = z.object({
  id: Id,
  kind: z.enum(["room", "dm"]),
  title: z.string().min(1).max(LIMITS.name),
  /** The two parties of a DM; empty for an open room. */
  members: z.array(Id).max(2),
  /** The room's first document: its messages from the start (until its first segment). */
  url: DocUrl,
  createdAt: Timestamp,
  /** What the room is for, set by an operator (or by an approved proposal). */
  topic: z.string().max(LIMITS.reason).optional(),
  /** The later segments, newest first; absent (rooms from before segments): `url` holds everything. */
  segments: z.array(RoomSegment).max(10_000).optional(),
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
  /** The period of a segment; absent in a room's first document. */
  period: SegmentPeriod.optional(),
  messages: z.array(Message),
})
export type RoomDoc = z.infer<typeof RoomDoc>

// ── mailbox: residents ↔ humans, asynchronous ────────────────────────────────

export const MailType = z.enum(["question", "greeting", "idea", "concern", "message", "task_pending_approval", "reply"])
export const MailMessage = z.object({
  id: Id,
  /** to_human: a resident wrote; from_human: an operator wrote (a reply or a new message). */
  direction: z.enum(["to_human", "from_human"]),
  /** The resident it is from or to; absent for a broadcast to all residents. */
  resident: Id.optional(),
  type: MailType,
  content: z.string().min(1).max(LIMITS.message),
  /** The inbound message this answers. */
  replyTo: Id.optional(),
  taskId: Id.optional(),
  /** Operator peer name or resident id. */
  by: z.string().min(1).max(120),
  at: Timestamp,
  run: RunRef.optional(),
})
export type MailMessage = z.infer<typeof MailMessage>

/**
 * A collaboration request: what the humans currently ask every resident to help with, shown as
 * one banner. Setting one queues a suggestion task for it; the newest one is the active one
 * until it is closed, and a newer one replaces it (derived, so setting one writes no other).
 */
export const CollabRequest = z.object({
  id: Id,
  text: storedString(z.string().min(1).max(LIMITS.message)),
  /** The operator who set it. */
  by: z.string().min(1).max(120),
  at: Timestamp,
  /** The suggestion task it queued. */
  taskId: Id,
  /** Marked done by an operator. */
  closed: z.object({ by: z.string().min(1).max(120), at: Timestamp }).optional(),
})
export type CollabRequest = z.infer<typeof CollabRequest>

export const MailboxDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("mailbox"),
  /** Keyed by id; a task-approval notice uses `pending-<taskId>`, so it exists once per task. */
  messages: z.record(Id, MailMessage),
  /** Collaboration requests by id (absent in a mailbox from before them). */
  requests: z.record(Id, CollabRequest).optional(),
})
export type MailboxDoc = z.infer<typeof MailboxDoc>

// ── quests: an index plus one document per quest, so editors do not contend ──

export const QuestState = z.enum(["active", "paused", "awaiting_approval", "completed", "failed", "cancelled"])
export type QuestState = z.infer<typeof QuestState>

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
  /** Set by the operator who approved completion (the reward itself is a ledger entry). */
  approvedBy: PeerName.optional(),
  approvedAt: Timestamp.optional(),
  createdBy: PeerName,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type QuestDoc = z.infer<typeof QuestDoc>

// ── bounties ────────────────────────────────────────────────────────────────

export const Submission = z.object({
  id: Id,
  /** The resident who submitted; members share the payout. */
  identity: Id.optional(),
  members: z.array(Id).min(1).max(10),
  content: z.string().min(1).max(LIMITS.message),
  at: Timestamp,
  /** 1-based place in arrival order, and the payout multiplier it earned (src/domain/bounties/bounty.ts). */
  slotIndex: z.number().int().min(1).optional(),
  multiplier: z.number().min(0).max(2).optional(),
  /** "in_slot" or the reasons: overflow, repeat_submission, insufficient_contribution. */
  reason: z.string().max(200).optional(),
  /** Hash of the normalized submission; an exact duplicate is refused. */
  fingerprint: z.string().max(128).optional(),
  run: RunRef.optional(),
})
export type Submission = z.infer<typeof Submission>

/** One operator's completion of a bounty; two written offline resolve to the earliest (src/domain/bounties/bounty.ts). */
export const BountyCompletion = z.object({
  winner: Id,
  runnerUp: Id.optional(),
  winnerReward: z.number().int().nonnegative().max(100_000),
  runnerUpReward: z.number().int().nonnegative().max(100_000),
  by: PeerName,
  at: Timestamp,
})
export type BountyCompletion = z.infer<typeof BountyCompletion>

export const Bounty = z.object({
  id: Id,
  title: z.string().min(1).max(LIMITS.title),
  description: z.string().max(LIMITS.objective),
  reward: z.number().int().nonnegative().max(100_000),
  slots: z.number().int().min(1).max(100),
  state: z.enum(["open", "claimed", "completed"]),
  submissions: z.record(Id, Submission),
  winner: Id.optional(),
  runnerUp: Id.optional(),
  winnerReward: z.number().int().nonnegative().max(100_000).optional(),
  runnerUpReward: z.number().int().nonnegative().max(100_000).optional(),
  completedBy: PeerName.optional(),
  completedAt: Timestamp.optional(),
  /** Every operator's completion, keyed by operator: the merge keeps them all. */
  completions: z.record(PeerName, BountyCompletion).optional(),
  createdBy: PeerName,
  createdAt: Timestamp,
})
export type Bounty = z.infer<typeof Bounty>

/**
 * A one-time task in the catalogue: each eligible resident may do it once, for a bonus paid on
 * approval (ledger key bonus:<id>:<resident>). A claim is a task with a fixed id per task and
 * resident, so claims made on two offline peers merge into one.
 */
export const OneTimeTask = z.strictObject({
  id: Id,
  title: z.string().trim().min(3).max(200),
  prompt: storedString(z.string().trim().min(3).max(4_000)),
  bonusTokens: z.number().int().min(1).max(1_000),
  /** The residents who may claim it; empty: every resident. */
  eligible: z.array(Id).max(200),
  createdBy: PeerName,
  createdAt: Timestamp,
  /** Retired: no new claims (claims made before still pay). */
  retired: z.boolean().optional(),
})
export type OneTimeTask = z.infer<typeof OneTimeTask>

export const BountiesDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("bounties"),
  bounties: z.record(Id, Bounty),
  /** The one-time task catalogue; absent in documents from before it: the relay adds it on start. */
  onetime: z.record(Id, OneTimeTask).optional(),
})
export type BountiesDoc = z.infer<typeof BountiesDoc>
