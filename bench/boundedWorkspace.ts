/**
 * The workspace of `npm run bench -- bounded`, built once per layout into a relay's data
 * directory: tasks (a few live, most finished and archived by month), one room of many
 * messages, a ledger of many entries, residents. Every builder writes the same content
 * (bench/syncData.ts, the ledger of bench/social.ts) so the layouts compare like for like.
 *
 * Today's layout is "single-document": each collection is one Automerge document (the live
 * queue, one archive per month, one document per room, one wallets document). The segmented
 * layout (rooms by period, the ledger with checkpoints, …) plugs in at LAYOUT_BUILDERS below.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import type { ArchiveDoc, IdentitiesDoc, Identity, Task, WalletsDoc } from "../schemas/index.ts"
import type { Cleanup } from "./lib/cleanup.ts"
import type { SuiteContext } from "./lib/suite.ts"
import type { LayoutName, Scale } from "./boundedFigures.ts"
import { makeLedger } from "./social.ts"
import { makeTask, SCHEMA_VERSION_1 } from "./syncData.ts"
import { benchRelay, seed } from "./ui.ts"

export type BenchRelay = Awaited<ReturnType<typeof benchRelay>>["relay"]

export interface BuiltWorkspace {
  /** An in-process relay serving dist/app over the data directory it wrote. */
  relay: BenchRelay
  /** Closes the relay; its data directory stays for the parts that restart it (removed by the scope). */
  stop(): Promise<void>
  /** Tasks in the live queue: what the dashboard counts as approved (all of them finished within the last day). */
  liveTasks: number
}

export interface LayoutBuilder {
  build(ctx: SuiteContext, scope: Cleanup, scale: Scale): Promise<BuiltWorkspace>
}

const HOUR = 3_600_000
const BATCH = 1000

/** Finished an hour ago: the archiver keeps it in the live queue for a day, and no worker runs it. */
const recentlyApproved = (i: number, now: number): Task => ({ ...makeTask(i, now - HOUR), status: "approved" })

/** Writes `count` items into `handle`'s document in changes of BATCH, on a copy merged once (as ui.ts `seed`). */
function writeInBatches<D>(handle: DocHandle<D>, count: number, put: (d: D, i: number) => void): void {
  let doc = A.clone(handle.doc())
  for (let start = 0; start < count; start += BATCH)
    doc = A.change(doc, d => {
      for (let i = start; i < Math.min(count, start + BATCH); i++) put(d as D, i)
    })
  handle.update(d => A.merge(d, doc))
}

/** `YYYY-MM` of the month `back` months before `now`'s. */
function period(now: number, back: number): string {
  const d = new Date(now)
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() - back)
  return d.toISOString().slice(0, 7)
}

/** Finished tasks over the twelve months before this one, one archive document per month, named by the root. */
function writeArchives(relay: BenchRelay, count: number, now: number): void {
  const months = 12
  const urls: Record<string, string> = {}
  for (let m = 0; m < months; m++) {
    const p = period(now, m + 1)
    const at = Date.parse(`${p}-15T12:00:00Z`)
    const first = Math.floor((count * m) / months)
    const last = Math.floor((count * (m + 1)) / months)
    const handle = relay.repo.create<ArchiveDoc>({ schemaVersion: SCHEMA_VERSION_1, kind: "archive", period: p, tasks: {} })
    writeInBatches(handle, last - first, (d, i) => {
      const task: Task = { ...makeTask(1_000_000 + first + i, at), status: "approved" }
      d.tasks[task.id] = task
    })
    urls[p] = handle.url
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

/** Today's layout: every collection one document. */
async function buildSingleDocument(ctx: SuiteContext, scope: Cleanup, scale: Scale): Promise<BuiltWorkspace> {
  const { relay, stop } = await benchRelay(scope)
  const now = Date.now()
  // The live queue and the room (ui.ts `seed`: validated by the relay's own Workspace).
  await seed(ctx, relay, { tasks: scale.liveTasks, messages: scale.messages }, recentlyApproved)
  const t0 = performance.now()
  writeArchives(relay, scale.tasks - scale.liveTasks, now)
  const root = relay.workspace.root
  const wallets = await relay.repo.find<WalletsDoc>(root.docs.wallets as AutomergeUrl)
  const ledger = makeLedger(scale.ledgerEntries, scale.residents)
  writeInBatches(wallets, ledger.length, (d, i) => void (d.entries[ledger[i]!.key] = ledger[i]!))
  const identities = await relay.repo.find<IdentitiesDoc>(root.docs.identities as AutomergeUrl)
  writeInBatches(identities, scale.residents, (d, i) => void (d.identities[residentId(i)] = makeResident(i, now)))
  await relay.repo.flush()
  ctx.log(`single-document: ${scale.tasks - scale.liveTasks} archived tasks in 12 monthly archives, ${ledger.length} ledger entries, ${scale.residents} residents written in ${(performance.now() - t0).toFixed(0)} ms`)
  return { relay, stop, liveTasks: scale.liveTasks }
}

/**
 * Where each layout is built. A layout without a builder is reported with every figure
 * null and this reason (never estimated).
 */
export const LAYOUT_BUILDERS: Record<LayoutName, LayoutBuilder | { reason: string }> = {
  "single-document": { build: buildSingleDocument },
  // The segmented layout plugs in here: a builder writing the same content (same counts,
  // same generators) as rooms by period, the active queue apart from the archives and the
  // ledger by period with a checkpoint; every part of bench/bounded.ts then measures it as it
  // measures today's layout.
  segmented: { reason: "the segmented layout (issue 12, build step 1) is not on this branch yet: no builder" },
}
