import { z } from "zod"
import { DocUrl, Id, LIMITS, PeerName, PublicKeyHex, SchemaVersion, SignatureHex, Timestamp, Usd } from "./common.ts"
import { SegmentPeriod } from "./social.ts"

export const MODEL_WHITELIST = [
  "llama-3.1-8b-instant",
  "llama-3.3-70b-versatile",
  "openai/gpt-oss-20b",
  "openai/gpt-oss-120b",
] as const
export const ModelChoice = z.enum(["auto", ...MODEL_WHITELIST])
export type ModelChoice = z.infer<typeof ModelChoice>

/** `mirror`: a follower relay (peer-server/upstream.ts), approved by the owner; it relays its own peers' changes and has no authority of its own. */
export const PeerRole = z.enum(["worker", "operator", "relay", "mirror"])
export const ApprovalState = z.enum(["pending", "approved", "revoked"])
export type ApprovalState = z.infer<typeof ApprovalState>

/**
 * An approval or revocation of a peer, signed by the deciding peer over the peer's name,
 * role and the key it approves (src/core/signedRecords.ts). Kept as a list so a revocation
 * does not erase the approval under which the peer's earlier records were valid.
 */
export const PeerDecision = z.object({
  state: z.enum(["approved", "revoked"]),
  publicKey: PublicKeyHex,
  by: PeerName,
  at: Timestamp,
  sig: SignatureHex,
})
export type PeerDecision = z.infer<typeof PeerDecision>

/** A replacement of a peer's key, signed by the old key or by the owner. */
export const KeyRotation = z.object({
  from: PublicKeyHex,
  to: PublicKeyHex,
  by: PeerName,
  at: Timestamp,
  sig: SignatureHex,
})
export type KeyRotation = z.infer<typeof KeyRotation>

export const MAX_PEER_DECISIONS = 20
/** Residents one worker offers to play at most (a worker that plays every resident offers the first ones by id). */
export const MAX_PLAYED_RESIDENTS = 100
export const MAX_KEY_ROTATIONS = 20
/** A century of monthly audit segments. */
export const MAX_AUDIT_SEGMENTS = 1_200

/** A registered peer. Keyed by name in `root.peers`; its public key verifies its audit log. */
export const PeerRecord = z.object({
  name: PeerName,
  role: PeerRole,
  publicKey: PublicKeyHex,
  state: ApprovalState,
  registeredAt: Timestamp,
  decidedBy: PeerName.optional(),
  decidedAt: Timestamp.optional(),
  /** The peer's own audit-log document: its log's first segment (all of a log from before segments). */
  auditUrl: DocUrl,
  /** The log's later segments, one per UTC month, newest first: listed by the relay only (src/domain/audit/segments.ts). */
  auditSegments: z.array(z.object({ period: SegmentPeriod, url: DocUrl })).max(MAX_AUDIT_SEGMENTS).optional(),
  /**
   * When the relay last saw the peer (it connected, went away, or at most every few minutes
   * while it stays): written by the relay, not by every heartbeat. Peers from before that
   * wrote it themselves on every heartbeat.
   */
  lastSeen: Timestamp.optional(),
  /**
   * Whether the peer is connected to the relay (or beats through a follower), by the relay's
   * own knowledge; written by the relay when it changes. Absent in workspaces of relays from
   * before: readers then judge by `lastSeen` alone (src/domain/tasks/scheduling.ts `isOnline`).
   */
  online: z.boolean().optional(),
  /** Workers say whether they hold a GROQ_API_KEY (never the key itself). */
  hasLlmKey: z.boolean().optional(),
  /** How many tasks a worker runs at once: the relay grants it at most this many leases. */
  concurrency: z.number().int().min(1).max(64).optional(),
  /**
   * The operator's name as they gave it (spaces allowed): what everyone sees for this key and
   * its devices (src/domain/peers/names.ts). `name` is the slug that keys the record and signs.
   */
  displayName: z.string().min(1).max(LIMITS.name).optional(),
  /**
   * A paired device (a terminal running the CLI): the operator whose authority and name it
   * carries. Written by the relay when that operator claims the device's pairing code; the
   * device counts only once that operator signs its approval (src/core/authorityChain.ts).
   */
  deviceOf: PeerName.optional(),
  /** Residents (identities) a worker plays; tasks targeted at others are not given to it. */
  identities: z.array(Id).max(MAX_PLAYED_RESIDENTS).optional(),
  /** Signed approvals and revocations, oldest first (the chain of authority reads these, not `state`). */
  decisions: z.array(PeerDecision).max(MAX_PEER_DECISIONS).optional(),
  /** Signed key rotations, oldest first; `publicKey` is the last one's `to`. */
  rotations: z.array(KeyRotation).max(MAX_KEY_ROTATIONS).optional(),
})
export type PeerRecord = z.infer<typeof PeerRecord>

export const KillSwitch = z.object({
  on: z.boolean(),
  reason: z.string().max(LIMITS.reason),
  setBy: PeerName,
  setAt: Timestamp,
})
export type KillSwitch = z.infer<typeof KillSwitch>

export const RuntimeControls = z.object({
  killSwitch: KillSwitch,
  spendCapUsd: Usd,
  defaultMinBudgetUsd: Usd,
  defaultMaxBudgetUsd: Usd,
  defaultModel: ModelChoice,
  /** Route every result through human review, whatever the critic says. */
  reviewEverything: z.boolean(),
})
export type RuntimeControls = z.infer<typeof RuntimeControls>

/** URLs of every other document of the workspace. */
/** Closed queue generations the relay still watches for late changes (src/domain/tasks/queueGenerations.ts). */
export const MAX_FORMER_QUEUES = 64

export const DocumentUrls = z.object({
  queue: DocUrl,
  identities: DocUrl,
  wallets: DocUrl,
  rooms: DocUrl,
  quests: DocUrl,
  bounties: DocUrl,
  /** Absent in workspaces created before the mailbox existed; the relay adds it on start. */
  mailbox: DocUrl.optional(),
  /** The ledger's index (segments by period and their checkpoints); absent before periods existed: the relay adds it on start, with `wallets` as its first segment. */
  ledger: DocUrl.optional(),
  /** The skills document; absent in workspaces from before skills: the relay adds it on start. */
  skills: DocUrl.optional(),
  /** Proposed changes and improvement loops; absent in workspaces from before them: the relay adds it on start. */
  proposals: DocUrl.optional(),
  /** Guilds, join votes, journal reviews and disputes; absent in workspaces from before them: the relay adds it on start. */
  community: DocUrl.optional(),
  /** The artifacts index (each artifact has a document of its own); absent in workspaces from before artifacts: the relay adds it on start. */
  artifacts: DocUrl.optional(),
  /** Finished tasks move to one archive document per month ("2026-11"). */
  archives: z.record(z.string().regex(/^\d{4}-\d{2}$/), DocUrl),
  /** Closed queue generations, newest first: the relay carries a late change in one forward to `queue`. */
  formerQueues: z.array(DocUrl).max(MAX_FORMER_QUEUES).optional(),
})
export type DocumentUrls = z.infer<typeof DocumentUrls>

/** A key that anchors authority: pinned by every reader at first sight, immutable after creation. */
export const AnchorKey = z.object({ name: PeerName, publicKey: PublicKeyHex })
export type AnchorKey = z.infer<typeof AnchorKey>

/**
 * The chain of authority starts here: the owner (the operator who created the workspace)
 * approves operators; the relay grants leases and pays. Absent in workspaces created before
 * it existed; the relay adds it on start.
 */
export const WorkspaceAuthority = z.object({ owner: AnchorKey, relay: AnchorKey })
export type WorkspaceAuthority = z.infer<typeof WorkspaceAuthority>

export const RootDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("root"),
  workspaceId: z.string().min(8).max(64),
  name: z.string().min(1).max(LIMITS.name),
  createdAt: Timestamp,
  docs: DocumentUrls,
  peers: z.record(PeerName, PeerRecord),
  controls: RuntimeControls,
  authority: WorkspaceAuthority.optional(),
})
export type RootDoc = z.infer<typeof RootDoc>
