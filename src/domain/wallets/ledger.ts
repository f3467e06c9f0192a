/**
 * Wallets, derived from the append-only ledger (never stored). Entries are keyed by
 * idempotency key in the wallets document, so a grant written twice is one entry and
 * counts once. Every peer processes the entries in the same order — by `at`, then `key` —
 * so every peer derives the same balances, caps and voided spends from the same entries,
 * whatever order they arrived in.
 */
import type { LedgerEntry } from "../../../schemas/index.ts"
import { FREE_TIME_CAP, JOURNAL_CAP, freeTimeShare } from "./economy.ts"

export type LedgerStatus = "applied" | "capped" | "voided"

/** What one entry did to its resident's wallet: the signed change of each bucket. */
export interface LedgerEffect {
  entry: LedgerEntry
  /** capped: part of a grant did not fit under a cap (see overflow); voided: it counts zero. */
  status: LedgerStatus
  freeTime: number
  journal: number
  /** Tokens of a grant that did not fit under the caps (recorded, not silently lost). */
  overflow: number
  note?: string
}

export interface Wallet {
  freeTime: number
  journal: number
  freeTimeCap: number
  journalCap: number
  /** Every entry of this resident, in processing order (oldest first). */
  entries: LedgerEffect[]
}

export const emptyWallet = (): Wallet => ({ freeTime: 0, journal: 0, freeTimeCap: FREE_TIME_CAP, journalCap: JOURNAL_CAP, entries: [] })

/** The processing order: by time, then by key (ties broken the same way on every peer). */
export function compareEntries(a: LedgerEntry, b: LedgerEntry): number {
  if (a.at !== b.at) return a.at - b.at
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

/**
 * compareEntries order, sorting indices over a typed array of times: millisecond times
 * are heap doubles, and comparing them through the objects is several times slower.
 */
function sortedEntries(entries: Iterable<LedgerEntry>): LedgerEntry[] {
  const list = Array.from(entries)
  const n = list.length
  const at = new Float64Array(n)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    at[i] = list[i]!.at
    order[i] = i
  }
  order.sort((i, j) => at[i]! - at[j]! || compareEntries(list[i]!, list[j]!))
  const out = new Array<LedgerEntry>(n)
  for (let i = 0; i < n; i++) out[i] = list[order[i]!]!
  return out
}

const BUCKET_NAME = { free_time: "free time", journal: "journal" } as const

function credit(wallet: Wallet, entry: LedgerEntry): LedgerEffect {
  const { amount, bucket } = entry
  const wantFree = bucket === "split" ? freeTimeShare(amount) : bucket === "free_time" ? amount : 0
  const wantJournal = bucket === "free_time" ? 0 : amount - wantFree
  const freeTime = Math.min(wantFree, Math.max(0, wallet.freeTimeCap - wallet.freeTime))
  const journal = Math.min(wantJournal, Math.max(0, wallet.journalCap - wallet.journal))
  wallet.freeTime += freeTime
  wallet.journal += journal
  const overflow = wantFree - freeTime + (wantJournal - journal)
  if (!overflow) return { entry, status: "applied", freeTime, journal, overflow }
  const freeFull = `free time at its cap of ${wallet.freeTimeCap}`
  const journalFull = `journal at its cap of ${wallet.journalCap}`
  const full = freeTime < wantFree ? (journal < wantJournal ? `${freeFull} and ${journalFull}` : freeFull) : journalFull
  return { entry, status: "capped", freeTime, journal, overflow, note: `${full}: ${overflow} not credited` }
}

function debit(wallet: Wallet, entry: LedgerEntry): LedgerEffect {
  if (entry.bucket === "split") return voided(entry, "a spend must name a bucket (free_time or journal)")
  const field = entry.bucket === "free_time" ? "freeTime" : "journal"
  const available = wallet[field]
  if (entry.amount > available)
    return voided(entry, `would take ${BUCKET_NAME[entry.bucket]} below zero after merge (${available} available, ${entry.amount} spent)`)
  wallet[field] -= entry.amount
  return { entry, status: "applied", freeTime: field === "freeTime" ? -entry.amount : 0, journal: field === "journal" ? -entry.amount : 0, overflow: 0 }
}

const voided = (entry: LedgerEntry, note: string): LedgerEffect => ({ entry, status: "voided", freeTime: 0, journal: 0, overflow: 0, note })

/** Why an entry counts zero whatever the balances (a stale run's spend, a losing bounty completion's payout). */
export type VoidRule = (entry: LedgerEntry) => string | undefined

/**
 * Where derivation starts: every resident's balances and every key already counted, as of a
 * closed period (src/domain/wallets/checkpoint.ts). Balances and keys are all the state
 * derivation carries from one entry to the next (caps are constants), so starting here and
 * applying the later entries gives what deriving every entry from the start would give.
 */
export interface LedgerStart {
  balances: ReadonlyMap<string, { freeTime: number; journal: number }>
  /** Keys the start already counted: an entry under one of them counts zero (and is not shown). */
  covered: ReadonlySet<string>
}

/**
 * Every resident's wallet; residents without entries (nor balances in `start`) are absent
 * (see balanceOf). One sort and one pass. A second entry with a key already seen (only a
 * hostile or broken peer can write one: the document's map keys are unique) is voided, so a
 * key counts once; so is an entry `voidOf` names, the same on every peer that applies the
 * same rule. From `start`, entries under a key it covers are left out, and each wallet lists
 * only the entries after it.
 */
export function deriveWallets(entries: Iterable<LedgerEntry>, voidOf?: VoidRule, start?: LedgerStart): Map<string, Wallet> {
  const seen = new Set<string>()
  const out = new Map<string, Wallet>()
  for (const [identity, b] of start?.balances ?? []) out.set(identity, { ...emptyWallet(), freeTime: b.freeTime, journal: b.journal })
  for (const entry of sortedEntries(entries)) {
    if (start?.covered.has(entry.key)) continue
    let wallet = out.get(entry.identity)
    if (!wallet) out.set(entry.identity, (wallet = emptyWallet()))
    let effect: LedgerEffect
    const rule = voidOf?.(entry)
    if (seen.has(entry.key)) effect = voided(entry, `duplicate of key ${entry.key}: counts once`)
    else if (rule) {
      seen.add(entry.key)
      effect = voided(entry, rule)
    } else {
      seen.add(entry.key)
      effect = entry.kind === "grant" ? credit(wallet, entry) : debit(wallet, entry)
    }
    wallet.entries.push(effect)
  }
  return out
}

/** What derivation carries on from after `wallets` (built from `start` and the entries it counted): the next checkpoint's start. */
export function carriedForward(wallets: ReadonlyMap<string, Wallet>, start?: LedgerStart): LedgerStart {
  const covered = new Set(start?.covered)
  for (const w of wallets.values()) for (const e of w.entries) covered.add(e.entry.key)
  return { balances: new Map([...wallets].map(([id, w]) => [id, { freeTime: w.freeTime, journal: w.journal }])), covered }
}

/** A resident's wallet; an empty one for a resident with no entries. */
export function balanceOf(wallets: ReadonlyMap<string, Wallet>, resident: string): Wallet {
  return wallets.get(resident) ?? emptyWallet()
}

/** Every voided entry of every resident, in processing order per resident: operators see them. */
export function voidedEffects(wallets: ReadonlyMap<string, Wallet>): LedgerEffect[] {
  return [...wallets.values()].flatMap(w => w.entries.filter(e => e.status === "voided"))
}
