import { describe, expect, it } from "vitest"
import { LedgerEntry } from "../../schemas/index.ts"
import {
  BOUNTY_SLOT_POLICY,
  DAILY_ALLOWANCE,
  dayIndex,
  FREE_TIME_CAP,
  freeTimeShare,
  JOURNAL_CAP,
  ledgerKeys,
  MAIL_DM_GRANT,
  MAIL_REPLY_GRANT,
  MAIL_SEND_COST,
  MAX_LEDGER_KEY,
  ONE_TIME_BONUS,
  phase5Reward,
  QUEST_DEFAULTS,
  SPLIT_FREE_TIME,
} from "../../src/domain/wallets/economy.ts"

describe("economy constants", () => {
  it("are the reference's numbers", () => {
    expect({ SPLIT_FREE_TIME, FREE_TIME_CAP, JOURNAL_CAP, DAILY_ALLOWANCE, MAIL_DM_GRANT, MAIL_REPLY_GRANT, MAIL_SEND_COST, ONE_TIME_BONUS }).toEqual({
      SPLIT_FREE_TIME: 0.7,
      FREE_TIME_CAP: 500,
      JOURNAL_CAP: 200,
      DAILY_ALLOWANCE: 150,
      MAIL_DM_GRANT: 8,
      MAIL_REPLY_GRANT: 12,
      MAIL_SEND_COST: 10,
      ONE_TIME_BONUS: 25,
    })
    expect(QUEST_DEFAULTS).toEqual({ upfrontTip: 10, completionReward: 30, manualTip: 10 })
    expect(BOUNTY_SLOT_POLICY).toEqual({ inSlotMultiplier: 1, overflowDecay: 0.5, minMultiplier: 0.05, minDescriptionChars: 20 })
  })
})

describe("freeTimeShare", () => {
  it("is the floor of 70 %, exact for every amount the schema allows", () => {
    expect([1, 2, 3, 10, 15, 90, 150, 170, 999_999].map(freeTimeShare)).toEqual([0, 1, 2, 7, 10, 63, 105, 119, 699_999])
    const wrong: number[] = []
    for (let amount = 1; amount <= 1_000_000; amount++) if (freeTimeShare(amount) !== Math.floor((amount * 7) / 10)) wrong.push(amount)
    expect(wrong).toEqual([])
  })
})

describe("phase5Reward", () => {
  const r = (maxBudgetUsd: number, costUsd: number | undefined, confidence?: number) => phase5Reward({ maxBudgetUsd, costUsd, confidence })

  it("is round(savings × 8) + round(confidence × 2), clamped to 1..12", () => {
    expect(r(1, 0, 1)).toBe(10) // 8 + 2
    expect(r(1, 0.5, 0.5)).toBe(5) // 4 + 1
    expect(r(2, 1.5, 0.9)).toBe(4) // round(2) + round(1.8)
    expect(r(1, 0.99, 0)).toBe(1) // round(0.08) + 0 → clamped up to 1
    expect(r(0.1, 0.0125, 1)).toBe(9) // savings 0.875 → round(7) + 2
    expect(r(1, 0, 0.25)).toBe(9) // halves round up: 8 + round(0.5)
  })

  it("pays nothing unless the task came in under a positive budget with a known cost", () => {
    expect(r(1, 1, 1)).toBe(0) // at budget
    expect(r(1, 1.5, 1)).toBe(0) // over budget
    expect(r(0, 0, 1)).toBe(0) // no budget
    expect(r(1, undefined, 1)).toBe(0) // cost unknown
    expect(r(1, Number.NaN, 1)).toBe(0)
  })

  it("clamps confidence to 0..1 and treats an unknown confidence as 0", () => {
    expect(r(1, 0, 5)).toBe(10)
    expect(r(1, 0, -3)).toBe(8)
    expect(r(1, 0)).toBe(8)
    expect(r(1, 0, Number.NaN)).toBe(8)
  })

  it("stays within 1..12 over a grid of inputs, and grows with savings", () => {
    let last = 0
    for (let cost = 0.99; cost >= 0; cost -= 0.01) {
      const reward = r(1, cost, 0.5)
      expect(reward).toBeGreaterThanOrEqual(Math.max(1, last))
      expect(reward).toBeLessThanOrEqual(12)
      last = reward
    }
  })
})

describe("dayIndex", () => {
  it("counts whole UTC days since the epoch", () => {
    expect(dayIndex(0)).toBe(0)
    expect(dayIndex(86_399_999)).toBe(0)
    expect(dayIndex(86_400_000)).toBe(1)
    expect(dayIndex(Date.UTC(2026, 0, 2, 23, 59))).toBe(dayIndex(Date.UTC(2026, 0, 2, 0, 0)))
    expect(dayIndex(Date.UTC(2026, 0, 3))).toBe(dayIndex(Date.UTC(2026, 0, 2)) + 1)
  })

  it("takes a shorter day (tests run days in seconds)", () => {
    expect(dayIndex(2_500, 1_000)).toBe(2)
  })
})

describe("ledgerKeys", () => {
  it("builds each kind of idempotency key", () => {
    expect(ledgerKeys.reward("task-1", "ada")).toBe("reward:task-1:ada")
    expect(ledgerKeys.tip("task-1")).toBe("tip:task-1")
    expect(ledgerKeys.bonus("one_time_crystallize_personality", "ada")).toBe("bonus:one_time_crystallize_personality:ada")
    expect(ledgerKeys.allowance("ada", 20_454)).toBe("allowance:ada:20454")
    expect(ledgerKeys.mailDm("mail-1")).toBe("mail-dm:mail-1")
    expect(ledgerKeys.mailReply("mail-2")).toBe("mail-reply:mail-2")
    expect(ledgerKeys.mailSend("mail-3")).toBe("mail-send:mail-3")
    expect(ledgerKeys.questUpfront("q1")).toBe("quest:q1:upfront")
    expect(ledgerKeys.questTip("q1", 2)).toBe("quest:q1:tip:2")
    expect(ledgerKeys.questTip("q1", "tip-abc")).toBe("quest:q1:tip:tip-abc")
    expect(ledgerKeys.questCompletion("q1")).toBe("quest:q1:completion")
    expect(ledgerKeys.bountyPlace("bounty-1", 1, "ada")).toBe("bounty:bounty-1:place:1:ada")
  })

  it("makes keys the wallets schema accepts, and refuses one that is too long", () => {
    const key = ledgerKeys.reward("task-mabc123-0f3a", "ada-lovelace")
    expect(LedgerEntry.shape.key.safeParse(key).success).toBe(true)
    expect(() => ledgerKeys.bountyPlace("b".repeat(120), 1, "m".repeat(120))).toThrow(`the limit is ${MAX_LEDGER_KEY}`)
  })
})
