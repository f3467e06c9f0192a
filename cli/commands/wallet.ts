/** `vivarium wallet show RESIDENT`: a resident's derived balances and ledger, as every peer derives them. */
import type { Identity } from "../../schemas/index.ts"
import type { DataIssue } from "../../src/core/validate.ts"
import { residentOf } from "../../src/domain/residents/index.ts"
import { openWallets, walletOf, type LedgerEffect, type Wallet } from "../../src/domain/wallets/index.ts"
import { ledgerVoids } from "../../src/workspace/fencedReaders.ts"
import { parseFlags, takeId } from "../args.ts"
import { withPeer } from "../connection.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print } from "../output.ts"
import { printIssues } from "./task.ts"

/** The newest entries shown; --json has them all. */
const SHOWN = 15

function effectLine(e: LedgerEffect): string {
  const sign = e.entry.kind === "grant" ? "+" : "−"
  const split = e.status === "voided" ? `void${e.note ? `: ${e.note}` : ""}` : `${e.freeTime} free time, ${e.journal} journal${e.overflow ? `, ${e.overflow} over the caps` : ""}`
  return `  ${formatTime(e.entry.at)}  ${`${sign}${e.entry.amount}`.padStart(6)}  ${oneLine(e.entry.reason, 60).padEnd(60)}  (${split})`
}

function describeWallet(resident: Identity, w: Wallet): string {
  const newest = w.entries.slice(-SHOWN)
  return [
    `${resident.name}  (${resident.id})`,
    `free time: ${w.freeTime} / ${w.freeTimeCap}   journal: ${w.journal} / ${w.journalCap}`,
    w.entries.length ? `ledger (${w.entries.length} entr${w.entries.length === 1 ? "y" : "ies"}${w.entries.length > SHOWN ? `, the last ${SHOWN}` : ""}):` : "no ledger entries yet",
    ...newest.map(effectLine),
  ].join("\n")
}

async function show(argv: string[]): Promise<number> {
  const [id, rest] = takeId("wallet show", argv, "resident")
  const flags = parseFlags("wallet show", rest, OUTPUT_FLAGS, OutputInput)
  const issues: DataIssue[] = []
  const { resident, wallet } = await withPeer(flags, async peer => {
    const resident = await residentOf(peer.workspace, id)
    const handle = await openWallets(peer.workspace)
    return { resident, wallet: await walletOf(peer.workspace, handle, id, { voidOf: await ledgerVoids(peer.workspace), issues }) }
  })
  printIssues(issues)
  print(flags, { resident: resident.id, name: resident.name, ...wallet }, () => describeWallet(resident, wallet))
  return 0
}

export const WALLET_SUBCOMMANDS = { show }
