/**
 * Artifacts: what residents and tasks produce (reports, documents, journal roll-ups, files a
 * task wrote in its worker's jail), kept with who made it, for which resident and task, and
 * every version. The `artifacts` index lists them, one entry each with a summary of its
 * latest version; each artifact has a document of its own holding its versions in order,
 * appended and never changed (src/domain/artifacts/authority.ts).
 */
import { z } from "zod"
import { Actor, DocUrl, Id, LIMITS, RunRef, SchemaVersion, storedString, Timestamp } from "./common.ts"

const KiB = 1024

export const ARTIFACT_LIMITS = {
  /** A text version's content, in UTF-8 bytes. */
  textBytes: 256 * KiB,
  /** An image version's content, in bytes. */
  binaryBytes: 512 * KiB,
  /** Versions one artifact holds at most. */
  versions: 100,
  /** Where an artifact came from (a path in a worker's jail, an operator's file name). */
  source: 300,
} as const

export const ARTIFACT_KINDS = ["report", "document", "journal_rollup", "file"] as const
export const ArtifactKind = z.enum(ARTIFACT_KINDS)
export type ArtifactKind = z.infer<typeof ArtifactKind>

/** Text is shown as text (Markdown rendered); nothing else textual is ever rendered (an SVG or HTML file is text/plain). */
export const TEXT_MIMES = ["text/plain", "text/markdown", "text/csv", "application/json"] as const
/** The images the panel shows, recognised by their first bytes. */
export const IMAGE_MIMES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const
export const ArtifactMime = z.enum([...TEXT_MIMES, ...IMAGE_MIMES])
export type ArtifactMime = z.infer<typeof ArtifactMime>

export const isTextMime = (mime: string): mime is (typeof TEXT_MIMES)[number] => (TEXT_MIMES as readonly string[]).includes(mime)

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 as 64 lower-case hex characters")

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The bytes base64 text of a valid shape decodes to. */
const base64Bytes = (text: string) => (text.length / 4) * 3 - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0)

/** What a version says about itself, without its content: the index keeps this of each artifact's latest. */
export const ArtifactSummary = z.object({
  version: z.number().int().min(1).max(ARTIFACT_LIMITS.versions),
  at: Timestamp,
  by: Actor,
  /** The run of the artifact's task a worker wrote it in; operators write outside runs. */
  run: RunRef.optional(),
  mime: ArtifactMime,
  sha256: Sha256Hex,
  bytes: z.number().int().nonnegative().max(ARTIFACT_LIMITS.binaryBytes),
})
export type ArtifactSummary = z.infer<typeof ArtifactSummary>

/**
 * One version: text content for a text type, base64 bytes for an image, with its size and
 * SHA-256 (readers check the hash: src/domain/artifacts/rules.ts).
 */
export const ArtifactVersion = ArtifactSummary.extend({
  text: storedString(z.string()).optional(),
  base64: storedString(z.string().regex(BASE64, "expected base64")).optional(),
}).superRefine((v, ctx) => {
  const text = isTextMime(v.mime)
  if (text ? v.text === undefined || v.base64 !== undefined : v.base64 === undefined || v.text !== undefined)
    return ctx.addIssue({ code: "custom", path: [text ? "text" : "base64"], message: `a ${v.mime} version holds its content as ${text ? "text" : "base64"}, and only that` })
  const bytes = v.text !== undefined ? new TextEncoder().encode(v.text).length : base64Bytes(v.base64!)
  if (bytes !== v.bytes) ctx.addIssue({ code: "custom", path: ["bytes"], message: `the content is ${bytes} bytes, not ${v.bytes}` })
  const max = text ? ARTIFACT_LIMITS.textBytes : ARTIFACT_LIMITS.binaryBytes
  if (bytes > max) ctx.addIssue({ code: "custom", path: ["bytes"], message: `a ${text ? "text" : "binary"} version holds at most ${max} bytes` })
})
export type ArtifactVersion = z.infer<typeof ArtifactVersion>

/** What identifies an artifact in its document and its index entry alike; fixed when it is made. */
export const ArtifactIdentity = z.object({
  id: Id,
  /** Who made it (its first version's writer): a worker for a task's artifacts, else an operator. */
  by: Actor,
  /** The resident it is by, when a resident made it (a task aimed at it). */
  author: Id.optional(),
  /** The task it belongs to, if any. */
  task: Id.optional(),
})
export type ArtifactIdentity = z.infer<typeof ArtifactIdentity>

/** One artifact's own document: its identity and its versions, oldest first, version n at position n. */
export const ArtifactDoc = ArtifactIdentity.extend({
  schemaVersion: SchemaVersion,
  kind: z.literal("artifact"),
  versions: z.array(ArtifactVersion).min(1).max(ARTIFACT_LIMITS.versions),
})
export type ArtifactDoc = z.infer<typeof ArtifactDoc>

/** An artifact in the index: what lists and filters read, and where its document is. */
export const ArtifactEntry = ArtifactIdentity.extend({
  title: storedString(z.string().min(1).max(LIMITS.title)),
  kind: ArtifactKind,
  url: DocUrl,
  /** Where it came from: the file's path in the worker's jail, or the operator's file name. */
  source: storedString(z.string().min(1).max(ARTIFACT_LIMITS.source)).optional(),
  createdAt: Timestamp,
  /** Its newest version as its writer last listed it (the artifact's document is what counts). */
  latest: ArtifactSummary,
})
export type ArtifactEntry = z.infer<typeof ArtifactEntry>

export const ArtifactsDoc = z.object({
  schemaVersion: SchemaVersion,
  kind: z.literal("artifacts"),
  artifacts: z.record(Id, ArtifactEntry),
})
export type ArtifactsDoc = z.infer<typeof ArtifactsDoc>
