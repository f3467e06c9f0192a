/**
 * `vivarium artifact list|show|add|rollup`: what residents and tasks produced (reports, files
 * from a worker's jail, operators' documents, journal roll-ups), each with every version; `show` prints a version's
 * text (an image's details, its bytes with --out) or the diff between two versions.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs"
import { basename } from "node:path"
import { z } from "zod"
import { ARTIFACT_LIMITS, ArtifactKind, isTextMime, type Actor, type ArtifactEntry } from "../../schemas/index.ts"
import { addArtifact, artifactsOf, diffArtifact, formatSize, keepJournalRollup, showArtifact, sizeRefusal, versionBytes, type ArtifactDiff, type ShownArtifact, type VersionInfo } from "../../src/domain/artifacts/index.ts"
import { parseFlags, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

const whoMade = (a: Pick<ArtifactEntry, "author" | "by">) => a.author ?? a.by.name

const LIST_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("task", "author", "kind") }
const ListInput = OutputInput.extend({ task: z.string().optional(), author: z.string().optional(), kind: ArtifactKind.optional() })

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("artifact list", argv, LIST_FLAGS, ListInput)
  const found = await withPeer(flags, peer => artifactsOf(peer.workspace, { task: flags.task, author: flags.author, kind: flags.kind }))
  printTable(flags, found, {
    header: `${"ID".padEnd(40)} ${"KIND".padEnd(14)} ${"VER".padStart(3)} ${"SIZE".padStart(9)} ${"BY".padEnd(16)} TITLE`,
    row: a => `${a.id.padEnd(40)} ${a.kind.padEnd(14)} ${String(a.latest.version).padStart(3)} ${formatSize(a.latest.bytes).padStart(9)} ${whoMade(a).padEnd(16)} ${oneLine(a.title, 50)}`,
    empty: "no artifacts (a worker keeps the report and files of each task it runs for a resident; add one with vivarium artifact add --file PATH)",
  })
  return 0
}

const writer = (by: Actor) => `${by.kind} ${by.name}`

function versionLine(v: VersionInfo): string {
  return `  v${v.version}  ${formatTime(v.at)}  ${writer(v.by)}${v.run ? ` (run ${v.run.leaseId})` : ""}  ${v.mime}  ${formatSize(v.bytes)}${v.stale ? `  stale: ${v.stale}` : ""}`
}

function describe(s: ShownArtifact): string {
  const { entry, version: v } = s
  return [
    `${entry.id}  ${entry.kind}  version ${v.version} of ${s.versions.length}  ${v.mime}  ${formatSize(v.bytes)}  sha256 ${v.sha256.slice(0, 16)}…`,
    `title:    ${entry.title}`,
    `made by:  ${entry.author ? `resident ${entry.author}, through ` : ""}${writer(entry.by)} at ${formatTime(entry.createdAt)}`,
    ...(entry.task ? [`task:     ${entry.task}`] : []),
    ...(entry.source ? [`source:   ${entry.source}`] : []),
    "versions:",
    ...s.versions.map(versionLine),
    ...s.notes.map(n => `note:     ${n}`),
    "",
    isTextMime(v.mime) ? (v.text ?? "") : `(an image: write its bytes with --out FILE)`,
  ].join("\n")
}

function describeDiff(d: ArtifactDiff): string {
  const head = `${d.id}: version ${d.from.version} → ${d.to.version}`
  const c = d.comparison
  if (c.kind === "binary") return `${head}: ${c.same ? "the same bytes" : `different bytes (sha256 ${d.from.sha256.slice(0, 12)}… → ${d.to.sha256.slice(0, 12)}…)`}`
  if (c.diff.tooDifferent) return `${head}: the two differ in too many places to list line by line`
  if (!c.diff.hunks.length) return `${head}: the same text`
  const mark = { context: " ", added: "+", removed: "-" } as const
  return [
    `${head} (+${c.diff.added} −${c.diff.removed})`,
    ...c.diff.hunks.flatMap(h => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.map(l => `${mark[l.kind]}${l.text}`)]),
  ].join("\n")
}

const SHOW_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("version", "diff-from", "out") }
const ShowInput = OutputInput.extend({ version: z.string().optional(), "diff-from": z.string().optional(), out: z.string().min(1).optional() })

async function show(argv: string[]): Promise<number> {
  const [[id], rest] = takePositionals("artifact show", argv, ["ID"])
  const flags = parseFlags("artifact show", rest, SHOW_FLAGS, ShowInput)
  const from = flags["diff-from"]
  if (from !== undefined) {
    if (flags.out) throw new CliError("artifact show: --out writes one version's bytes; leave it out with --diff-from")
    print(flags, await withPeer(flags, peer => diffArtifact(peer.workspace, id!, from, flags.version)), describeDiff)
    return 0
  }
  const shown = await withPeer(flags, peer => showArtifact(peer.workspace, id!, flags.version))
  if (flags.out) {
    writeFileSync(flags.out, versionBytes(shown.version))
    print(flags, { id: shown.entry.id, version: shown.version.version, mime: shown.version.mime, bytes: shown.version.bytes, out: flags.out }, w => `wrote version ${w.version} of ${w.id} (${w.mime}, ${formatSize(w.bytes)}) to ${w.out}`)
    return 0
  }
  print(flags, shown, describe)
  return 0
}

/** What reading `path` gives, or a usage error that names the file and what went wrong. */
function fromFile<T>(path: string, read: () => T): T {
  try {
    return read()
  } catch (error) {
    throw new CliError(`artifact add: cannot read ${path}: ${(error as Error).message}`)
  }
}

/** A file's bytes; of a file too large for any artifact only its first bytes are read, to say why it is refused. */
function readArtifactFile(path: string): Uint8Array {
  const { size, head } = fromFile(path, () => {
    const fd = openSync(path, "r")
    try {
      const head = new Uint8Array(16)
      readSync(fd, head, 0, head.length, 0)
      return { size: fstatSync(fd).size, head }
    } finally {
      closeSync(fd)
    }
  })
  const refusal = size > ARTIFACT_LIMITS.binaryBytes ? sizeRefusal(basename(path), head, size) : undefined
  if (refusal) throw refusal
  return fromFile(path, () => readFileSync(path))
}

const ADD_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("file", "title", "task") }
const AddInput = OutputInput.extend({ file: z.string({ error: "--file is required" }).min(1, "--file is empty"), title: z.string().optional(), task: z.string().optional() })

async function add(argv: string[]): Promise<number> {
  const flags = parseFlags("artifact add", argv, ADD_FLAGS, AddInput)
  const bytes = readArtifactFile(flags.file)
  const input = { fileName: basename(flags.file), ...(flags.title !== undefined ? { title: flags.title } : {}), ...(flags.task !== undefined ? { task: flags.task } : {}) }
  const written = await actAsOperator(flags, ctx => addArtifact(ctx, input, bytes))
  print(flags, written, w => `${w.version === 1 ? `artifact ${w.id} added` : `version ${w.version} of artifact ${w.id} added`} (${w.mime}, ${formatSize(w.bytes)}): vivarium artifact show ${w.id}`)
  return 0
}

const ROLLUP_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("resident") }
const RollupInput = OutputInput.extend({ resident: z.string({ error: "--resident is required" }).min(1, "--resident is empty") })

async function rollup(argv: string[]): Promise<number> {
  const flags = parseFlags("artifact rollup", argv, ROLLUP_FLAGS, RollupInput)
  const written = await actAsOperator(flags, ctx => keepJournalRollup(ctx, flags.resident))
  print(flags, written, w => `journal roll-up kept as version ${w.version} of artifact ${w.id}: vivarium artifact show ${w.id}`)
  return 0
}

export const ARTIFACT_SUBCOMMANDS = { list, show, add, rollup }
