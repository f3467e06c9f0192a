/**
 * A workspace archive: every document of a workspace as its Automerge binary (whole history,
 * signatures inside), a manifest naming each with its kind and SHA-256, and the exporter's
 * Ed25519 signature over the manifest. Read from a file: hostile until checked.
 */
import { z } from "zod"
import { DocUrl, PeerName, PublicKeyHex, SignatureHex } from "./common.ts"
import { DOCUMENT_SCHEMAS, type DocumentKind } from "./index.ts"

export const ARCHIVE_FORMAT = "vivarium-workspace-archive"

/** Every kind of document a workspace holds (DOCUMENT_SCHEMAS' keys). */
export const ArchivedKind = z.enum(Object.keys(DOCUMENT_SCHEMAS) as [DocumentKind, ...DocumentKind[]])

export const ArchiveEntry = z.object({
  kind: ArchivedKind,
  url: DocUrl,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 in hex"),
  bytes: z.number().int().nonnegative(),
})
export type ArchiveEntry = z.infer<typeof ArchiveEntry>

export const ArchiveManifest = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.literal(1),
  workspaceId: z.string().min(1).max(200),
  name: z.string().max(200),
  rootUrl: DocUrl,
  /** ISO 8601. */
  exportedAt: z.string().max(40),
  documents: z.array(ArchiveEntry).min(1).max(1_000_000),
  /** Documents the exporter could not find: an archive naming any is partial and is not imported. */
  missing: z.array(z.object({ kind: ArchivedKind, url: z.string().max(200), reason: z.string().max(500) })).max(1_000_000),
})
export type ArchiveManifest = z.infer<typeof ArchiveManifest>

export const WorkspaceArchive = z.object({
  manifest: ArchiveManifest,
  /** By the exporting peer's key, over the manifest as canonical JSON. */
  signature: z.object({ signer: PeerName, publicKeyHex: PublicKeyHex, sig: SignatureHex }),
  /** URL → the document's Automerge binary, base64. */
  documents: z.record(DocUrl, z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64")),
})
export type WorkspaceArchive = z.infer<typeof WorkspaceArchive>
