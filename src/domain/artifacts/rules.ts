/**
 * The artifact rules, pure: ids fixed by where an artifact comes from (a re-run of a task
 * writes to the same artifact, as a new version), what a file's content is (text, or one of
 * four image types told by its first bytes), the size limits, a version's bytes and hash,
 * what a reader notes when the index and an artifact's document disagree, and a line diff
 * between two versions (jsdiff).
 */
import { structuredPatch } from "diff"
import { ARTIFACT_LIMITS, isTextMime, type Actor, type ArtifactDoc, type ArtifactEntry, type ArtifactKind, type ArtifactMime, type ArtifactVersion } from "../../../schemas/index.ts"
import { fromBase64, toBase64 } from "../../core/base64.ts"
import { UserError } from "../../core/errors.ts"
import { sha256Hex } from "../../core/signing.ts"
import { fnv1a64 } from "../bounties/bounty.ts"
import type { Rollups } from "../residents/journal.ts"

// ── ids ─────────────────────────────────────────────────────────────────────

const MAX_ID = 120
const PLAIN_NAME = /^[A-Za-z0-9_.\/-]+$/

/**
 * The id of the artifact `name` of `scope` (a task, or an operator): `<scope>.<name>` with "/"
 * written ":", when that is a short, faithful id; otherwise cut, with a hash of both that keeps
 * different names apart ("a b" and "a_b" would read the same).
 */
export function artifactId(scope: string, name: string): string {
  const slug = name.replace(/\//g, ":").replace(/[^A-Za-z0-9_.:-]/g, "_")
  const plain = `${scope}.${slug}`
  if (PLAIN_NAME.test(name) && plain.length <= MAX_ID) return plain
  return `${scope.slice(0, 64)}.${slug.slice(0, 36)}-${fnv1a64(`${scope}\n${name}`).slice(0, 12)}`
}

/** A task's report: the answer its run gave, one artifact per task (each run a version). */
export const reportId = (taskId: string) => artifactId(taskId, "report")

/** A file a task's run wrote in its worker's jail, by its path there. */
export const jailFileId = (taskId: string, path: string) => artifactId(taskId, `files/${path}`)

/** A file an operator adds, by its name (and the task it is for): adding it again makes a new version. */
export const operatorFileId = (operator: string, fileName: string, task?: string) => artifactId(operator, task ? `${task}/${fileName}` : fileName)

/**
 * The journal roll-up an operator keeps of a resident: one artifact per operator and resident
 * (keeping it again makes the next version). The only artifact an operator writes for a resident.
 */
export const rollupId = (operator: string, resident: string) => artifactId(operator, `journal-rollup/${resident}`)

/** A resident's roll-ups as Markdown: the weeks, then the days, newest first. */
export function rollupMarkdown(residentName: string, r: Rollups): string {
  const count = (n: number) => `${n} ${n === 1 ? "entry" : "entries"}`
  const section = (title: string, rows: { label: string; entries: number; summary: string }[]) =>
    [`## ${title}`, "", ...(rows.length ? rows.map(x => `- **${x.label}** (${count(x.entries)}): ${x.summary}`) : ["Nothing yet."]), ""]
  return [
    `# Journal of ${residentName}`,
    "",
    ...section("Weeks", r.weekly.map(w => ({ label: w.week, ...w }))),
    ...section("Days", r.daily.map(d => ({ label: d.date, ...d }))),
  ].join("\n")
}

/** Each kind as people read it (the panel's lists, filters and viewer). */
export const ARTIFACT_KIND_WORDS: Record<ArtifactKind, string> = { report: "report", document: "document", journal_rollup: "journal roll-up", file: "file" }

/** Where the panel shows an artifact (room posts link it). */
export const artifactPath = (id: string) => `/artifacts/${id}`

// ── content ─────────────────────────────────────────────────────────────────

const IMAGE_EXTENSIONS: Readonly<Record<string, ArtifactMime>> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" }
const TEXT_EXTENSIONS: Readonly<Record<string, ArtifactMime>> = { md: "text/markdown", markdown: "text/markdown", csv: "text/csv", json: "application/json" }

const extensionOf = (name: string) => /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? ""
const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) => magic.every((b, i) => bytes[at + i] === b)
const ascii = (text: string) => [...text].map(c => c.charCodeAt(0))

/** The image type `bytes` are, by their first bytes (never by a name), or undefined. */
export function imageMimeOf(bytes: Uint8Array): ArtifactMime | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png"
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg"
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif"
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp"
  return undefined
}

/** A version's content as it is stored: text for text, base64 for an image. */
export type ArtifactContent = { mime: ArtifactMime; bytes: number; sha256: string } & ({ text: string } | { base64: string })

/**
 * What the file `name` holding `bytes` is kept as: an image when its first bytes say PNG, JPEG,
 * GIF or WebP; else text when it is UTF-8 without NUL bytes (typed by its extension: Markdown,
 * CSV, JSON, else plain). Throws UserError artifact_type (a name that promises an image the
 * bytes are not, or bytes that are neither) or artifact_too_large.
 */
export async function artifactContent(name: string, bytes: Uint8Array): Promise<ArtifactContent> {
  const ext = extensionOf(name)
  const image = imageMimeOf(bytes)
  if (image) {
    const large = sizeRefusal(name, bytes, bytes.length)
    if (large) throw large
    return { mime: image, bytes: bytes.length, sha256: await sha256Hex(bytes), base64: toBase64(bytes) }
  }
  if (IMAGE_EXTENSIONS[ext]) throw new UserError("artifact_type", { name, why: `it is named as a ${ext} image, but its bytes are not a PNG, JPG, GIF or WebP image` })
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    throw new UserError("artifact_type", { name, why: "it is neither UTF-8 text nor a PNG, JPG, GIF or WebP image" })
  }
  if (text.includes("\u0000")) throw new UserError("artifact_type", { name, why: "it holds NUL bytes, so it is binary, and not a PNG, JPG, GIF or WebP image" })
  const large = sizeRefusal(name, bytes, bytes.length)
  if (large) throw large
  return { mime: TEXT_EXTENSIONS[ext] ?? "text/plain", bytes: bytes.length, sha256: await sha256Hex(bytes), text }
}

/**
 * Why a file of `size` bytes starting with `head` is too large to keep (an image's limit when
 * its first bytes say image, else the text limit), or undefined: the CLI asks before it reads
 * a large file whole.
 */
export function sizeRefusal(name: string, head: Uint8Array, size: number): UserError<"artifact_too_large"> | undefined {
  const image = !!imageMimeOf(head)
  const max = image ? ARTIFACT_LIMITS.binaryBytes : ARTIFACT_LIMITS.textBytes
  return size > max ? new UserError("artifact_too_large", { name, bytes: size, max, what: image ? "an image" : "text" }) : undefined
}

/** Text as an artifact's content (a report), by the same rules as a file named `name`. */
export const textContent = (name: string, text: string) => artifactContent(name, new TextEncoder().encode(text))

/** A version's content as bytes. */
export function versionBytes(v: Pick<ArtifactVersion, "text" | "base64">): Uint8Array {
  return v.text !== undefined ? new TextEncoder().encode(v.text) : fromBase64(v.base64 ?? "")
}

/** An image version as a `data:` URL (the panel's Content-Security-Policy allows images from data:). */
export const imageDataUrl = (v: Pick<ArtifactVersion, "mime" | "base64">) => `data:${v.mime};base64,${v.base64 ?? ""}`

/** Why a version's content does not match its SHA-256, or undefined when it does. */
export async function checksumProblem(v: ArtifactVersion): Promise<string | undefined> {
  const actual = await sha256Hex(versionBytes(v))
  return actual === v.sha256 ? undefined : `version ${v.version}'s content does not match its SHA-256 (${v.sha256.slice(0, 12)}…, the content hashes to ${actual.slice(0, 12)}…)`
}

/** "12 B", "3.4 KiB", "1.2 MiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

// ── readers' checks ─────────────────────────────────────────────────────────

export const sameActor = (a: Actor, b: Actor) => a.kind === b.kind && a.name === b.name

/**
 * Why an index entry and the document it points to are not one artifact (their identities
 * differ: an entry pointing at another artifact's document), or undefined.
 */
export function identityMismatch(entry: ArtifactEntry, doc: Pick<ArtifactDoc, "id" | "by" | "author" | "task">): string | undefined {
  const differs: string[] = (["id", "author", "task"] as const).filter(k => entry[k] !== doc[k])
  if (!sameActor(entry.by, doc.by)) differs.push("by")
  return differs.length ? `its index entry and its document disagree on ${differs.join(", ")}` : undefined
}

/**
 * What a reader notes about the index's summary of the latest version against the document's
 * versions (the document is what counts; the two sync separately, so either may be ahead).
 */
export function latestNote(entry: ArtifactEntry, versions: readonly Pick<ArtifactVersion, "version" | "sha256">[]): string | undefined {
  const listed = entry.latest
  const held = versions.find(v => v.version === listed.version)
  if (!held) return `the index lists version ${listed.version}, which has not reached this copy of the artifact yet`
  if (held.sha256 !== listed.sha256) return `the index's summary of version ${listed.version} does not match the version itself: the version is what is shown`
  const newest = versions.at(-1)!.version
  return newest > listed.version ? `the index still lists version ${listed.version}; the artifact holds ${newest}` : undefined
}

// ── diffs ───────────────────────────────────────────────────────────────────

export interface DiffLine {
  kind: "context" | "added" | "removed"
  text: string
}

export interface DiffHunk {
  oldStart: number
  oldLines: number
  newStart: number
  newLines: number
  lines: DiffLine[]
}

export interface VersionDiff {
  hunks: DiffHunk[]
  added: number
  removed: number
  /** The two texts differ in too many places to list line by line. */
  tooDifferent: boolean
}

/** Edits beyond which a diff is not worked out (two unrelated 256 KiB texts would take long). */
const MAX_EDITS = 2_000

/** The lines `after` adds to and removes from `before`, in hunks with three lines of context. */
export function lineDiff(before: string, after: string): VersionDiff {
  const patch = structuredPatch("before", "after", before, after, undefined, undefined, { context: 3, maxEditLength: MAX_EDITS })
  if (!patch) return { hunks: [], added: 0, removed: 0, tooDifferent: true }
  const kinds = { "+": "added", "-": "removed", " ": "context" } as const
  const hunks = patch.hunks.map(h => ({
    oldStart: h.oldStart,
    oldLines: h.oldLines,
    newStart: h.newStart,
    newLines: h.newLines,
    // "\ No newline at end of file" says nothing a reader of the panel needs.
    lines: h.lines.filter(l => l[0] !== "\\").map(l => ({ kind: kinds[l[0] as keyof typeof kinds], text: l.slice(1) })),
  }))
  const count = (kind: DiffLine["kind"]) => hunks.reduce((n, h) => n + h.lines.filter(l => l.kind === kind).length, 0)
  return { hunks, added: count("added"), removed: count("removed"), tooDifferent: false }
}

/** How two versions differ: line by line for text, by hash for images (or a change of type). */
export type VersionComparison = { kind: "text"; diff: VersionDiff } | { kind: "binary"; same: boolean }

export function compareVersions(from: ArtifactVersion, to: ArtifactVersion): VersionComparison {
  if (isTextMime(from.mime) && isTextMime(to.mime)) return { kind: "text", diff: lineDiff(from.text ?? "", to.text ?? "") }
  return { kind: "binary", same: from.sha256 === to.sha256 }
}

// ── lists ───────────────────────────────────────────────────────────────────

/** What a list of artifacts is narrowed to: a task's, a resident's, one kind. */
export interface ArtifactFilter {
  task?: string | undefined
  author?: string | undefined
  kind?: ArtifactKind | undefined
}

/** The artifacts matching `filter`, the most recently written first. */
export function filterArtifacts(entries: Iterable<ArtifactEntry>, filter: ArtifactFilter): ArtifactEntry[] {
  return [...entries]
    .filter(a => (!filter.task || a.task === filter.task) && (!filter.author || a.author === filter.author) && (!filter.kind || a.kind === filter.kind))
    .sort((a, b) => b.latest.at - a.latest.at || (a.id < b.id ? -1 : 1))
}

/** Room kept for " and 99 more" after the links that fit. */
const MORE_ROOM = 12

/** "artifacts: /artifacts/a /artifacts/b", the links that fit in `room` characters and "and N more" for the rest; "" for none. */
export function artifactsLine(ids: readonly string[], room: number): string {
  if (!ids.length) return ""
  const paths: string[] = []
  for (const id of ids) {
    const after = ids.length - paths.length - 1
    if (["artifacts:", ...paths, artifactPath(id)].join(" ").length + (after ? MORE_ROOM : 0) > room) break
    paths.push(artifactPath(id))
  }
  const rest = ids.length - paths.length
  return ["artifacts:", ...paths, ...(rest ? [`and ${rest} more`] : [])].join(" ")
}
