/**
 * The social plane's inputs (src/domain/<concept>/inputs.ts): what the CLI's flags and the
 * PWA's forms both parse, so each limit and message is checked once here.
 */
import { describe, expect, it } from "vitest"
import type { z } from "zod"
import { LIMITS } from "../../schemas/index.ts"
import { CompletionInput, NewBountyInput, SLOTS_RANGE, SubmissionInput } from "../../src/domain/bounties/inputs.ts"
import { MailContent, SendMailInput } from "../../src/domain/mailbox/inputs.ts"
import { AssignQuestInput, QUEST_BUDGET_RANGE } from "../../src/domain/quests/inputs.ts"
import { DEFAULT_QUEST_BUDGET_USD } from "../../src/domain/quests/quest.ts"
import { ForgeInput, SUMMARY_MAX } from "../../src/domain/residents/inputs.ts"
import { DEFAULT_IMPORTANCE, DmParties, IMPORTANCE_RANGE, NewMessageInput } from "../../src/domain/rooms/inputs.ts"
import { QUEST_DEFAULTS } from "../../src/domain/wallets/economy.ts"
import { TOKENS_RANGE } from "../../src/domain/wallets/inputs.ts"

/** The first issue's message, as a form shows it and a flag error says it. */
function firstIssue(schema: z.ZodType, input: unknown): string | undefined {
  const parsed = schema.safeParse(input)
  return parsed.success ? undefined : parsed.error.issues[0]?.message
}

describe("ForgeInput (resident forge form and `resident forge`)", () => {
  it("takes lists as comma-separated text or as items, trimmed and without repeats", () => {
    const fromText = ForgeInput.parse({ name: " Ada ", traits: "curious, , patient,Curious", values: "", activities: "mapping" })
    expect(fromText).toMatchObject({ name: "Ada", traits: ["curious", "patient"], values: [], activities: ["mapping"], bio: "" })
    expect(ForgeInput.parse({ name: "Ada", traits: ["curious", "patient"] }).traits).toEqual(["curious", "patient"])
  })

  it("blank summary, statement and seed count as absent; a seed is upper-cased", () => {
    expect(ForgeInput.parse({ name: "Ada", summary: "  ", statement: "", seed: "" })).toMatchObject({ summary: undefined, statement: undefined, seed: undefined })
    expect(ForgeInput.parse({ name: "Ada", seed: "ab-1234-cd" }).seed).toBe("AB-1234-CD")
  })

  it("says what is wrong in words", () => {
    expect(firstIssue(ForgeInput, { name: "   " })).toBe("a resident needs a name")
    expect(firstIssue(ForgeInput, { name: "x".repeat(LIMITS.name + 1) })).toBe(`a name is at most ${LIMITS.name} characters`)
    expect(firstIssue(ForgeInput, { name: "Ada", summary: "s".repeat(SUMMARY_MAX + 1) })).toBe(`the summary is longer than ${SUMMARY_MAX} characters`)
    expect(firstIssue(ForgeInput, { name: "Ada", seed: "seed" })).toMatch(/a creativity seed looks like AB-1234-CD/)
    expect(firstIssue(ForgeInput, { name: "Ada", traits: "a,b,c,d,e,f,g,h,i,j,k" })).toBe("at most 10 traits")
    expect(firstIssue(ForgeInput, { name: "Ada", colour: "blue" })).toBeDefined()
  })
})

describe("NewMessageInput and DmParties (room composer, DM form and `room post`)", () => {
  it("defaults the importance and checks its range with one message", () => {
    expect(NewMessageInput.parse({ content: " hello " })).toEqual({ content: "hello", importance: DEFAULT_IMPORTANCE })
    const rule = `importance is a whole number from ${IMPORTANCE_RANGE.min} to ${IMPORTANCE_RANGE.max}`
    expect(firstIssue(NewMessageInput, { content: "hi", importance: IMPORTANCE_RANGE.max + 1 })).toBe(rule)
    expect(firstIssue(NewMessageInput, { content: "hi", importance: 2.5 })).toBe(rule)
    expect(firstIssue(NewMessageInput, { content: "  " })).toBe("the message is empty")
    expect(firstIssue(NewMessageInput, { content: "m".repeat(LIMITS.message + 1) })).toBe(`a message is at most ${LIMITS.message} characters`)
  })

  it("a DM needs two different, well-formed parties", () => {
    expect(DmParties.parse(["ada", "tester"])).toEqual(["ada", "tester"])
    expect(firstIssue(DmParties, ["ada", "ada"])).toBe("a DM needs two different parties")
    expect(firstIssue(DmParties, ["ada", "not an id"])).toMatch(/ids are letters/)
  })
})

describe("MailContent and SendMailInput (mail forms, `mail send` and `mail reply`)", () => {
  it("trims the text and refuses empty or over-long messages", () => {
    expect(MailContent.parse("  see you  ")).toBe("see you")
    expect(firstIssue(MailContent, " ")).toBe("the message is empty")
    expect(firstIssue(MailContent, "m".repeat(LIMITS.message + 1))).toBe(`a message is at most ${LIMITS.message} characters`)
  })

  it("a message without a resident is a broadcast", () => {
    expect(SendMailInput.parse({ content: "hello all" })).toEqual({ content: "hello all" })
    expect(firstIssue(SendMailInput, { resident: "ada" })).toBeDefined()
  })
})

describe("AssignQuestInput (quest form and `quest assign`)", () => {
  it("fills the budget, the upfront tip and the completion reward from the workspace defaults", () => {
    expect(AssignQuestInput.parse({ title: "Map the cave", objective: "every tunnel", identity: "ada" })).toEqual({
      title: "Map the cave",
      objective: "every tunnel",
      identity: "ada",
      budgetUsd: DEFAULT_QUEST_BUDGET_USD,
      upfrontTip: QUEST_DEFAULTS.upfrontTip,
      completionReward: QUEST_DEFAULTS.completionReward,
    })
  })

  it("says what is wrong in words", () => {
    const base = { title: "Map the cave", objective: "every tunnel", identity: "ada" }
    expect(firstIssue(AssignQuestInput, { ...base, objective: "  " })).toBe("a quest needs an objective")
    expect(firstIssue(AssignQuestInput, { ...base, title: "" })).toBe("a quest needs a title")
    expect(firstIssue(AssignQuestInput, { ...base, budgetUsd: -1 })).toBe(
      `a quest budget is a USD amount from ${QUEST_BUDGET_RANGE.min} to ${QUEST_BUDGET_RANGE.max}, such as 0.20`,
    )
    expect(firstIssue(AssignQuestInput, { ...base, upfrontTip: 1.5 })).toBe(`tokens are a whole number from ${TOKENS_RANGE.min} to ${TOKENS_RANGE.max}`)
    expect(firstIssue(AssignQuestInput, { ...base, completionReward: TOKENS_RANGE.max + 1 })).toBe(`tokens are a whole number from ${TOKENS_RANGE.min} to ${TOKENS_RANGE.max}`)
  })
})

describe("bounty inputs (bounty forms, `bounty post|submit|complete`)", () => {
  it("a bounty has one slot unless told otherwise, within the slot range", () => {
    expect(NewBountyInput.parse({ title: " Best map ", reward: 50 })).toEqual({ title: "Best map", description: "", reward: 50, slots: 1 })
    const rule = `slots are a whole number from ${SLOTS_RANGE.min} to ${SLOTS_RANGE.max}`
    expect(firstIssue(NewBountyInput, { title: "Best map", reward: 50, slots: 0 })).toBe(rule)
    expect(firstIssue(NewBountyInput, { title: "Best map", reward: 50, slots: SLOTS_RANGE.max + 1 })).toBe(rule)
    expect(firstIssue(NewBountyInput, { title: "Best map", reward: -5 })).toBe(`tokens are a whole number from ${TOKENS_RANGE.min} to ${TOKENS_RANGE.max}`)
  })

  it("a submission names at most ten members and has content", () => {
    expect(firstIssue(SubmissionInput, { identity: "ada", content: " " })).toBe("the submission is empty")
    expect(firstIssue(SubmissionInput, { identity: "ada", members: Array.from({ length: 11 }, (_, i) => `r${i}`), content: "a map" })).toBe("a submission has at most 10 members")
  })

  it("a completion pays the runner-up nothing unless told", () => {
    expect(CompletionInput.parse({ winner: "sub-1" })).toEqual({ winner: "sub-1", runnerUpReward: 0 })
    expect(firstIssue(CompletionInput, { winner: "sub-1", winnerReward: -1 })).toBe(`tokens are a whole number from ${TOKENS_RANGE.min} to ${TOKENS_RANGE.max}`)
  })
})
