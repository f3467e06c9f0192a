/**
 * What peers do with artifacts: list them (by task, resident or kind), show one at a version
 * with what a reader should know (its index entry lagging or disagreeing, content that does
 * not match its hash, a stale run), compare two versions, add one as an operator (signed into
 * its audit log), keep a resident's journal roll-up, and record a task's artifacts as the worker that ran it. A write appends a
 * version to the artifact's own document (making the document first, for a new artifact) and
 * moves the index's summary of the latest. Refusals are thrown with nothing written.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import {
  ARTIFACT_LIMITS,
  SCHEMA_VERSION,
  type Actor,
  type ArtifactDoc,
  type ArtifactEntry,
  type ArtifactIdentity,
  type ArtifactKind,
  type ArtifactsDoc,
  type ArtifactSummary,
  type ArtifactVersion,
  type RunRef,
  type Task,
} from "../../../schemas/index.ts"
import { UserError } from "../../core/errors.ts"
import { OperatorActionError, openDoc, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { readArtifact, readArtifactIndex, readJournalEntries } from "../../workspace/documentReaders.ts"
import { storedValue } from "../../workspace/storedValue.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { journalOf, residentOf } from "../residents/actions.ts"
import { rollups } from "../residents/journal.ts"
import { AddArtifactInput, ArtifactFilterInput, VersionNumber } from "./inputs.ts"
import {
  artifactContent,
  checksumProblem,
  compareVersions,
  filterArtifacts,
  identityMismatch,
  jailFileId,
  latestNote,
  operatorFileId,
  reportId,
  rollupId,
  rollupMarkdown,
  sameActor,
  textContent,
  type ArtifactContent,
  type VersionComparison,
} from "./rules.ts"

async function artifactIndex(workspace: Workspace): Promise<DocHandle<ArtifactsDoc>> {
  const url = workspace.root.docs.artifacts
  if (!url) throw new OperatorActionError("artifacts_missing")
  return openDoc<ArtifactsDoc>(workspace, url)
}

const entriesOf = (index: DocHandle<ArtifactsDoc>) => readArtifactIndex(index.doc(), `artifacts ${index.url}`, [])

/** The artifacts matching `filter` (task, resident, kind), the most recently written first. */
export async function artifactsOf(workspace: Workspace, filter: ArtifactFilterInput = {}): Promise<ArtifactEntry[]> {
  const f = parseInput(ArtifactFilterInput, filter)
  return filterArtifacts(entriesOf(await artifactIndex(workspace)).values(), f)
}

/** A version without its content, and why its run no longer counts, if it does not (the relay had expired its lease). */
export interface VersionInfo extends ArtifactSummary {
  stale?: string
}

interface OpenedArtifact {
  entry: ArtifactEntry
  handle: DocHandle<ArtifactDoc>
  /** Its valid versions, in order (version n at index n - 1). */
  versions: ArtifactVersion[]
}

/** The artifact listed as `entry`, its document read and checked against the entry. */
async function openArtifact(workspace: Workspace, entry: ArtifactEntry): Promise<OpenedArtifact> {
  let handle: DocHandle<ArtifactDoc>
  try {
    handle = await openDoc<ArtifactDoc>(workspace, entry.url)
  } catch {
    throw new OperatorActionError("not_found", { thing: "document of artifact", id: entry.id })
  }
  const { identity, versions } = readArtifact(handle.doc(), `artifact ${handle.url}`, [])
  if (!identity || identityMismatch(entry, identity) || !versions.length) throw new OperatorActionError("unreadable", { thing: "artifact", id: entry.id })
  return { entry, handle, versions }
}

async function artifactNamed(workspace: Workspace, id: string): Promise<OpenedArtifact> {
  const entry = entriesOf(await artifactIndex(workspace)).get(id)
  if (!entry) throw new OperatorActionError("artifact_not_found", { id })
  return openArtifact(workspace, entry)
}

function versionAt(opened: OpenedArtifact, version: number | string | undefined): ArtifactVersion {
  if (version === undefined) return opened.versions.at(-1)!
  const n = parseInput(VersionNumber, version)
  const found = opened.versions[n - 1]
  if (!found) throw new OperatorActionError("artifact_version_not_found", { id: opened.entry.id, version: n, versions: opened.versions.length })
  return found
}

const summaryOf = ({ text: _text, base64: _base64, ...summary }: ArtifactVersion): ArtifactSummary => summary

function infoOf(workspace: Workspace, v: ArtifactVersion): VersionInfo {
  const stale = workspace.staleRunReason(v.run)
  return { ...summaryOf(v), ...(stale ? { stale } : {}) }
}

export interface ShownArtifact {
  entry: ArtifactEntry
  /** Every version, oldest first, without content. */
  versions: VersionInfo[]
  /** The version asked for (the newest by default), with its content. */
  version: ArtifactVersion
  /** What a reader should know: the index lagging or disagreeing, content not matching its hash. */
  notes: string[]
}

/** Artifact `id` at `version` (the newest by default). */
export async function showArtifact(workspace: Workspace, id: string, version?: number | string): Promise<ShownArtifact> {
  const opened = await artifactNamed(workspace, id)
  const chosen = versionAt(opened, version)
  const notes = [latestNote(opened.entry, opened.versions), await checksumProblem(chosen)].filter((n): n is string => !!n)
  return { entry: opened.entry, versions: opened.versions.map(v => infoOf(workspace, v)), version: chosen, notes }
}

export interface ArtifactDiff {
  id: string
  from: VersionInfo
  to: VersionInfo
  comparison: VersionComparison
}

/** How version `to` (the newest by default) of artifact `id` differs from version `from`. */
export async function diffArtifact(workspace: Workspace, id: string, from: number | string, to?: number | string): Promise<ArtifactDiff> {
  const opened = await artifactNamed(workspace, id)
  const [a, b] = [versionAt(opened, from), versionAt(opened, to)]
  return { id, from: infoOf(workspace, a), to: infoOf(workspace, b), comparison: compareVersions(a, b) }
}

/** The ids of task `taskId`'s artifacts (none in a workspace whose relay has not added the artifacts index yet). */
export async function taskArtifactIds(workspace: Workspace, taskId: string): Promise<string[]> {
  if (!workspace.root.docs.artifacts) return []
  return (await artifactsOf(workspace, { task: taskId })).map(a => a.id)
}

// ── writing ─────────────────────────────────────────────────────────────────

/** A new version of an artifact: where it belongs, what it holds, who wrote it and under which run. */
interface VersionDraft {
  identity: ArtifactIdentity
  title: string
  kind: ArtifactKind
  source?: string
  content: ArtifactContent
  by: Actor
  run?: RunRef
  at: number
}

export interface WrittenArtifact {
  id: string
  version: number
  mime: string
  bytes: number
}

/** The version as the document stores it: its content as one immutable value, no absent fields. */
function storedVersion(v: ArtifactVersion): ArtifactVersion {
  return {
    ...summaryOf(v),
    ...(v.text !== undefined ? { text: storedValue(v.text) } : {}),
    ...(v.base64 !== undefined ? { base64: storedValue(v.base64) } : {}),
  }
}

/**
 * Appends `draft` as the next version of its artifact, making the artifact (document and index
 * entry) when it is new; "unchanged" when its newest version holds the same content already.
 */
async function writeVersion(
  workspace: Workspace,
  index: DocHandle<ArtifactsDoc>,
  draft: VersionDraft,
  entries: ReadonlyMap<string, ArtifactEntry> = entriesOf(index),
): Promise<WrittenArtifact | { unchanged: number }> {
  const { identity, content } = draft
  const entry = entries.get(identity.id)
  const opened = entry && (await openArtifact(workspace, entry))
  const last = opened?.versions.at(-1)
  if (last && last.sha256 === content.sha256 && last.mime === content.mime) return { unchanged: last.version }
  // A version out of place in the document (left out by readers) still holds its place: the next one goes after it.
  const held = opened ? (opened.handle.doc().versions as unknown[]).length : 0
  if (held >= ARTIFACT_LIMITS.versions) throw new OperatorActionError("artifact_versions_full", { id: identity.id, max: ARTIFACT_LIMITS.versions })
  const version: ArtifactVersion = { version: held + 1, at: draft.at, by: draft.by, ...(draft.run ? { run: draft.run } : {}), ...content }
  if (opened) opened.handle.change(d => void d.versions.push(storedVersion(version)))
  const url = opened?.handle.url ?? workspace.repo.create<ArtifactDoc>({ schemaVersion: SCHEMA_VERSION, kind: "artifact", ...identity, versions: [storedVersion(version)] }).url
  index.change(d => {
    const listed = d.artifacts[identity.id]
    // A summary moves only forward (the gate refuses anything else); an index ahead of this copy stays.
    if (listed) {
      if (listed.latest.version < version.version) listed.latest = summaryOf(version)
    } else
      d.artifacts[identity.id] = {
        ...identity,
        title: storedValue(draft.title),
        kind: draft.kind,
        url,
        ...(draft.source ? { source: storedValue(draft.source) } : {}),
        createdAt: draft.at,
        latest: summaryOf(version),
      }
  })
  return { id: identity.id, version: version.version, mime: content.mime, bytes: content.bytes }
}

/**
 * An operator's file as an artifact of its own (a document), for a task if one is named;
 * adding the same file name again makes its next version. Audited.
 */
export async function addArtifact(ctx: OperatorContext, input: AddArtifactInput, bytes: Uint8Array): Promise<WrittenArtifact> {
  const e = parseInput(AddArtifactInput, input)
  if (e.task && !ctx.workspace.tasks.get(e.task)) throw new OperatorActionError("task_not_found", { id: e.task })
  const index = await artifactIndex(ctx.workspace)
  const id = operatorFileId(ctx.actor.name, e.fileName, e.task)
  const entries = entriesOf(index)
  const existing = entries.get(id)
  if (existing && !sameActor(existing.by, ctx.actor)) throw new OperatorActionError("artifact_not_yours", { id, by: existing.by.name })
  let content: ArtifactContent
  try {
    content = await artifactContent(e.fileName, bytes)
  } catch (error) {
    throw error instanceof UserError ? OperatorActionError.from(error) : error
  }
  const draft: VersionDraft = {
    identity: { id, by: ctx.actor, ...(e.task ? { task: e.task } : {}) },
    title: e.title ?? e.fileName,
    kind: "document",
    source: e.fileName,
    content,
    by: ctx.actor,
    at: ctx.now ?? Date.now(),
  }
  const written = await writeVersion(ctx.workspace, index, draft, entries)
  if ("unchanged" in written) throw new OperatorActionError("artifact_unchanged", { id, version: written.unchanged })
  await ctx.audit.append("artifact", id, { action: "added", version: written.version, mime: content.mime, bytes: content.bytes, sha256: content.sha256 })
  return written
}

/**
 * Keeps the roll-ups of resident `residentId`'s journal (derived from its entries, as the panel
 * shows them) as this operator's journal roll-up artifact of the resident; keeping it again
 * after new entries makes its next version. Audited.
 */
export async function keepJournalRollup(ctx: OperatorContext, residentId: string): Promise<WrittenArtifact> {
  const resident = await residentOf(ctx.workspace, residentId)
  const journal = await journalOf(ctx.workspace.repo, resident)
  const now = ctx.now ?? Date.now()
  const entries = readJournalEntries(journal.doc(), `journal ${journal.url}`, []).filter(e => e.at <= now)
  if (!entries.length) throw new OperatorActionError("journal_empty", { id: resident.id })
  const index = await artifactIndex(ctx.workspace)
  const id = rollupId(ctx.actor.name, resident.id)
  const written = await writeVersion(ctx.workspace, index, {
    identity: { id, by: ctx.actor, author: resident.id },
    title: `Journal roll-up: ${resident.name}`,
    kind: "journal_rollup",
    content: await textContent("rollup.md", rollupMarkdown(resident.name, rollups(entries, now))),
    by: ctx.actor,
    at: now,
  })
  if ("unchanged" in written) throw new OperatorActionError("artifact_unchanged", { id, version: written.unchanged })
  await ctx.audit.append("artifact", id, { action: "journal_rollup_kept", resident: resident.id, version: written.version })
  return written
}

/** A file a task's run changed in its worker's jail, by its path there. */
export interface JailFile {
  path: string
  bytes: Uint8Array
}

export interface RecordedArtifacts {
  written: WrittenArtifact[]
  /** What was not kept, and why (too large, not text or an image, no room for a version). */
  skipped: { path: string; reason: string }[]
}

/**
 * What a worker's run of `task` produced, kept for the task's resident (or for none, when the
 * task is aimed at none): `report` (the model's answer, Markdown) and the files it changed in
 * the jail. A re-run writes to the same artifacts; content unchanged since the last run makes
 * no new version. Files the rules refuse are skipped, each with its reason.
 */
export async function recordTaskArtifacts(
  workspace: Workspace,
  work: { task: Pick<Task, "id" | "title" | "targetIdentity">; run: RunRef; by: Actor; report?: string; files: readonly JailFile[]; now?: number },
): Promise<RecordedArtifacts> {
  const { task, run, by } = work
  const index = await artifactIndex(workspace)
  const at = work.now ?? Date.now()
  const identity = (id: string): ArtifactIdentity => ({ id, by, ...(task.targetIdentity ? { author: task.targetIdentity } : {}), task: task.id })
  const out: RecordedArtifacts = { written: [], skipped: [] }
  const drafts: VersionDraft[] = []
  if (work.report?.trim()) drafts.push({ identity: identity(reportId(task.id)), title: task.title, kind: "report", content: await textContent("report.md", work.report), by, run, at })
  for (const file of work.files) {
    try {
      const content = await artifactContent(file.path, file.bytes)
      drafts.push({ identity: identity(jailFileId(task.id, file.path)), title: file.path, kind: "file", source: file.path, content, by, run, at })
    } catch (error) {
      if (!(error instanceof UserError)) throw error
      out.skipped.push({ path: file.path, reason: error.message })
    }
  }
  // Read once: the drafts are distinct artifacts, so one's write does not change another's entry.
  const entries = entriesOf(index)
  for (const draft of drafts) {
    try {
      const written = await writeVersion(workspace, index, draft, entries)
      if (!("unchanged" in written)) out.written.push(written)
    } catch (error) {
      if (!(error instanceof UserError)) throw error
      out.skipped.push({ path: draft.source ?? draft.title, reason: error.message })
    }
  }
  return out
}
