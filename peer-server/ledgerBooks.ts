/**
 * The ledger's books, kept by the relay as `system` (src/domain/wallets/segments.ts is how
 * every peer reads them):
 *
 * - on start, a workspace from before periods gets its ledger index, with the wallets
 *   document as it is as the first segment ("legacy", open since the workspace was created),
 *   and an open segment from before day maps gets them (src/domain/wallets/days.ts): nothing
 *   is rewritten, that is the whole migration;
 * - when a new UTC month begins it opens that month's segment, then closes the ones before
 *   it with a checkpoint signed by the relay: every resident's balances and every key counted,
 *   derived from the previous checkpoint and the closed segments' counted entries under the
 *   same void rule readers apply;
 * - an entry a peer wrote offline into a closed segment (its index was stale) is copied, as
 *   signed, into the open segment, where readers count it once, after the checkpoint; the
 *   next checkpoint covers it.
 */
import { ImmutableString, parseAutomergeUrl, type AutomergeUrl, type DocHandle, type Repo } from "@automerge/automerge-repo"
import { SCHEMA_VERSION, type LedgerCheckpointDoc, type LedgerIndexDoc, type RootDoc, type WalletsDoc } from "../schemas/index.ts"
import { countedEntries } from "../src/domain/wallets/actions.ts"
import { checkpointBody, signCheckpoint, type SegmentCoverage } from "../src/domain/wallets/checkpoint.ts"
import { carriedForward, deriveWallets } from "../src/domain/wallets/ledger.ts"
import { comparePeriods, LEGACY_PERIOD, periodOf } from "../src/domain/wallets/periods.ts"
import { ledgerHas, openLedger, type Ledger } from "../src/domain/wallets/segments.ts"
import { emptyDays, placeEntry, segmentSize } from "../src/domain/wallets/days.ts"
import type { RecordSigner } from "../src/core/signedRecords.ts"
import { readLedger, readLedgerIndex } from "../src/workspace/documentReaders.ts"
import { ledgerVoids } from "../src/workspace/fencedReaders.ts"
import type { Workspace } from "../src/workspace/workspace.ts"
import type { RelayExtension } from "./extension.ts"

/** Gives a workspace from before periods its ledger index; the wallets document stays as it is, the first segment. */
export function ensureLedgerIndex(repo: Repo, ws: Workspace): void {
  if (ws.root.docs.ledger) return
  const legacy = { period: LEGACY_PERIOD, url: ws.root.docs.wallets, openedAt: ws.root.createdAt }
  const index = repo.create<LedgerIndexDoc>({ schemaVersion: SCHEMA_VERSION, kind: "ledger", segments: { [LEGACY_PERIOD]: legacy }, checkpoints: {} })
  ws.rootHandle.change((d: RootDoc) => {
    d.docs.ledger = index.url
  })
}

async function ledgerIndex(ws: Workspace): Promise<DocHandle<LedgerIndexDoc>> {
  return ws.repo.find<LedgerIndexDoc>(ws.root.docs.ledger as AutomergeUrl)
}

/** Opens the month of `now` when the newest segment was opened in an earlier one. Returns the period opened. */
export async function openPeriod(repo: Repo, ws: Workspace, now: number): Promise<string | undefined> {
  const index = await ledgerIndex(ws)
  const { segments } = readLedgerIndex(index.doc(), `ledger ${index.url}`, [])
  const current = periodOf(now)
  const newest = [...segments.values()].sort((a, b) => comparePeriods(a.period, b.period)).pop()
  if (newest && (newest.period === current || periodOf(newest.openedAt) >= current)) return undefined
  const segment = repo.create<WalletsDoc>({ schemaVersion: SCHEMA_VERSION, kind: "wallets", period: current, entries: {}, days: emptyDays() })
  index.change(d => {
    d.segments[current] ??= { period: current, url: segment.url, openedAt: now }
  })
  return current
}

/**
 * Closes every segment after the last checkpoint but the open one, with one checkpoint of
 * the newest of them. Returns the period closed.
 */
export async function closePeriods(ws: Workspace, signer: RecordSigner, now: number): Promise<string | undefined> {
  const ledger = await openLedger(ws)
  const closing = ledger.tail.slice(0, -1)
  if (!closing.length) return undefined
  const closed: Ledger = { ...ledger, tail: closing }
  const counted = await countedEntries(ws, closed, [])
  const next = carriedForward(deriveWallets(counted, await ledgerVoids(ws), ledger.start), ledger.start)
  const coverage: Record<string, SegmentCoverage> = {}
  for (const segment of closing) coverage[segment.doc().period ?? LEGACY_PERIOD] = { heads: segment.heads(), entries: segmentSize(segment.doc()) }
  const period = closing[closing.length - 1]!.doc().period ?? LEGACY_PERIOD
  const body = checkpointBody(period, next, coverage)
  const signed = await signCheckpoint(period, body, now, signer)
  const checkpoint = ws.repo.create<LedgerCheckpointDoc>({ schemaVersion: SCHEMA_VERSION, kind: "ledger-checkpoint", ...signed, body: new ImmutableString(body) })
  const index = await ledgerIndex(ws)
  index.change(d => {
    d.checkpoints[period] = { period, url: checkpoint.url, at: now }
  })
  return period
}

/** Copies into the open segment each entry of `segment` that the ledger does not hold yet (written there offline after it closed). */
export function carryLateEntries(ledger: Ledger, segment: DocHandle<WalletsDoc>): string[] {
  const late = [...readLedger(segment.doc(), `wallets ${segment.url}`, []).values()].filter(e => !ledgerHas(ledger, e.key))
  if (!late.length) return []
  ledger.open.change(d => {
    for (const entry of late) placeEntry(d, entry)
  })
  return late.map(e => e.key)
}

/**
 * Adds the day maps to an open segment from before them (the legacy wallets document or a
 * month opened by an older relay): its flat entries stay as they are, new ones go to the day
 * maps. Only the relay makes day maps, so no two peers ever create one concurrently (their
 * entries would be lost in the conflict). Returns whether it added them.
 */
export function ensureDays(segment: DocHandle<WalletsDoc>): boolean {
  if (segment.doc().days) return false
  segment.change(d => {
    d.days ??= emptyDays()
  })
  return true
}

export interface LedgerBooksOptions {
  /** The relay's clock (tests move it to another month). */
  now?: () => number
  /** How often the books are checked without a change (default 10 s). */
  intervalMs?: number
}

export function ledgerBooks(opts: LedgerBooksOptions = {}): RelayExtension {
  const now = opts.now ?? Date.now
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  /** Closed segments this relay holds, with the heads it last carried late entries from. */
  const seen = new Map<string, string>()
  return {
    name: "ledger-books",
    async onStart(ctx) {
      const { repo, workspace: ws } = ctx
      const signer = ctx.audit.signer
      const closedSegments = async (ledger: Ledger): Promise<DocHandle<WalletsDoc>[]> => {
        const index = await ledgerIndex(ws)
        const open = new Set(ledger.tail.map(h => h.url))
        const loaded = repo.handles
        return [...readLedgerIndex(index.doc(), `ledger ${index.url}`, []).segments.values()]
          .filter(s => !open.has(s.url as AutomergeUrl) && loaded[parseAutomergeUrl(s.url as AutomergeUrl).documentId]?.isReady())
          .map(s => loaded[parseAutomergeUrl(s.url as AutomergeUrl).documentId] as DocHandle<WalletsDoc>)
      }
      const pass = async () => {
        const t = now()
        const opened = await openPeriod(repo, ws, t)
        if (opened) ctx.log(`ledger: opened period ${opened}`)
        const closed = await closePeriods(ws, signer, t)
        if (closed) ctx.log(`ledger: closed through ${closed} with a signed checkpoint`)
        const ledger = await openLedger(ws)
        if (ensureDays(ledger.open)) ctx.log(`ledger: day maps added to the open segment ${ledger.open.url}`)
        for (const segment of await closedSegments(ledger)) {
          const heads = segment.heads().join(",")
          if (seen.get(segment.url) === heads) continue
          if (!seen.has(segment.url)) segment.on("change", trigger)
          seen.set(segment.url, heads)
          const carried = carryLateEntries(ledger, segment)
          if (carried.length) ctx.log(`ledger: carried ${carried.length} late entries from ${segment.url} into the open period`)
        }
      }
      const trigger = () => {
        if (running) return void (again = true)
        running = pass()
          .catch(error => ctx.log(`ledger books failed (will retry): ${(error as Error).message}`))
          .finally(() => {
            running = undefined
            if (again) {
              again = false
              trigger()
            }
          })
      }
      ensureLedgerIndex(repo, ws)
      await pass()
      timer = setInterval(trigger, opts.intervalMs ?? 10_000)
      timer.unref()
    },
    async onStop() {
      clearInterval(timer)
      await running
    },
  }
}
