/**
 * `vivarium snapshot create|list|show|diff|restore`: name a moment of the whole workspace,
 * read a document as it was at a snapshot or a time, compare it with another point, and
 * restore it to that point as a new change (signed and audited; history is never rewritten).
 */
import { z } from "zod"
import { compareDocument, createSnapshot, documentAt, findSnapshot, headsOf, listSnapshots, namedDocument, pointIn, restoreDocument, type HistoryPoint } from "../../src/domain/snapshots/index.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { parseFlags, stringFlags, takePositionals } from "../args.ts"
import { withPeer } from "../connection.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

/** A moment as a person writes it: 2026-12-01, 2026-12-01T09:30, or any date JavaScript reads. */
const Moment = z
  .string()
  .transform(s => Date.parse(s))
  .pipe(z.number({ error: "expected a date and time, as 2026-12-01T09:30" }).refine(n => Number.isFinite(n), "expected a date and time, as 2026-12-01T09:30"))

const POINT_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("at", "doc", "to", "to-at") }
const PointInput = OutputInput.extend({ at: Moment.optional(), doc: z.string().min(1, "name the document: --doc queue, --doc skills … or its automerge: URL"), to: z.string().min(1).optional(), "to-at": Moment.optional() })
type PointFlags = z.infer<typeof PointInput>

async function pointOf(ws: Workspace, name: string | undefined, atMs: number | undefined, command: string): Promise<HistoryPoint> {
  if (name !== undefined && atMs !== undefined) throw new CliError(`${command}: give a snapshot's name or --at, not both`)
  if (name !== undefined) return { snapshot: await findSnapshot(ws, name) }
  if (atMs !== undefined) return { atMs }
  throw new CliError(`${command}: give a snapshot's name or --at TIME`)
}

const describePoint = (p: HistoryPoint) => ("snapshot" in p ? `snapshot "${p.snapshot.name}" (${formatTime(p.snapshot.at)})` : formatTime(p.atMs))

/** The optional leading snapshot name, then the flags. */
function nameAndFlags(command: string, argv: string[]): [string | undefined, PointFlags] {
  const named = argv[0] !== undefined && !argv[0].startsWith("-")
  const [[name], rest] = named ? takePositionals(command, argv, ["SNAPSHOT"]) : [[undefined], argv]
  return [name, parseFlags(command, rest, POINT_FLAGS, PointInput)]
}

async function create(argv: string[]): Promise<number> {
  const flags = parseFlags("snapshot create", argv, { ...OUTPUT_FLAGS, ...stringFlags("name") }, OutputInput.extend({ name: z.string({ error: "--name is required" }) }))
  const snap = await actAsOperator(flags, ctx => createSnapshot(ctx, flags.name))
  print(flags, { id: snap.id, name: snap.name, at: snap.at, by: snap.by, documents: Object.keys(snap.heads).length }, s => `snapshot "${s.name}" taken: ${s.documents} documents at ${formatTime(s.at)} (${s.id})`)
  return 0
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("snapshot list", argv, OUTPUT_FLAGS, OutputInput)
  const snaps = await withPeer(flags, peer => listSnapshots(peer.workspace))
  printTable(
    flags,
    snaps.map(s => ({ id: s.id, name: s.name, at: s.at, by: s.by, documents: Object.keys(s.heads).length })),
    {
      header: `${"TAKEN".padEnd(17)} ${"BY".padEnd(14)} ${"DOCS".padStart(5)}  NAME`,
      row: s => `${formatTime(s.at).padEnd(17)} ${s.by.padEnd(14)} ${String(s.documents).padStart(5)}  ${s.name}`,
      empty: "no snapshots yet: vivarium snapshot create --name NAME",
    },
  )
  return 0
}

async function show(argv: string[]): Promise<number> {
  const [name, flags] = nameAndFlags("snapshot show", argv)
  const out = await withPeer(flags, async peer => {
    const point = await pointOf(peer.workspace, name, flags.at, "snapshot show")
    const { url, handle } = await namedDocument(peer.workspace, flags.doc)
    return { document: url, at: describePoint(point), value: documentAt(handle, pointIn(handle, point, flags.doc)) }
  })
  print(flags, out, o => `${flags.doc} (${o.document}) as of ${o.at}:\n${JSON.stringify(o.value, null, 2)}`)
  return 0
}

async function diff(argv: string[]): Promise<number> {
  const [name, flags] = nameAndFlags("snapshot diff", argv)
  const out = await withPeer(flags, async peer => {
    const ws = peer.workspace
    const from = await pointOf(ws, name, flags.at, "snapshot diff")
    const to: HistoryPoint | undefined = flags.to !== undefined || flags["to-at"] !== undefined ? await pointOf(ws, flags.to, flags["to-at"], "snapshot diff --to") : undefined
    const { url, handle } = await namedDocument(ws, flags.doc)
    const toHeads = to ? pointIn(handle, to, flags.doc) : headsOf(handle)
    return { document: url, from: describePoint(from), to: to ? describePoint(to) : "now", changes: compareDocument(handle, pointIn(handle, from, flags.doc), toHeads) }
  })
  print(flags, out, o =>
    [`${flags.doc} from ${o.from} to ${o.to}: ${o.changes.length} change(s)`, ...o.changes.slice(0, 200).map(c => `  ${c.action.padEnd(7)} ${c.path}`), ...(o.changes.length > 200 ? [`  … and ${o.changes.length - 200} more (--json lists all)`] : [])].join("\n"),
  )
  return 0
}

async function restore(argv: string[]): Promise<number> {
  const [name, flags] = nameAndFlags("snapshot restore", argv)
  const out = await actAsOperator(flags, async ctx => {
    const point = await pointOf(ctx.workspace, name, flags.at, "snapshot restore")
    const { url, handle } = await namedDocument(ctx.workspace, flags.doc)
    const changed = await restoreDocument(ctx, handle, pointIn(handle, point, flags.doc), describePoint(point))
    return { document: url, to: describePoint(point), changed }
  })
  print(flags, out, o => (o.changed ? `${flags.doc} restored to ${o.to}: ${o.changed} path(s) written back as a new change (audited)` : `${flags.doc} is already as it was at ${o.to}: nothing written`))
  return 0
}

export const SNAPSHOT_SUBCOMMANDS = { create, list, show, diff, restore }
