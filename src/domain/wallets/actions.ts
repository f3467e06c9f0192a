/**
 * Writes to the wallets document: ledger entries only, each under its idempotency key
 * (src/domain/wallets/economy.ts ledgerKeys), written if that key is absent and never overwritten,
 * into the open segment's map of the entry's day (src/domain/wallets/days.ts).
 * The same payout written twice — a retry, a relay restart, two operators offline — is
 * one entry. Amounts are positive: no path writes a negative grant or a penalty
 * ("no coercion"). Balances are derived (src/domain/wallets/ledger.ts), never written.
 *
 * Every entry is signed by the peer that writes it (the relay for rewards, tips and
 * allowances); readers count only entries whose signer may write them (src/core/recordAuthority.ts).
 */
import type { AutomergeUrl } from "@automerge/automerge-repo/slim"
import { LedgerEntry, type IdentitiesDoc, type RunRef } from "../../../schemas/index.ts"
import { balanceOf, deriveWallets, type VoidRule, type Wallet } from "./ledger.ts"
import { verifiedLedger, type ResidentLeases } from "../../core/recordAuthority.ts"
import { ledgerEntryText, signRecord, type RecordSigner } from "../../core/signedRecords.ts"
import type { DataIssue } from "../../core/validate.ts"
import { readResidentLeases } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { newId } from "../../core/ids.ts"
import { placeEntry } from "./days.ts"
import { ledgerKeys } from "./economy.ts"
import { ManualGrantInput } from "./inputs.ts"
import { ledgerHas, openLedger, tailEntries, type Ledger } from "./segments.ts"

export class LedgerWriteError extends Error {
  override readonly name = "LedgerWriteError"
}

export type WriteResult = "written" | "exists"

/** The ledger as this peer knows it: the open period's segment (where writes go) and the checkpoint before it. */
export function openWallets(workspace: Workspace): Promise<Ledger> {
  return openLedger(workspace)
}

function validEntry(entry: LedgerEntry): LedgerEntry {
  if (!Number.isInteger(entry.amount) || entry.amount <= 0)
    throw new LedgerWriteError(`a ledger amount is a positive whole number of tokens, not ${entry.amount}: there are no negative grants or penalty spends`)
  const parsed = LedgerEntry.safeParse(entry)
  if (!parsed.success) throw new LedgerWriteError(`invalid ledger entry ${entry.key}: ${parsed.error.issues.map(i => `${i.path.join(".") || "entry"}: ${i.message}`).join("; ")}`)
  return parsed.data
}

/**
 * Signs `entry` as `signer` (its `by`) and writes it under its key into the open segment,
 * unless the key is already written in any period ("exists": nothing changes).
 */
export async function recordEntry(ledger: Ledger, entry: Omit<LedgerEntry, "sig" | "by">, signer: RecordSigner): Promise<WriteResult> {
  const valid = validEntry({ ...entry, by: signer.actor })
  if (ledgerHas(ledger, valid.key)) return "exists"
  return write(ledger, await signed(valid, signer))
}

async function signed(entry: LedgerEntry, signer: RecordSigner): Promise<LedgerEntry> {
  const { sig: _sig, ...record } = entry
  return { ...record, sig: await signRecord(signer, ledgerEntryText(record)) }
}

function write(ledger: Ledger, valid: LedgerEntry): WriteResult {
  let result: WriteResult = "exists"
  ledger.open.change(d => {
    if (placeEntry(d, valid)) result = "written"
  })
  return result
}

export interface GrantInput {
  key: string
  identity: string
  amount: number
  reason: string
  at: number
  /** The run it was made in, when a worker writes it as a side effect of a task. */
  run?: RunRef
}

/** A grant by `signer`, split 70/30 into free time and journal tokens (capped when balances are derived). */
export function grant(ledger: Ledger, input: GrantInput, signer: RecordSigner): Promise<WriteResult> {
  return recordEntry(ledger, { ...pick(input), kind: "grant", bucket: "split" }, signer)
}

/**
 * An operator's manual tip: one grant (split 70/30 like every grant) under a fresh key, so it
 * is paid once however often the document is merged, and a signed "payout" audit entry.
 */
export async function grantManually(ctx: OperatorContext, resident: string, input: ManualGrantInput): Promise<string> {
  const { amount, reason } = parseInput(ManualGrantInput, input)
  const at = ctx.now ?? Date.now()
  const key = ledgerKeys.manualGrant(newId("grant", at))
  await grant(await openWallets(ctx.workspace), { key, identity: resident, amount, reason, at }, ctx.audit.signer)
  await ctx.audit.append("payout", resident, { grant: "manual tip", key, amount, reason })
  return key
}

export interface SpendInput extends GrantInput {
  bucket: "free_time" | "journal"
}

/**
 * A spend from one bucket, by `signer`. Refused when this peer's ledger would void it; a
 * spend that only overdraws once merged with another peer's spends is voided at derivation.
 */
export async function spend(workspace: Workspace, ledger: Ledger, input: SpendInput, signer: RecordSigner): Promise<WriteResult> {
  const entry = validEntry({ ...pick(input), kind: "spend", bucket: input.bucket, by: signer.actor })
  if (ledgerHas(ledger, entry.key)) return "exists"
  // Derive with the spend in place: it is processed at its `at`, before any later grant.
  const counted = await countedEntries(workspace, ledger, [], entry.identity)
  const effects = balanceOf(deriveWallets([...counted, entry], undefined, ledger.start), entry.identity).entries
  const index = effects.findIndex(e => e.entry === entry)
  if (effects[index]?.status === "voided") {
    const field = input.bucket === "free_time" ? "freeTime" : "journal"
    const carried = ledger.start?.balances.get(entry.identity)?.[field] ?? 0
    const available = effects.slice(0, index).reduce((sum, e) => sum + e[field], carried)
    throw new LedgerWriteError(`${entry.identity} has ${available} ${input.bucket === "free_time" ? "free time" : "journal"} tokens; spending ${entry.amount} would go below zero`)
  }
  return write(ledger, await signed(entry, signer))
}

const pick = ({ key, identity, amount, reason, at, run }: GrantInput) => ({ key, identity, amount, reason, at, ...(run ? { run } : {}) })

/** Who plays each resident (the relay's leases), for the spends a worker may sign. */
async function residentLeases(workspace: Workspace): Promise<ResidentLeases> {
  try {
    const identities = await workspace.repo.find<IdentitiesDoc>(workspace.root.docs.identities as AutomergeUrl)
    return readResidentLeases(identities.doc(), `identities ${identities.url}`, [])
  } catch {
    return new Map()
  }
}

/**
 * The ledger entries after the checkpoint a reader counts: valid, and signed by a key allowed
 * to write them (`resident` narrows to one resident's). What is left out is added to `issues`.
 */
export async function countedEntries(workspace: Workspace, ledger: Ledger, issues: DataIssue[], resident?: string): Promise<LedgerEntry[]> {
  const label = `wallets ${ledger.open.url}`
  const entries = [...tailEntries(ledger, issues).values()].filter(e => resident === undefined || e.identity === resident)
  return verifiedLedger(entries, workspace.authority, await residentLeases(workspace), label, issues)
}

/** One resident's derived wallet, from this peer's copy of the ledger (the checkpoint and the counted entries after it), under the void rule given. */
export async function walletOf(workspace: Workspace, ledger: Ledger, resident: string, opts: { voidOf?: VoidRule; issues?: DataIssue[] } = {}): Promise<Wallet> {
  return balanceOf(deriveWallets(await countedEntries(workspace, ledger, opts.issues ?? [], resident), opts.voidOf, ledger.start), resident)
}
