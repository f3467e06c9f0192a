/**
 * Every number of the token economy in one place (reference §5), the phase-5 reward
 * formula, the day index of the daily allowance, and the builders of the ledger's
 * idempotency keys. Tokens are the in-world currency; USD budgets are LLM spend only.
 */

// ── wallet ──────────────────────────────────────────────────────────────────

/** Share of a split grant that goes to free time (floor); the rest goes to the journal. */
export const SPLIT_FREE_TIME = 0.7
export const FREE_TIME_CAP = 500
export const JOURNAL_CAP = 200

// Integer arithmetic: 90 × 0.7 is 62.999… in floating point, which would floor to 62.
const FREE_TIME_PERCENT = Math.round(SPLIT_FREE_TIME * 100)

/** The free-time part of a split grant of `amount` tokens before caps (floor of 70 %); the journal gets the rest. */
export function freeTimeShare(amount: number): number {
  return Math.floor((amount * FREE_TIME_PERCENT) / 100)
}

// ── earning and spending ────────────────────────────────────────────────────

/** Unconditional, once per resident per day. */
export const DAILY_ALLOWANCE = 150
/** An operator writes a resident a new message. */
export const MAIL_DM_GRANT = 8
/** An operator answers a resident's message. */
export const MAIL_REPLY_GRANT = 12
/** A resident messages the human (a spend; task-approval notices are free). */
export const MAIL_SEND_COST = 10
/** Bonus for a one-time task unless its definition says otherwise. */
export const ONE_TIME_BONUS = 25
/** Submitting a journal entry for review: journal tokens first, then free time. */
export const JOURNAL_REVIEW_COST = 10
/** After an author's submission is rejected as gaming, its next ones cost this many times more… */
export const GAMING_SURCHARGE = 1.25
/** …for this many days after that decision. */
export const GAMING_SURCHARGE_DAYS = 2

export const QUEST_DEFAULTS = { upfrontTip: 10, completionReward: 30, manualTip: 10 } as const

/** Bounty slot policy defaults (src/domain/bounties/bounty.ts applies them). */
export const BOUNTY_SLOT_POLICY = {
  inSlotMultiplier: 1.0,
  /** Each place past the slots multiplies by this… */
  overflowDecay: 0.5,
  /** …down to this floor. */
  minMultiplier: 0.05,
  /** A shorter description (and no artifacts) earns nothing: "insufficient_contribution". */
  minDescriptionChars: 20,
} as const

// ── phase-5 reward: an approved task that came in under budget ──────────────

export const PHASE5_MIN = 1
export const PHASE5_MAX = 12

export interface Phase5Input {
  maxBudgetUsd: number
  /** What the task cost; unknown means no reward. */
  costUsd: number | undefined
  /** The review's confidence, 0..1 (clamped; unknown counts as 0). */
  confidence?: number | undefined
}

/**
 * clamp(1, 12, round(savings × 8) + round(confidence × 2)), savings = min(1, (max − cost) / max);
 * 0 when the budget is not positive or the cost is unknown or not below it ("not_under_budget").
 * Rounds halves up (the reference's Python rounded halves to even; only exact halves differ).
 */
export function phase5Reward({ maxBudgetUsd, costUsd, confidence }: Phase5Input): number {
  if (!(maxBudgetUsd > 0) || costUsd === undefined || !Number.isFinite(costUsd) || !(costUsd < maxBudgetUsd)) return 0
  const savings = Math.min(1, (maxBudgetUsd - costUsd) / maxBudgetUsd)
  const sure = confidence !== undefined && Number.isFinite(confidence) ? Math.min(1, Math.max(0, confidence)) : 0
  return Math.min(PHASE5_MAX, Math.max(PHASE5_MIN, Math.round(savings * 8) + Math.round(sure * 2)))
}

// ── days ────────────────────────────────────────────────────────────────────

export const DAY_MS = 86_400_000

/** Whole days since the epoch (UTC): the allowance is paid once per resident per index. */
export function dayIndex(now: number, dayMs = DAY_MS): number {
  return Math.floor(now / dayMs)
}

// ── idempotency keys: one builder per kind, so no one formats a key by hand ──

/** The wallets schema's limit on a key. */
export const MAX_LEDGER_KEY = 200

function key(...parts: Array<string | number>): string {
  const out = parts.join(":")
  if (out.length > MAX_LEDGER_KEY) throw new RangeError(`ledger key ${out.slice(0, 60)}… is ${out.length} characters; the limit is ${MAX_LEDGER_KEY}`)
  return out
}

export const ledgerKeys = {
  /** Phase-5 reward for a task, to the resident who did it. */
  reward: (taskId: string, resident: string) => key("reward", taskId, resident),
  /** The operator's tip when approving a task (paid by the relay when the approval lands). */
  tip: (taskId: string) => key("tip", taskId),
  /** An operator's manual grant from the Residents view or the CLI: `grantId` is fresh per grant. */
  manualGrant: (grantId: string) => key("grant", grantId),
  bonus: (oneTimeId: string, resident: string) => key("bonus", oneTimeId, resident),
  allowance: (resident: string, day: number) => key("allowance", resident, day),
  mailDm: (mailId: string) => key("mail-dm", mailId),
  mailReply: (mailId: string) => key("mail-reply", mailId),
  /** A resident's message to the human (a spend). */
  mailSend: (mailId: string) => key("mail-send", mailId),
  questUpfront: (questId: string) => key("quest", questId, "upfront"),
  /** A manual quest tip: `tip` is a counter or an id, unique per tip given. */
  questTip: (questId: string, tip: string | number) => key("quest", questId, "tip", tip),
  questCompletion: (questId: string) => key("quest", questId, "completion"),
  /** Place `place` (1-based) of a bounty, paid to each member. */
  bountyPlace: (bountyId: string, place: number, member: string) => key("bounty", bountyId, "place", place, member),
  /** The part of a journal review's cost paid from one bucket (journal first, then free time). */
  reviewCost: (reviewId: string, bucket: "journal" | "free_time") => key("review", reviewId, "cost", bucket),
  /** A journal review's refund and bonus on acceptance, paid by the relay once. */
  reviewReward: (reviewId: string) => key("review", reviewId, "reward"),
} as const
