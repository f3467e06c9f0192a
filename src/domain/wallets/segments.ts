/**
 * The ledger as a reader or writer opens it: the segments after the newest checkpoint that
 * verifies (normally just the open period's), and that checkpoint as where derivation
 * starts. A workspace from before periods (no ledger index) is one segment, read whole.
 * Writes go to the newest segment this peer knows; a writer whose index is stale (offline
 * across a close) writes into a closed segment, and the relay carries such late entries into
 * the open one (peer-server/ledgerBooks.ts), where readers count them once.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import type { LedgerEntry, LedgerIndexDoc, WalletsDoc } from "../../../schemas/index.ts"
import type { DataIssue } from "../../core/validate.ts"
import { readLedger, readLedgerIndex } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { verifyCheckpoint, type CheckpointVerdict } from "./checkpoint.ts"
import type { LedgerStart } from "./ledger.ts"
import { segmentHolds } from "./days.ts"
import { comparePeriods } from "./periods.ts"

export interface Ledger {
  /** Where this peer writes new entries: the newest segment it knows. */
  readonly open: DocHandle<WalletsDoc>
  /** The segments after the checkpoint, oldest first (the open one last). */
  readonly tail: readonly DocHandle<WalletsDoc>[]
  /** The newest checkpoint that verified: where derivation starts (absent: from nothing). */
  readonly start?: LedgerStart
  readonly checkpointPeriod?: string
  /** Checkpoints not counted and why (the reader went back to an older one or to the segments). */
  readonly issues: readonly DataIssue[]
}

/** Checkpoint documents never change once written: each is verified once per version. */
const verdicts = new Map<string, Promise<CheckpointVerdict>>()
const MAX_VERDICTS = 16

async function checkpointVerdict(workspace: Workspace, url: string, period: string): Promise<CheckpointVerdict> {
  const handle = await workspace.repo.find(url as AutomergeUrl)
  const key = `${url}@${handle.heads().join(",")}`
  let verdict = verdicts.get(key)
  if (!verdict) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear()
    verdicts.set(key, (verdict = verifyCheckpoint(handle.doc(), period, workspace.authority)))
  }
  return verdict
}

export async function openLedger(workspace: Workspace): Promise<Ledger> {
  const indexUrl = workspace.root.docs.ledger
  if (!indexUrl) {
    const only = await workspace.repo.find<WalletsDoc>(workspace.root.docs.wallets as AutomergeUrl)
    return { open: only, tail: [only], issues: [] }
  }
  const index = await workspace.repo.find<LedgerIndexDoc>(indexUrl as AutomergeUrl)
  const label = `ledger ${indexUrl}`
  const issues: DataIssue[] = []
  const { segments, checkpoints } = readLedgerIndex(index.doc(), label, issues)
  const ordered = [...segments.values()].sort((a, b) => comparePeriods(a.period, b.period))
  let start: LedgerStart | undefined
  let checkpointPeriod: string | undefined
  for (const ref of [...checkpoints.values()].sort((a, b) => comparePeriods(b.period, a.period))) {
    const verdict = await checkpointVerdict(workspace, ref.url, ref.period)
    if (verdict.ok) {
      start = verdict.start
      checkpointPeriod = ref.period
      break
    }
    issues.push({ doc: label, path: `checkpoints.${ref.period}`, message: `checkpoint not counted: ${verdict.reason}` })
  }
  const after = ordered.filter(s => checkpointPeriod === undefined || comparePeriods(s.period, checkpointPeriod) > 0)
  const tailSegments = after.length ? after : ordered.slice(-1)
  const tail = await Promise.all(tailSegments.map(s => workspace.repo.find<WalletsDoc>(s.url as AutomergeUrl)))
  if (!tail.length) {
    // An index with no segment is broken: the legacy document still holds what there is.
    const only = await workspace.repo.find<WalletsDoc>(workspace.root.docs.wallets as AutomergeUrl)
    return { open: only, tail: [only], issues }
  }
  return { open: tail[tail.length - 1]!, tail, ...(start ? { start, checkpointPeriod: checkpointPeriod! } : {}), issues }
}

/** Every valid entry of the segments after the checkpoint, by key (the first segment holding a key wins). */
export function tailEntries(ledger: Ledger, issues: DataIssue[]): Map<string, LedgerEntry> {
  issues.push(...ledger.issues)
  const out = new Map<string, LedgerEntry>()
  for (const segment of ledger.tail)
    for (const [key, entry] of readLedger(segment.doc(), `wallets ${segment.url}`, issues)) if (!out.has(key)) out.set(key, entry)
  return out
}

/** Whether `key` is already written: counted by the checkpoint or in a segment after it. */
export function ledgerHas(ledger: Ledger, key: string): boolean {
  return !!ledger.start?.covered.has(key) || ledger.tail.some(s => segmentHolds(s.doc(), key))
}
