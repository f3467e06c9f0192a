import { describe, expect, it } from "vitest"
import type { Identity } from "../../schemas/index.ts"
import { assembleContext } from "../../src/domain/residents/contextAssembly.ts"
import { MESSAGE_TO_HUMAN, messagesToHuman, wakeUpSections, type WakeUpInput } from "../../src/domain/residents/wakeUp.ts"

const wakeUpContext = (input: WakeUpInput) => assembleContext(wakeUpSections(input)).text

const identity: Identity = {
  id: "mira",
  name: "Mira",
  createdAt: 1,
  createdBy: "ada",
  statement: "I map caves carefully.",
  core: { traits: ["patient"], values: ["care"] },
  mutable: { mood: "focused" },
  profile: { bio: "" },
  continuity: { sessions: 4, tasksCompleted: 2, tasksFailed: 0, level: 2 },
}

describe("wake-up context", () => {
  it("names the resident, its wallet, its memory and ends with voluntary participation", () => {
    const text = wakeUpContext({ identity, wallet: { freeTime: 105, journal: 45 }, recall: ["- 2026-11-27: mapped the north cave"] })
    expect(text.split("\n")[0]).toBe("DAY START / I am waking up in Vivarium.")
    expect(text).toContain("I am Mira (mira), level 2, session 4.")
    expect(text).toContain("Wallet: 105 free-time tokens, 45 journal tokens.")
    expect(text).toContain("I map caves carefully.")
    expect(text).toContain("TARGETED MEMORY RECALL")
    expect(text).toContain("mapped the north cave")
    expect(text.split("\n").at(-1)).toBe("Participation is voluntary. I choose what aligns with me.")
  })

  it("leaves the recall block out when nothing was recalled", () => {
    expect(wakeUpContext({ identity, wallet: { freeTime: 0, journal: 0 }, recall: [] })).not.toContain("TARGETED MEMORY RECALL")
  })
})

describe("messages to the human in an answer", () => {
  it("finds marked lines with their type, defaulting to message, and caps how many", () => {
    const out = ["Done.", "MESSAGE TO HUMAN: [question] Should I map the west cave too?", "MESSAGE TO HUMAN: thanks for the tip", "plain text"].join("\n")
    expect(messagesToHuman(out)).toEqual([
      { type: "question", content: "Should I map the west cave too?" },
      { type: "message", content: "thanks for the tip" },
    ])
    expect(messagesToHuman(Array(5).fill("MESSAGE TO HUMAN: hi").join("\n"), 2)).toHaveLength(2)
    expect(messagesToHuman("no marker here\nMESSAGE TO HUMAN:   ")).toEqual([])
  })

  it("tells the resident how, and what it costs", () => {
    expect(wakeUpContext({ identity, wallet: { freeTime: 0, journal: 0 }, recall: [] })).toContain(`${MESSAGE_TO_HUMAN} [question|greeting|idea|concern|message]`)
  })
})
