/**
 * The workspace of `npm run bench -- bounded`, built once per layout into a relay's data
 * directory: tasks (a few live, most finished and archived by month), one room of many
 * messages, a ledger of many entries, residents. Every builder writes the same content
 * (bench/boundedContent.ts: a year of history from the generators of bench/syncData.ts and
 * bench/social.ts) so the layouts compare like for like; tasks go in as the product stores
 * them (storedTask: their strings immutable values) in both.
 *
 * - "single-document", the layout before issue 12: each collection one Automerge document
 *   (the live queue, one archive per month, one document per room, one wallets document),
 *   on a relay without the extensions that segment documents (SEGMENTERS), so it stays so.
 * - "segmented", today's: the room by month and the ledger by month with a checkpoint for
 *   each closed one, written by the product's own functions with each month's clock, as
 *   the relay would have over the year; then measured on the whole relay.
 *
 * Each builder ends by restarting the relay from its data directory, so every layout is
 * measured on a relay that loads what it is asked for from disk.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { closePeriods, ensureLedgerIndex, openPeriod } from "../peer-server/ledgerBooks.ts"
import type { ArchiveDoc, IdentitiesDoc, Identity, LedgerEntry, LedgerIndexDoc, Message, RoomDoc, RoomIndexDoc, RootDoc, WalletsDoc } from "../schemas/index.ts"
import { addDueSegments, roomSegments, rooms } from "../src/domain/rooms/index.ts"
import { writeSegment } from "../src/domain/rooms/segments.ts"
import { storedTask } from "../src/domain/tasks/index.ts"
import { placeEntry, segmentHolds, segmentSize } from "../src/domain/wallets/days.ts"
import { dayIndex, ledgerKeys } from "../src/domain/wallets/index.ts"
import { openLedger } from "../src/domain/wallets/segments.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import { whenDoc } from "./lib/peers.ts"
import { whenIdle } from "./lib/proc.ts"
import type { SuiteContext } from "./lib/suite.ts"
import type { LayoutName, Scale } from "./boundedFigures.ts"
import { archivedTask, boundedLedger, boundedMessage, createdAt, monthBefore, monthShare, MONTHS, recentlyApproved } from "./boundedContent.ts"
import { SCHEMA_VERSION_1 } from "./syncData.ts"
import { benchRelay, seed } from "./ui.ts"

export type BenchRelay = Awaited<ReturnType<typeof benchRelay>>["relay"]

export interface BuiltWorkspace {
  /** An in-process relay serving dist/app over the data directory it wrote. */
  relay: BenchRelay
  /** Closes the relay; its data directory stays for the parts that restart it (removed by the scope). */
  stop(): Promise<void>
  /** Tasks in the live queue: what the dashboard counts as approved (all of them finished within the last day). */
  liveTasks: number
  /** Relay extensions every relay of this layout runs without (the parts that start their own pass it on). */
  leaveOut: readonly string[]
}

export interface LayoutBuilder {
  build(ctx: SuiteContext, scope: Cleanup, scale: Scale): Promise<BuiltWorkspace>
}

/** The relay extensions that split documents by period or generation: the old layout runs without them. */
export const SEGMENTERS = ["room-segments", "ledger-books", "audit-segments", "queue-generations"] as const

const BATCH = 1000

/** Writes `count` items into `handle`'s document in changes of BATCH, on a copy merged once (as ui.ts `seed`). */
function writeInBatches<D>(handle: DocHandle<D>, count: number, put: (d: D, i: number) => void): void {
  let doc = A.clone(handle.doc())
  for (let start = 0; start < count; start += BATCH)
    doc = A.change(doc, d => {
      for (let i = start; i < Math.min(count, start + BATCH); i++) put(d as D, i)
    })
  handle.update(d => A.merge(d, doc))
}

/** Finished tasks over the months before this one, one archive document per month, named by the root. */
function writeArchives(relay: BenchRelay, count: number, now: number): void {
  const months = MONTHS - 1
  const urls: Record<string, string> = {}
  for (let m = 0; m < months; m++) {
    const { first, last } = monthShare(m, count, months)
    const { period } = monthBefore(now, months - m)
    const handle = relay.repo.create<ArchiveDoc>({ schemaVersion: SCHEMA_VERSION_1, kind: "archive", period, tasks: {} })
    writeInBatches(handle, last - first, (d, i) => {
      const task = archivedTask(first + i, months - m, now)
      d.tasks[task.id] = storedTask(task)
    })
    urls[period] = handle.url
  }
  relay.workspace.rootHandle.change(d => {
    for (const [p, url] of Object.entries(urls)) d.docs.archives[p] = url
  })
}

/** Resident ids as the ledger of bench/social.ts names them. */
const residentId = (i: number) => `resident-${i.toString().padStart(3, "0")}`

function makeResident(i: number, now: number): Identity {
  return {
    id: residentId(i),
    name: `Resident ${i}`,
    createdAt: now,
    createdBy: "bench-operator",
    core: { traits: ["curious", "patient"], values: ["care"] },
    mutable: {},
    profile: { bio: `Resident ${i} reads build logs and writes short summaries.` },
    continuity: { sessions: 0, tasksCompleted: 0, tasksFailed: 0, level: 0 },
  }
}

function writeResidents(identities: DocHandle<IdentitiesDoc>, count: number, now: number): void {
  writeInBatches(identities, count, (d, i) => void (d.identities[residentId(i)] = makeResident(i, now)))
}

/** How a layout keeps the room and the ledger; the rest of the workspace is the same in both. */
interface Layout {
  /** Relay extensions the measured relay runs without. */
  leaveOut: readonly string[]
  /** Left out while the year is written as well: what would act by today's clock on a history being written by the months' clocks. */
  buildWithout: readonly string[]
  /** The relay's work when the workspace is first opened (the year's first month). */
  opened(relay: BenchRelay): void
  /** The relay's work when a later month begins, by that moment's clock. */
  monthBegins(relay: BenchRelay, at: number): Promise<void>
  /** How a ledger entry goes into the ledger's open document. */
  place(d: WalletsDoc, entry: LedgerEntry): void
}

/** Before issue 12: one document per room and one wallets document, its entries in one flat map; nothing happens at a month's start. */
const SINGLE_DOCUMENT: Layout = {
  leaveOut: SEGMENTERS,
  buildWithout: SEGMENTERS,
  opened: () => {},
  monthBegins: async () => {},
  place: (d, entry) => void (d.entries[entry.key] = entry),
}

/**
 * Today's: at each month's start the room gets its segment (room-segments) and the ledger
 * its new period, the one before closed with a checkpoint the relay signs (ledger-books);
 * entries go into the period's day maps. The same functions those extensions call.
 */
const SEGMENTED: Layout = {
  leaveOut: [],
  buildWithout: ["room-segments", "ledger-books"],
  opened: relay => ensureLedgerIndex(relay.repo, relay.workspace),
  async monthBegins(relay, at) {
    await addDueSegments(relay.workspace, at)
    await openPeriod(relay.repo, relay.workspace, at)
    await closePeriods(relay.workspace, relay.audit.signer, at)
  },
  place: (d, entry) => void placeEntry(d, entry),
}

/** The workspace and its big room are a year old: created at the first instant of the history's first month. */
async function backdate(relay: BenchRelay, at: number): Promise<void> {
  relay.workspace.rootHandle.change((d: RootDoc) => {
    d.createdAt = at
  })
  const index = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
  index.change(d => {
    d.rooms["town_hall"]!.createdAt = at
  })
}

/** A month's messages into the big room's document for the month beginning `at` (its only one in the old layout). */
async function writeRoomMonth(relay: BenchRelay, messages: readonly Message[], at: number): Promise<void> {
  const entry = (await rooms(relay.workspace)).get("town_hall")!
  const room = await relay.repo.find<RoomDoc>(writeSegment(roomSegments(entry), at).url as AutomergeUrl)
  writeInBatches(room, messages.length, (d, i) => void d.messages.push(messages[i]!))
}

/** A month's ledger entries into the ledger's open document. */
async function writeLedgerMonth(relay: BenchRelay, layout: Layout, entries: readonly LedgerEntry[]): Promise<void> {
  const { open } = await openLedger(relay.workspace)
  writeInBatches(open, entries.length, (d, i) => layout.place(d, entries[i]!))
}

/** The room's messages and the ledger's entries month by month, the layout's monthly work between the months. */
async function writeYear(relay: BenchRelay, layout: Layout, scale: Scale, now: number): Promise<void> {
  const messages = Array.from({ length: scale.messages }, (_, i) => boundedMessage(i, scale.messages, now))
  const entries = boundedLedger(scale.ledgerEntries, scale.residents, now)
  layout.opened(relay)
  for (let m = 0; m < MONTHS; m++) {
    const month = monthBefore(now, MONTHS - 1 - m)
    if (m > 0) await layout.monthBegins(relay, month.start)
    const inMonth = <T>(list: readonly T[]) => {
      const { first, last } = monthShare(m, list.length)
      return list.slice(first, last)
    }
    await writeRoomMonth(relay, inMonth(messages), month.start)
    await writeLedgerMonth(relay, layout, inMonth(entries))
  }
}

/**
 * Waits until the relay's economy has paid every resident today's allowance (a grant per
 * resident on its first pass), so no part is measured while the relay is still paying.
 */
async function allowancesPaid(relay: BenchRelay, residents: number): Promise<void> {
  const today = dayIndex(Date.now())
  const keys = Array.from({ length: residents }, (_, i) => ledgerKeys.allowance(residentId(i), today))
  const { open } = await openLedger(relay.workspace)
  await whenDoc(open, d => keys.every(key => segmentHolds(d, key)), 300_000, "the relay paying today's allowances")
}

/** How many documents the big room and the ledger are kept in, for the log: what says the layout was built as meant. */
async function layoutShape(relay: BenchRelay): Promise<string> {
  const entry = (await rooms(relay.workspace)).get("town_hall")!
  const ledger = await openLedger(relay.workspace)
  const index = relay.workspace.root.docs.ledger
  const books = index ? (await relay.repo.find<LedgerIndexDoc>(index as AutomergeUrl)).doc() : undefined
  const ledgerShape = books ? `${Object.keys(books.segments).length} segments, ${Object.keys(books.checkpoints).length} checkpoints, reading from ${ledger.checkpointPeriod ?? "the start"}` : "one wallets document"
  return `town_hall in ${roomSegments(entry).length} document(s); the ledger in ${ledgerShape}; open ledger document holds ${segmentSize(ledger.open.doc())} entries`
}

/**
 * Builds the workspace in `layout` on a relay without `buildWithout`, then restarts the relay
 * from the data directory without `leaveOut`: the relay every part measures.
 */
async function build(ctx: SuiteContext, scope: Cleanup, scale: Scale, name: LayoutName, layout: Layout): Promise<BuiltWorkspace> {
  const { relay, stop } = await benchRelay(scope, { leaveOut: layout.buildWithout })
  const now = Date.now()
  await backdate(relay, createdAt(now))
  // The live queue (ui.ts `seed`: validated by the relay's own Workspace).
  await seed(ctx, relay, { tasks: scale.liveTasks, messages: 0 }, (i, at) => storedTask(recentlyApproved(i, at)))
  const t0 = performance.now()
  writeArchives(relay, scale.tasks - scale.liveTasks, now)
  await writeYear(relay, layout, scale, now)
  writeResidents(await relay.repo.find<IdentitiesDoc>(relay.workspace.root.docs.identities as AutomergeUrl), scale.residents, now)
  await relay.repo.flush()
  ctx.log(
    `${name}: ${scale.tasks - scale.liveTasks} archived tasks in ${MONTHS - 1} monthly archives, ${scale.messages} messages and ${scale.ledgerEntries} ledger entries over ${MONTHS} months, ` +
      `${scale.residents} residents written in ${(performance.now() - t0).toFixed(0)} ms`,
  )
  await stop()
  const restarted = await benchRelay(scope, { dataDir: relay.dataDir, leaveOut: layout.leaveOut })
  const t1 = performance.now()
  await allowancesPaid(restarted.relay, scale.residents)
  // The relay runs in this process: idle, it has caught up.
  const caughtUp = await whenIdle(process.pid, `${name}: the restarted relay catching up`)
  ctx.log(`${name}, restarted: today's allowances paid and the relay idle after ${(performance.now() - t1).toFixed(0)} ms (busy ${caughtUp.toFixed(0)} ms); ${await layoutShape(restarted.relay)}`)
  return { ...restarted, liveTasks: scale.liveTasks, leaveOut: layout.leaveOut }
}

/**
 * Where each layout is built. A layout without a builder is reported with every figure
 * null and this reason (never estimated).
 */
export const LAYOUT_BUILDERS: Record<LayoutName, LayoutBuilder | { reason: string }> = {
  "single-document": { build: (ctx, scope, scale) => build(ctx, scope, scale, "single-document", SINGLE_DOCUMENT) },
  segmented: { build: (ctx, scope, scale) => build(ctx, scope, scale, "segmented", SEGMENTED) },
}
