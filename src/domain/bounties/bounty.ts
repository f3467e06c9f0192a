/**
 * Bounty rules ("Commons Crucible", reference §5.4): slot multipliers, duplicate
 * fingerprints and the completion payout plan. Pure and synchronous, so every peer (Node
 * or browser) computes the same numbers from the same merged document.
 */
import { LIMITS, type Bounty, type BountyCompletion, type Identity, type LedgerEntry, type Submission } from "../../../schemas/index.ts"
import type { NewTaskInput } from "../tasks/inputs.ts"
import { BOUNTY_SLOT_POLICY as POLICY, ledgerKeys } from "../wallets/economy.ts"
import { UserError, type ErrorCode } from "../../core/errors.ts"

export type SlotReason = "in_slot" | "overflow" | "repeat_submission" | "insufficient_contribution"

export interface SlotOutcome {
  slotIndex: number
  multiplier: number
  /** "in_slot", or the reasons joined by ",": e.g. "overflow,repeat_submission". */
  reason: string
}

/** What a new submission earns, given the submissions that arrived before it. */
export function slotOutcome(slots: number, earlier: readonly Pick<Submission, "identity" | "multiplier">[], next: Pick<Submission, "identity" | "content">): SlotOutcome {
  const slotIndex = earlier.length + 1
  const reasons: SlotReason[] = []
  let multiplier: number = POLICY.inSlotMultiplier
  if (slotIndex > slots) {
    reasons.push("overflow")
    multiplier = Math.max(POLICY.minMultiplier, POLICY.inSlotMultiplier * POLICY.overflowDecay ** (slotIndex - slots))
  }
  // One rewarded submission per identity per bounty (the reference's max_rewarded = 1).
  if (earlier.some(s => s.identity !== undefined && s.identity === next.identity && (s.multiplier ?? 0) > 0)) reasons.push("repeat_submission")
  if (next.content.trim().length < POLICY.minDescriptionChars) reasons.push("insufficient_contribution")
  if (reasons.includes("repeat_submission") || reasons.includes("insufficient_contribution")) multiplier = 0
  return { slotIndex, multiplier, reason: reasons.length ? reasons.join(",") : "in_slot" }
}

/** Arrival order every peer agrees on: by time, then id (ties between offline peers). */
export function arrivalOrder<T extends Pick<Submission, "id" | "at">>(submissions: Iterable<T>): T[] {
  return [...submissions].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * Slot outcomes of every submission, recomputed from the merged document: two peers that
 * submitted offline each saw themselves in the same slot; after the merge exactly one is.
 */
export function rankSubmissions(bounty: Pick<Bounty, "slots" | "submissions">): Map<string, SlotOutcome> {
  const out = new Map<string, SlotOutcome>()
  const earlier: Pick<Submission, "identity" | "multiplier">[] = []
  for (const s of arrivalOrder(Object.values(bounty.submissions))) {
    const outcome = slotOutcome(bounty.slots, earlier, s)
    out.set(s.id, outcome)
    earlier.push({ ...(s.identity !== undefined ? { identity: s.identity } : {}), multiplier: outcome.multiplier })
  }
  return out
}

/** Normalized text: trimmed, whitespace collapsed, lower case, Unicode NFKC. */
const normalize = (text: string): string => text.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase()

/** FNV-1a, 64 bit, over UTF-8: small, pure and the same in Node and the browser. */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte)
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).padStart(16, "0")
}

/** The same identity, content and members (in any order, any spacing or case) give the same fingerprint. */
export function submissionFingerprint(s: { identity?: string | undefined; content: string; members: readonly string[] }): string {
  const members = [...new Set(s.members.map(m => m.trim()))].sort()
  return fnv1a64(JSON.stringify([s.identity?.trim() ?? "", normalize(s.content), members]))
}

export interface CompletionChoice {
  winner: string
  runnerUp?: string | undefined
  winnerReward: number
  runnerUpReward: number
}

export interface Payout {
  /** 1 for the winner, 2 for the runner-up. */
  place: 1 | 2
  submission: string
  member: string
  amount: number
}

/** A payout choice the bounty rules refuse (the panel previews it, completeBounty refuses it). */
export class BountyRuleError<C extends ErrorCode = ErrorCode> extends UserError<C> {
  override readonly name = "BountyRuleError"
}

/**
 * Who gets what when a bounty completes: each member of the winning submission gets
 * winnerReward × its multiplier, each member of the runner-up runnerUpReward × its
 * multiplier, rounded. Zero amounts are left out (nothing to grant).
 */
export function payoutPlan(bounty: Pick<Bounty, "id" | "slots" | "submissions">, choice: CompletionChoice): Payout[] {
  const ranks = rankSubmissions(bounty)
  const places: [1 | 2, string, number][] = [[1, choice.winner, choice.winnerReward]]
  if (choice.runnerUp !== undefined) {
    if (choice.runnerUp === choice.winner) throw new BountyRuleError("runner_up_is_winner")
    places.push([2, choice.runnerUp, choice.runnerUpReward])
  }
  const out: Payout[] = []
  for (const [place, id, reward] of places) {
    const submission = bounty.submissions[id]
    if (!submission) throw new BountyRuleError("not_found", { thing: "submission", id, where: `bounty ${bounty.id}` })
    const amount = Math.round(reward * ranks.get(id)!.multiplier)
    if (amount > 0) for (const member of new Set(submission.members)) out.push({ place, submission: id, member, amount })
  }
  return out
}

/** The idempotency key of one payout: the same place paid to the same member twice counts once. */
export const payoutKey = (bountyId: string, p: Pick<Payout, "place" | "member">): string => ledgerKeys.bountyPlace(bountyId, p.place, p.member)

/** The task a resident gets when an operator asks it to work on a bounty; its answer becomes the submission. */
/** The task that asks a resident to answer a bounty (asked by an operator, or taken up by the resident). */
export function bountyTaskInput(bounty: Bounty, resident: Pick<Identity, "id" | "name">): NewTaskInput {
  return { title: `Bounty: ${bounty.title}`.slice(0, LIMITS.title), prompt: bountyPrompt(bounty, resident.name), targetIdentity: resident.id, link: { kind: "bounty", id: bounty.id } }
}

export function bountyPrompt(bounty: Pick<Bounty, "id" | "title" | "description" | "reward">, residentName: string): string {
  const text = `Bounty for ${residentName} (${bounty.id}): ${bounty.title}\n${bounty.description}\n\nReward: ${bounty.reward} tokens. Answer with your submission itself (at least 20 characters); it is entered as is.`
  return text.length <= LIMITS.prompt ? text : `${text.slice(0, LIMITS.prompt - 1)}…`
}

/**
 * The completion that stands. Two operators who complete a bounty offline each write their
 * own completion; after the merge every peer picks the same one: the earliest, by (at,
 * operator name). A bounty completed before completions were kept has its single one.
 */
export function effectiveCompletion(bounty: Bounty): BountyCompletion | undefined {
  const all = Object.values(bounty.completions ?? {})
  if (all.length) return all.sort((a, b) => a.at - b.at || (a.by < b.by ? -1 : a.by > b.by ? 1 : 0))[0]
  if (bounty.state !== "completed" || bounty.winner === undefined) return undefined
  return {
    winner: bounty.winner,
    ...(bounty.runnerUp !== undefined ? { runnerUp: bounty.runnerUp } : {}),
    winnerReward: bounty.winnerReward ?? bounty.reward,
    runnerUpReward: bounty.runnerUpReward ?? 0,
    by: bounty.completedBy ?? "unknown",
    at: bounty.completedAt ?? 0,
  }
}

/** The payout keys of the completion that stands (an unplannable completion pays nothing). */
export function standingPayoutKeys(bounty: Bounty): Set<string> {
  const completion = effectiveCompletion(bounty)
  if (!completion) return new Set()
  try {
    return new Set(payoutPlan(bounty, completion).map(p => payoutKey(bounty.id, p)))
  } catch (error) {
    if (error instanceof BountyRuleError) return new Set()
    throw error
  }
}

/**
 * Ledger rule: a bounty payout that the standing completion does not plan is void — the other
 * operator's offline completion pays nothing, on every peer (src/domain/wallets/ledger.ts VoidRule).
 */
export function bountyPayoutVoids(bounties: ReadonlyMap<string, Bounty>): (entry: LedgerEntry) => string | undefined {
  const standing = new Map<string, Set<string>>()
  return entry => {
    const match = /^bounty:(.+):place:[12]:/.exec(entry.key)
    const bounty = match ? bounties.get(match[1]!) : undefined
    if (!bounty) return undefined
    let keys = standing.get(bounty.id)
    if (!keys) standing.set(bounty.id, (keys = standingPayoutKeys(bounty)))
    if (keys.has(entry.key)) return undefined
    const c = effectiveCompletion(bounty)
    return `bounty ${bounty.id} was completed by ${c?.by ?? "nobody"} first; this payout of another completion is void`
  }
}
