/**
 * Workspace archives: every document of a workspace as its Automerge binary (the whole
 * history, every signature inside it), a manifest naming each with its kind and SHA-256, and
 * the exporting peer's signature over the manifest. `verifyArchive` checks an archive read
 * from a file before anything is written: its shape, the signature, that the signer is an
 * approved operator of the archived workspace, each document's hash, that each loads as
 * Automerge and is the kind the manifest says, and that nothing is missing or extra.
 */
import * as A from "@automerge/automerge/slim"
import { parseAutomergeUrl, type AutomergeUrl, type DocHandle, type DocumentId, type Repo } from "@automerge/automerge-repo/slim"
import { ARCHIVE_FORMAT, WorkspaceArchive, type ArchiveEntry, type ArchiveManifest } from "../../schemas/workspaceArchive.ts"
import type { RootDoc } from "../../schemas/index.ts"
import { canonicalJson } from "../core/authority/verdict.ts"
import { UserError } from "../core/errors.ts"
import { fromBase64, toBase64 } from "../core/base64.ts"
import { sha256Hex as sha256, signHex, verifyHex } from "../core/signing.ts"
import { readRoot, type DataIssue } from "../core/validate.ts"
import type { PeerIdentity } from "../domain/peers/index.ts"
import { walkWorkspace } from "./workspaceDocuments.ts"

export interface ArchiveOptions {
  /** How long to wait for one document (default 10 s). */
  findTimeoutMs?: number
  onProgress?: (done: number, total: number) => void
  now?: number
}

/** A document of a verified archive, ready to import under its own id. */
export interface ArchivedDocument {
  kind: ArchiveEntry["kind"]
  url: string
  documentId: DocumentId
  binary: Uint8Array
}

export interface VerifiedArchive {
  manifest: ArchiveManifest
  signer: string
  documents: ArchivedDocument[]
}

/** Every document of the workspace at `rootHandle`, signed by `signer`. A document not found in time is named under `missing`. */
export async function archiveWorkspace(repo: Repo, rootHandle: DocHandle<unknown>, signer: PeerIdentity, opts: ArchiveOptions = {}): Promise<WorkspaceArchive> {
  const issues: DataIssue[] = []
  const root = readRoot(rootHandle.doc(), `root ${rootHandle.url}`, issues)
  const binaries = new Map<string, { kind: ArchiveEntry["kind"]; binary: Uint8Array }>([[rootHandle.url, { kind: "root", binary: A.save(rootHandle.doc() as A.Doc<unknown>) }]])
  const walked = await walkWorkspace(repo, root, {
    archives: true,
    ...(opts.findTimeoutMs !== undefined ? { findTimeoutMs: opts.findTimeoutMs } : {}),
    onProgress: (done, total) => opts.onProgress?.(done + 1, total + 1),
    onFound: ({ kind, url }, handle) => binaries.set(url, { kind, binary: A.save(handle.doc() as A.Doc<unknown>) }),
  })
  const documents: ArchiveEntry[] = []
  const encoded: Record<string, string> = {}
  for (const [url, { kind, binary }] of binaries) {
    documents.push({ kind, url, sha256: await sha256(binary), bytes: binary.byteLength })
    encoded[url] = toBase64(binary)
  }
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    version: 1,
    workspaceId: root.workspaceId,
    name: root.name,
    rootUrl: rootHandle.url,
    exportedAt: new Date(opts.now ?? Date.now()).toISOString(),
    documents,
    missing: walked.missing.map(m => ({ kind: m.kind, url: m.url, reason: m.reason })),
  }
  const sig = await signHex(signer.key, canonicalJson(manifest))
  return { manifest, signature: { signer: signer.name, publicKeyHex: signer.publicKeyHex, sig }, documents: encoded }
}

/** Checks an archive read from `file`; throws `archive_refused` with the first reason it is not whole and genuine. */
export async function verifyArchive(value: unknown, file: string): Promise<VerifiedArchive> {
  const refuse = (reason: string) => new UserError("archive_refused", { file, reason })
  const parsed = WorkspaceArchive.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw refuse(`it is not a Vivarium workspace archive (${issue.path.join(".") || "the file"}: ${issue.message})`)
  }
  const { manifest, signature, documents } = parsed.data
  if (!(await verifyHex(signature.publicKeyHex, canonicalJson(manifest), signature.sig)))
    throw refuse(`its manifest does not match the signature of ${signature.signer}: it was changed after the export`)
  if (manifest.missing.length)
    throw refuse(`it is partial: ${manifest.missing.length} document(s) could not be exported (${manifest.missing.slice(0, 3).map(m => `${m.kind} ${m.url}: ${m.reason}`).join("; ")})`)
  const listed = new Set(manifest.documents.map(d => d.url))
  const extra = Object.keys(documents).find(url => !listed.has(url))
  if (extra) throw refuse(`it holds a document the manifest does not list (${extra})`)
  const out: ArchivedDocument[] = []
  let root: unknown
  for (const entry of manifest.documents) {
    const text = documents[entry.url]
    if (text === undefined) throw refuse(`the ${entry.kind} document ${entry.url} is missing from it`)
    const binary = fromBase64(text)
    if (binary.byteLength !== entry.bytes || (await sha256(binary)) !== entry.sha256)
      throw refuse(`the ${entry.kind} document ${entry.url} is not the one exported (its SHA-256 differs)`)
    let doc: A.Doc<{ kind?: unknown }>
    try {
      doc = A.load(binary)
    } catch (error) {
      throw refuse(`the ${entry.kind} document ${entry.url} does not load (${(error as Error).message})`)
    }
    if (doc.kind !== entry.kind) throw refuse(`the document ${entry.url} is listed as ${entry.kind} but holds ${String(doc.kind)}`)
    if (entry.url === manifest.rootUrl) root = doc
    out.push({ kind: entry.kind, url: entry.url, documentId: parseAutomergeUrl(entry.url as AutomergeUrl).documentId, binary })
  }
  if (root === undefined) throw refuse(`its root document ${manifest.rootUrl} is not in it`)
  const issues: DataIssue[] = []
  let rootDoc: RootDoc
  try {
    rootDoc = readRoot(root, `root ${manifest.rootUrl}`, issues)
  } catch (error) {
    throw refuse(`its root document is not readable (${(error as Error).message})`)
  }
  if (rootDoc.workspaceId !== manifest.workspaceId) throw refuse(`its root belongs to workspace ${rootDoc.workspaceId}, not ${manifest.workspaceId}`)
  const signer = rootDoc.peers[signature.signer]
  if (!signer || signer.publicKey !== signature.publicKeyHex || signer.state !== "approved" || signer.role !== "operator")
    throw refuse(`it was signed by ${signature.signer}, who is not an approved operator of the workspace with that key`)
  return { manifest, signer: signature.signer, documents: out }
}

