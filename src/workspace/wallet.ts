/**
 * Writes to the wallets document: ledger entries only, each under its idempotency key
 * (src/core/economy.ts ledgerKeys), written if that key is absent and never overwritten.
 * The same payout written twice — a retry, a relay restart, two operators offline — is
 * one entry. Amounts are positive: no path writes a negative grant or a penalty
 * ("no coercion"). Balances are derived (src/core/ledger.ts), never written.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { LedgerEntry, type Actor, type RunRef, type WalletsDoc } from "../../schemas/index.ts"
import { balanceOf, deriveWallets, type VoidRule, type Wallet } from "../core/ledger.ts"
import type { Workspace } from "./workspace.ts"

export class LedgerWriteError extends Error {
  override readonly name = "LedgerWriteError"
}

export type WriteResult = "written" | "exists"

/** The wallets document named by the workspace's root. */
export function openWallets(workspace: Workspace): Promise<DocHandle<WalletsDoc>> {
  return workspace.repo.find<WalletsDoc>(workspace.root.docs.wallets as AutomergeUrl)
}

function validEntry(entry: LedgerEntry): LedgerEntry {
  if (!Number.isInteger(entry.amount) || entry.amount <= 0)
    throw new LedgerWriteError(`a ledger amount is a positive whole number of tokens, not ${entry.amount}: there are no negative grants or penalty spends`)
  const parsed = LedgerEntry.safeParse(entry)
  if (!parsed.success) throw new LedgerWriteError(`invalid ledger entry ${entry.key}: ${parsed.error.issues.map(i => `${i.path.join(".") || "entry"}: ${i.message}`).join("; ")}`)
  return parsed.data
}

const has = (doc: WalletsDoc, key: string): boolean => Object.prototype.hasOwnProperty.call(doc.entries, key)

/** Writes `entry` under its key unless the key is already there ("exists": nothing changes). */
export function recordEntry(handle: DocHandle<WalletsDoc>, entry: LedgerEntry): WriteResult {
  return write(handle, validEntry(entry))
}

function write(handle: DocHandle<WalletsDoc>, valid: LedgerEntry): WriteResult {
  let result: WriteResult = "exists"
  handle.change(d => {
    if (has(d, valid.key)) return
    d.entries[valid.key] = valid
    result = "written"
  })
  return result
}

export interface GrantInput {
  key: string
  identity: string
  amount: number
  reason: string
  by: Actor
  at: number
  /** The run it was made in, when a worker writes it as a side effect of a task. */
  run?: RunRef
}

/** A grant, split 70/30 into free time and journal tokens (capped when balances are derived). */
export function grant(handle: DocHandle<WalletsDoc>, input: GrantInput): WriteResult {
  return recordEntry(handle, { ...pick(input), kind: "grant", bucket: "split" })
}

export interface SpendInput extends GrantInput {
  bucket: "free_time" | "journal"
}

/**
 * A spend from one bucket. Refused when this peer's ledger would void it; a spend that only
 * overdraws once merged with another peer's spends is voided at derivation instead.
 */
export function spend(handle: DocHandle<WalletsDoc>, input: SpendInput): WriteResult {
  const entry = validEntry({ ...pick(input), kind: "spend", bucket: input.bucket })
  const doc = handle.doc()
  if (has(doc, entry.key)) return "exists"
  // Derive with the spend in place: it is processed at its `at`, before any later grant.
  const effects = balanceOf(deriveWallets([...entriesOf(doc, entry.identity), entry]), entry.identity).entries
  const index = effects.findIndex(e => e.entry === entry)
  if (effects[index]?.status === "voided") {
    const field = input.bucket === "free_time" ? "freeTime" : "journal"
    const available = effects.slice(0, index).reduce((sum, e) => sum + e[field], 0)
    throw new LedgerWriteError(`${entry.identity} has ${available} ${input.bucket === "free_time" ? "free time" : "journal"} tokens; spending ${entry.amount} would go below zero`)
  }
  return write(handle, entry)
}

const pick = ({ key, identity, amount, reason, by, at, run }: GrantInput) => ({ key, identity, amount, reason, by, at, ...(run ? { run } : {}) })

/** One resident's valid ledger entries (entries that fail validation are left out). */
function entriesOf(doc: WalletsDoc, resident: string): LedgerEntry[] {
  const mine: LedgerEntry[] = []
  for (const raw of Object.values(doc.entries)) {
    if ((raw as { identity?: unknown }).identity !== resident) continue
    const parsed = LedgerEntry.safeParse(raw)
    if (parsed.success) mine.push(parsed.data)
  }
  return mine
}

/** One resident's derived wallet, from this peer's copy of the ledger, under the void rule given. */
export function walletOf(doc: WalletsDoc, resident: string, voidOf?: VoidRule): Wallet {
  return balanceOf(deriveWallets(entriesOf(doc, resident), voidOf), resident)
}
