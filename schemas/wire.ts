/**
 * The messages that travel over a relay WebSocket (automerge-repo 2.5's websocket protocol,
 * CBOR-encoded, one message per frame), plus the relay's own `vivarium-refused` notice.
 * The relay checks every decoded frame against these before anything else reads it.
 */
import { z } from "zod"
import { LIMITS, PeerName } from "./common.ts"

/** A repo's peer id: random text chosen by the peer ("peer-…", a UUID, "relay-…"). */
export const WirePeerId = z.string().min(1).max(200)
/** A document id: the base58 part of an automerge: URL. */
export const WireDocumentId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[1-9A-HJ-NP-Za-km-z]+$/, "expected a base58 document id")
const StorageId = z.string().min(1).max(200)
/** Binary payloads (Automerge sync messages, ephemeral data) decode to Uint8Array (Buffer in Node). */
const Bytes = z.instanceof(Uint8Array).refine(b => b.byteLength > 0 && b.byteLength <= LIMITS.frameBytes, "expected 1 byte up to the frame limit")

export const PeerMetadata = z.object({ storageId: StorageId.optional(), isEphemeral: z.boolean().optional() })

const addressed = { senderId: WirePeerId, targetId: WirePeerId }

/** Client → relay, first and only once per connection: who this repo is. */
export const JoinMessage = z.object({
  type: z.literal("join"),
  senderId: WirePeerId,
  peerMetadata: PeerMetadata.optional(),
  supportedProtocolVersions: z.array(z.string().max(20)).max(20).optional(),
})
export type JoinMessage = z.infer<typeof JoinMessage>

/** Relay → client, the answer to a join. */
export const PeerMessage = z.object({
  type: z.literal("peer"),
  ...addressed,
  peerMetadata: PeerMetadata.optional(),
  selectedProtocolVersion: z.string().max(20),
})

/** Either side, before closing: why. */
export const ErrorMessage = z.object({ type: z.literal("error"), ...addressed, message: z.string().max(2_000) })

export const SyncMessage = z.object({
  type: z.literal("sync"),
  ...addressed,
  documentId: WireDocumentId,
  data: Bytes,
  /**
   * Relay → client only: a batch of live forwarding (peer-server/transport/liveForwarding.ts).
   * The relay needs no answer to it; a peer answers only with changes of its own.
   */
  forwarded: z.literal(true).optional(),
})
export const RequestMessage = z.object({ type: z.literal("request"), ...addressed, documentId: WireDocumentId, data: Bytes })
export const DocUnavailableMessage = z.object({ type: z.literal("doc-unavailable"), ...addressed, documentId: WireDocumentId })
export const EphemeralMessage = z.object({
  type: z.literal("ephemeral"),
  ...addressed,
  count: z.number().int().nonnegative(),
  sessionId: z.string().min(1).max(200),
  documentId: WireDocumentId,
  data: Bytes,
})
export const RemoteSubscriptionChange = z.object({
  type: z.literal("remote-subscription-change"),
  ...addressed,
  add: z.array(StorageId).max(1_000).optional(),
  remove: z.array(StorageId).max(1_000).optional(),
})
export const RemoteHeadsChanged = z.object({
  type: z.literal("remote-heads-changed"),
  ...addressed,
  documentId: WireDocumentId,
  newHeads: z.record(StorageId, z.object({ heads: z.array(z.string().max(100)).max(1_000), timestamp: z.number() })),
})

/** What a Repo consumes: every message after the join. */
export const RepoMessage = z.discriminatedUnion("type", [
  SyncMessage,
  RequestMessage,
  DocUnavailableMessage,
  EphemeralMessage,
  RemoteSubscriptionChange,
  RemoteHeadsChanged,
])
export type RepoMessage = z.infer<typeof RepoMessage>

/** An Automerge actor id (hex). */
export const ActorId = z.string().regex(/^[0-9a-f]{2,128}$/, "expected a hex actor id")
export const MAX_DECLARED_ACTORS = 1_000

/**
 * Between a follower relay (a `mirror` peer) and its upstream relay: which peer each
 * Automerge actor belongs to, as the sender's gate bound it. The follower says it before the
 * changes it forwards, and the upstream judges each as that peer; the upstream says it to
 * the follower, whose gate then refuses those actors from anyone else (peer-server/upstream.ts).
 */
export const ActorsMessage = z.object({
  type: z.literal("vivarium-actors"),
  ...addressed,
  actors: z.record(ActorId, PeerName).refine(a => Object.keys(a).length <= MAX_DECLARED_ACTORS, `at most ${MAX_DECLARED_ACTORS} actors a message`),
})
export type ActorsMessage = z.infer<typeof ActorsMessage>

/** Anything a client may send the relay. */
export const FromClientMessage = z.discriminatedUnion("type", [JoinMessage, ...RepoMessage.options, ActorsMessage])
export type FromClientMessage = z.infer<typeof FromClientMessage>

/** Relay → client: the relay did not accept a message (it was neither stored nor forwarded). */
export const RefusedMessage = z.object({
  type: z.literal("vivarium-refused"),
  ...addressed,
  documentId: WireDocumentId.optional(),
  reason: z.string().max(2_000),
  /** The relay could not take it now (storage failing, still starting): offer it again later.
   *  Without it the refusal is final: the relay will never accept that change. */
  retry: z.boolean().optional(),
})
export type RefusedMessage = z.infer<typeof RefusedMessage>

/** Anything the relay may send a client. */
export const FromRelayMessage = z.discriminatedUnion("type", [
  PeerMessage,
  ErrorMessage,
  RefusedMessage,
  ActorsMessage,
  SyncMessage,
  RequestMessage,
  DocUnavailableMessage,
  EphemeralMessage,
  RemoteSubscriptionChange,
  RemoteHeadsChanged,
])
export type FromRelayMessage = z.infer<typeof FromRelayMessage>

/** WebSocket close codes the relay uses, and what each means to the peer. */
export const CLOSE = {
  malformed: 4400,
  unauthorized: 4401,
  revoked: 4403,
  peerIdTaken: 4409,
  tooLarge: 4413,
  rateLimited: 4429,
  internal: 4500,
} as const

/** The subprotocol a relay speaks, and the prefix of the proof entry beside it. */
export const RELAY_PROTOCOL = "vivarium.1"
export const PROOF_PROTOCOL_PREFIX = "vv-auth."
