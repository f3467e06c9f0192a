/**
 * Readers that apply the fencing and merge rules across documents: what a peer shows and
 * acts on after a merge. A ledger entry or a mail message made in a stale run (its worker's
 * lease had expired) counts for nothing; a bounty payout of a completion that does not stand
 * is void; paid mail whose spend is void is not delivered. Every peer applies the same rules
 * to the same documents, so every peer derives the same wallets and the same mailbox.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo/slim"
import type { MailboxDoc, MailMessage } from "../../schemas/index.ts"
import { bountyPayoutVoids } from "../domain/bounties/bounty.ts"
import { deriveWallets, voidedEffects, type VoidRule, type Wallet } from "../domain/wallets/ledger.ts"
import { undeliveredMail } from "../domain/mailbox/mailbox.ts"
import { readFencedBounties } from "../domain/bounties/actions.ts"
import { readMailbox } from "./documentReaders.ts"
import { tailEntries } from "../domain/wallets/segments.ts"
import { openWallets } from "../domain/wallets/actions.ts"
import type { Workspace } from "./workspace.ts"

/** The void rule of the ledger as this peer judges it (stale runs, bounty completions that do not stand). */
export async function ledgerVoids(workspace: Workspace): Promise<VoidRule> {
  const bountyVoid = bountyPayoutVoids(await readFencedBounties(workspace))
  return entry => workspace.staleRunReason(entry.run) ?? bountyVoid(entry)
}

/** Every resident's wallet under the void rule, from the ledger's checkpoint and the entries after it. */
export async function fencedWallets(workspace: Workspace): Promise<Map<string, Wallet>> {
  const ledger = await openWallets(workspace)
  return deriveWallets(tailEntries(ledger, []).values(), await ledgerVoids(workspace), ledger.start)
}

export interface DeliveredMail {
  /** What the mailbox shows. */
  messages: MailMessage[]
  /** Left out, with the reason (operators see these as data issues). */
  withheld: Map<string, string>
}

/** The mailbox as delivered: without mail of stale runs or with a void spend. */
export async function deliveredMail(workspace: Workspace): Promise<DeliveredMail> {
  const url = workspace.root.docs.mailbox
  if (!url) return { messages: [], withheld: new Map() }
  const mailbox = await workspace.repo.find<MailboxDoc>(url as AutomergeUrl)
  const all = [...readMailbox(mailbox.doc(), `mailbox ${mailbox.url}`, []).values()]
  const voided = new Map(voidedEffects(await fencedWallets(workspace)).map(e => [e.entry.key, e.note ?? "void"]))
  const withheld = undeliveredMail(all, run => workspace.staleRunReason(run), voided)
  return { messages: all.filter(m => !withheld.has(m.id)), withheld }
}
