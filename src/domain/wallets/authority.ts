/**
 * Who may write ledger entries. The ledger is append-only: an entry, once written under its
 * idempotency key, never changes and is never deleted.
 *
 * - Grants by `system` (allowances, rewards, tips, bonuses): the relay only.
 * - Grants by an operator, signed `by` that operator: quest tips and rewards, bounty
 *   payouts, mail grants (the payments of the quest, bounty and mailbox actions) and manual
 *   grants.
 * - Spends: by the worker holding the resident's lease, or by an operator, `by` itself.
 * - Nobody pays themselves.
 */
import { LedgerEntry } from "../../../schemas/index.ts"
import { storedEntry } from "./days.ts"
import { isOperator, type Principal } from "../../core/principal.ts"
import { actorKindOf, ALLOWED, authorizeRun, isSelf, refused, same, refusePending, type AuthorityContext, type AuthorityVerdict } from "../../core/authority/verdict.ts"

/** Key prefixes of the grants operators make (src/domain/wallets/economy.ts ledgerKeys). */
export const OPERATOR_GRANT_PREFIXES = ["quest:", "bounty:", "mail-dm:", "mail-reply:", "grant:"] as const

export function authorizeLedgerChange(before: LedgerEntry | undefined, after: LedgerEntry | undefined, who: Principal, ctx: AuthorityContext): AuthorityVerdict {
  const pending = refusePending(who)
  if (pending) return pending
  if (!after) return before ? refused(`ledger entry ${ctx.key} is already written: the ledger is append-only (entries never change and are never deleted)`) : ALLOWED
  // Two operators who pay the same thing offline write the same key: the same payment
  // (resident, kind, amount, bucket) from another writer merges into one entry.
  if (before && !samePayment(before, after)) return refused(`ledger entry ${ctx.key} is already written: the ledger is append-only (entries never change and are never deleted)`)
  // The merge kept the entry already written (the other writer's): nothing of this peer's shows.
  if (before && same(before, after)) return ALLOWED
  if (after.key !== ctx.key) return refused(`ledger entry ${after.key} is stored under the key ${ctx.key}: an entry's key must be its idempotency key`)
  if (after.identity === who.peer) return refused(`${who.peer} cannot write ledger entries for itself`)
  if (after.by.kind === "system") return refused(`ledger entry ${after.key} claims to be paid by the relay: only the relay writes its own payments`)
  const kind = actorKindOf(who)
  if (after.by.kind !== kind || !isSelf(after.by.name, who)) return refused(`ledger entry ${after.key} says it is by ${after.by.kind} ${after.by.name}, but ${who.peer} wrote it`)
  const run = authorizeRun(after.run, who, ctx, `ledger entry ${after.key}`)
  if (!run.ok) return run
  if (after.kind === "grant") {
    if (!isOperator(who)) return refused(`${who.peer} is a worker: workers never grant tokens (entry ${after.key})`)
    if (after.bucket !== "split") return refused(`grant ${after.key}: grants are split between free time and journal`)
    if (!OPERATOR_GRANT_PREFIXES.some(p => after.key.startsWith(p)))
      return refused(`grant ${after.key}: operators pay quest tips and rewards, bounty places, mail grants and manual grants (keys ${OPERATOR_GRANT_PREFIXES.join(", ")}); rewards, tips and allowances are paid by the relay`)
    return ALLOWED
  }
  if (after.bucket === "split") return refused(`spend ${after.key}: a spend names its bucket (free_time or journal)`)
  if (!isOperator(who) && ctx.residentHolder(after.identity) !== who.peer)
    return refused(`spend ${after.key}: ${who.peer} does not play ${after.identity} (the relay leased it to ${ctx.residentHolder(after.identity) ?? "nobody"}), so it cannot spend its tokens`)
  return ALLOWED
}

/**
 * A change to the entry under `ctx.key` in a ledger segment (`ctx.doc`, as the relay holds it),
 * in whichever of its maps (src/domain/wallets/days.ts): a segment is one key space, so an
 * entry already held under that key in another map is the one before, and a second copy is
 * judged as a write of that key (the same payment merges, anything else is refused).
 */
export function authorizeSegmentEntryChange(before: LedgerEntry | undefined, after: LedgerEntry | undefined, who: Principal, ctx: AuthorityContext & { doc: Record<string, unknown> }): AuthorityVerdict {
  return authorizeLedgerChange(before ?? LedgerEntry.safeParse(storedEntry(ctx.doc, ctx.key)).data, after, who, ctx)
}

/** The same payment, whoever wrote it and when: what a concurrent write of one key may differ in. */
function samePayment(a: LedgerEntry, b: LedgerEntry): boolean {
  return a.key === b.key && a.identity === b.identity && a.kind === b.kind && a.amount === b.amount && a.bucket === b.bucket
}
