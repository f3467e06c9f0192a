/** The quest state table and the quest's task (src/domain/quests/quest.ts). */
import { describe, expect, it } from "vitest"
import { LIMITS } from "../../schemas/index.ts"
import { QUEST_TRANSITIONS, QuestTransitionError, assertQuestMove, canMoveQuest, questPrompt, questStateForTask, questTaskBudget } from "../../src/domain/quests/quest.ts"

describe("quest state table", () => {
  it("operators pause, resume, cancel and approve; the relay (system) follows the task", () => {
    expect(canMoveQuest("active", "paused", "operator")).toBe(true)
    expect(canMoveQuest("paused", "active", "operator")).toBe(true)
    expect(canMoveQuest("active", "awaiting_approval", "system")).toBe(true)
    expect(canMoveQuest("active", "failed", "system")).toBe(true)
    expect(canMoveQuest("awaiting_approval", "completed", "operator")).toBe(true)
    expect(canMoveQuest("active", "cancelled", "operator")).toBe(true)
    expect(canMoveQuest("paused", "cancelled", "operator")).toBe(true)
    // Work handed in before a pause still counts when approved.
    expect(canMoveQuest("paused", "awaiting_approval", "system")).toBe(true)
    // A failed quest may be tried again.
    expect(canMoveQuest("failed", "active", "operator")).toBe(true)
  })

  it("refuses everything else", () => {
    expect(canMoveQuest("active", "awaiting_approval", "operator")).toBe(false)
    expect(canMoveQuest("active", "completed", "operator")).toBe(false)
    expect(canMoveQuest("awaiting_approval", "completed", "system")).toBe(false)
    expect(canMoveQuest("awaiting_approval", "cancelled", "operator")).toBe(false)
    expect(canMoveQuest("active", "paused", "worker")).toBe(false)
    expect(Object.keys(QUEST_TRANSITIONS.completed)).toEqual([])
    expect(Object.keys(QUEST_TRANSITIONS.cancelled)).toEqual([])
  })

  it("the error names the allowed moves, or the actor that may make it", () => {
    expect(() => assertQuestMove({ id: "q1", state: "paused" }, "completed", "operator")).toThrow(
      new QuestTransitionError("q1", "paused", "completed", "operator"),
    )
    expect(() => assertQuestMove({ id: "q1", state: "paused" }, "completed", "operator")).toThrow(
      "quest q1 is paused; it cannot become completed (from paused it can become active, awaiting_approval, failed, cancelled)",
    )
    expect(() => assertQuestMove({ id: "q1", state: "completed" }, "active", "operator")).toThrow("quest q1 is completed; it cannot become active (completed is final)")
    expect(() => assertQuestMove({ id: "q1", state: "active" }, "awaiting_approval", "operator")).toThrow(
      "quest q1: only system may move it from active to awaiting_approval, not operator",
    )
  })
})

describe("questStateForTask", () => {
  it("approved → awaiting_approval, failed → failed, only for the quest's current task", () => {
    expect(questStateForTask({ state: "active", taskId: "t1" }, { id: "t1", status: "approved" })).toBe("awaiting_approval")
    expect(questStateForTask({ state: "paused", taskId: "t1" }, { id: "t1", status: "approved" })).toBe("awaiting_approval")
    expect(questStateForTask({ state: "active", taskId: "t1" }, { id: "t1", status: "failed" })).toBe("failed")
    expect(questStateForTask({ state: "active", taskId: "t2" }, { id: "t1", status: "approved" })).toBeUndefined()
    expect(questStateForTask({ state: "active", taskId: "t1" }, { id: "t1", status: "pending_review" })).toBeUndefined()
    expect(questStateForTask({ state: "active", taskId: "t1" }, { id: "t1", status: "cancelled" })).toBeUndefined()
    // Already moved, or final: nothing to do (the relay may look again and again).
    expect(questStateForTask({ state: "awaiting_approval", taskId: "t1" }, { id: "t1", status: "approved" })).toBeUndefined()
    expect(questStateForTask({ state: "completed", taskId: "t1" }, { id: "t1", status: "approved" })).toBeUndefined()
    expect(questStateForTask({ state: "cancelled", taskId: "t1" }, { id: "t1", status: "failed" })).toBeUndefined()
  })
})

describe("the quest's task", () => {
  it("budget band: min = max(0.01, min(0.10, budget)), max = max(min, budget)", () => {
    expect(questTaskBudget(0.2)).toEqual({ minBudgetUsd: 0.1, maxBudgetUsd: 0.2 })
    expect(questTaskBudget(0.05)).toEqual({ minBudgetUsd: 0.05, maxBudgetUsd: 0.05 })
    expect(questTaskBudget(0)).toEqual({ minBudgetUsd: 0.01, maxBudgetUsd: 0.01 })
    expect(questTaskBudget(3)).toEqual({ minBudgetUsd: 0.1, maxBudgetUsd: 3 })
  })

  it("prompt in the reference wording; a long objective is cut to the prompt limit", () => {
    expect(questPrompt({ id: "quest-1", objective: "Map the caves." }, "Ada")).toBe(
      "Quest for Ada (quest-1).\nObjective: Map the caves.\n\nRun this quest while still participating in normal resident social life: coordination, DMs, and shared room interactions stay active.",
    )
    const long = questPrompt({ id: "quest-1", objective: "x".repeat(10_000) }, "Ada")
    expect(long.length).toBeLessThanOrEqual(LIMITS.prompt)
    expect(long).toContain("… (cut; the full objective is in quest quest-1)")
    expect(long).toMatch(/Run this quest/)
    // Never half an emoji.
    const emoji = questPrompt({ id: "q", objective: "😀".repeat(3_000) }, "Ada")
    expect(emoji.length).toBeLessThanOrEqual(LIMITS.prompt)
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })
})
