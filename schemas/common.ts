import { z } from "zod"

/** Every document carries the version of the schema it was written with. */
export const SCHEMA_VERSION = 1

/** Text limits: they keep one hostile peer from bloating every replica (see docs/SECURITY.md). */
export const LIMITS = {
  name: 80,
  title: 200,
  prompt: 4_000,
  command: 1_000,
  reason: 500,
  result: 64_000,
  message: 1_200,
  objective: 20_000,
  /** A resident's assembled context for one task (src/domain/residents/contextAssembly.ts). */
  context: 12_000,
  auditData: 16_000,
  /** The largest WebSocket frame the relay reads (one repo message); a larger one closes that connection. */
  frameBytes: 16 * 1024 * 1024,
} as const

/** Milliseconds since the epoch; every timestamp in a document uses it. */
export const Timestamp = z.number().int().nonnegative()

/** Automerge's marker on a string stored as one value (ImmutableString) rather than as text. */
const IMMUTABLE_STRING = Symbol.for("_am_immutableString")

/**
 * A string field nobody edits character by character (a command, a result, a reason): writers
 * may store it as one immutable value — one operation instead of one per character — and
 * readers get it back as a plain string. Text written by older peers reads the same.
 */
export function storedString<S extends z.ZodType<string>>(schema: S) {
  return z.preprocess(v => (typeof v === "object" && v !== null && IMMUTABLE_STRING in v ? String((v as unknown as { val: unknown }).val) : v), schema)
}

/** An automerge-repo document URL (`automerge:<base58 id>`). */
export const DocUrl = z.string().regex(/^automerge:[1-9A-HJ-NP-Za-km-z]+$/, "expected an automerge: URL")

/** Ids are short, printable and safe as map keys. */
export const Id = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "ids are letters, digits, '_', '.', ':' or '-'")

export const PeerName = z
  .string()
  .min(1)
  .max(LIMITS.name)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "peer names are letters, digits, '_', '.' or '-'")

/** Raw Ed25519 public key, 32 bytes as 64 hex characters. */
export const PublicKeyHex = z.string().regex(/^[0-9a-f]{64}$/, "expected a 32-byte hex Ed25519 public key")

/** Ed25519 signature, 64 bytes as 128 hex characters (src/core/signing.ts). */
export const SignatureHex = z.string().regex(/^[0-9a-f]{128}$/, "expected a 64-byte hex Ed25519 signature")

export const Usd = z.number().nonnegative().max(1_000_000)

/**
 * The run a side effect was made in (a journal note, paid mail, a bounty submission, their
 * ledger entries): the task and the lease its worker held. Readers ignore the side effects of
 * a run whose lease the relay had expired (src/domain/tasks/taskMerge.ts).
 */
export const RunRef = z.object({ taskId: Id, leaseId: Id })
export type RunRef = z.infer<typeof RunRef>

export const SchemaVersion = z.literal(SCHEMA_VERSION)

/** Who made a change: a registered peer (worker, operator) or the relay acting as "system". */
export const ActorKind = z.enum(["worker", "operator", "system"])
export type ActorKind = z.infer<typeof ActorKind>

export const Actor = z.object({ kind: ActorKind, name: PeerName })
export type Actor = z.infer<typeof Actor>
