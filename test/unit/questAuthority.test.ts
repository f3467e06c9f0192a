/**
 * Who may approve a quest: an operator completes it as itself; a second operator's approval
 * made offline merges into a completed quest whichever way each field's winner falls; nobody
 * records another operator as the approver of a quest that was not completed.
 */
import { describe, expect, it } from "vitest"
import type { QuestDoc } from "../../schemas/index.ts"
import { ALLOWED } from "../../src/core/authority/verdict.ts"
import { authorizeQuestChange } from "../../src/domain/quests/authority.ts"
import { expectRefused, principal } from "../helpers/verdicts.ts"

const quest: QuestDoc = {
  schemaVersion: 1,
  kind: "quest",
  id: "quest-1",
  title: "Map the north cave",
  objective: "Name every exit.",
  identity: "ada",
  budgetUsd: 0.2,
  upfrontTip: 10,
  completionReward: 30,
  state: "awaiting_approval",
  createdBy: "alice",
  createdAt: 1_000,
  updatedAt: 2_000,
}
const alice = principal("alice", "operator")
const bob = principal("bob", "operator")
const ctx = { key: "quest-1" }

describe("approving a quest", () => {
  const byBob = { ...quest, state: "completed" as const, approvedBy: "bob", approvedAt: 5_000, updatedAt: 5_000 }

  it("an operator completes it as itself", () => {
    expect(authorizeQuestChange(quest, byBob, bob)).toEqual(ALLOWED)
    expectRefused(authorizeQuestChange(quest, byBob, alice), /alice cannot record bob as the approving operator/)
  })

  it("a second approval made offline merges into the completed quest, each field keeping its own winner", () => {
    // Alice's concurrent approval arriving after Bob's: the approver stays Bob, the time becomes hers.
    expect(authorizeQuestChange(byBob, { ...byBob, approvedAt: 5_500, updatedAt: 5_500 }, alice)).toEqual(ALLOWED)
    // Or her name wins and his time stays.
    expect(authorizeQuestChange(byBob, { ...byBob, approvedBy: "alice" }, alice)).toEqual(ALLOWED)
    // Never a third operator's name.
    expectRefused(authorizeQuestChange(byBob, { ...byBob, approvedBy: "carol" }, alice), /alice cannot record carol as the approving operator/)
  })
})
