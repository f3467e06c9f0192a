import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { MailMessage, QuestDoc } from "../../schemas/index.ts"
import { unansweredBy } from "../../src/domain/mailbox/index.ts"
import { assembleContext, CONTEXT_ORDER, mailSection, questsSection, roomsSection, type ContextSection } from "../../src/domain/residents/index.ts"

const identity: ContextSection = { name: "identity", lines: ["I am Mira (mira).", "WHO I AM", "I map caves carefully."] }
const closing: ContextSection = { name: "closing", lines: ["Participation is voluntary."] }
const memory: ContextSection = { name: "memory", heading: "MEMORY", lines: ["mapped the north cave", "the west cave floods in spring"] }
const mail: ContextSection = { name: "mail", heading: "MAIL", lines: ["[m1] ada: can you map the east cave?"] }

describe("context assembly", () => {
  it("puts sections in the documented order, whatever order they come in", () => {
    const ctx = assembleContext([mail, closing, memory, identity])
    expect(ctx.text.split("\n")).toEqual([...identity.lines, "MEMORY", ...memory.lines, "MAIL", ...mail.lines, ...closing.lines])
    expect(ctx.sections.map(s => s.name)).toEqual(["identity", "memory", "mail", "closing"])
    expect(CONTEXT_ORDER).toEqual(["identity", "wallet", "memory", "rooms", "mail", "quests", "skill", "hat", "closing"])
  })

  it("keeps identity and the closing rules whole and lets the budget decide the rest, line by line", () => {
    const fixed = [...identity.lines, ...closing.lines].reduce((n, l) => n + l.length + 1, 0)
    const room = "MEMORY".length + 1 + memory.lines[0]!.length + 1
    const ctx = assembleContext([identity, memory, mail, closing], fixed + room)
    expect(ctx.text).toContain("mapped the north cave")
    expect(ctx.text).not.toContain("floods")
    expect(ctx.text).not.toContain("MAIL")
    expect(ctx.sections.find(s => s.name === "memory")).toMatchObject({ offered: 2, kept: 1 })
    expect(ctx.sections.find(s => s.name === "mail")).toMatchObject({ offered: 1, kept: 0, chars: 0 })
    // Even a budget too small for who the resident is never cuts it.
    expect(assembleContext([identity, memory, closing], 10).text.split("\n")).toEqual([...identity.lines, ...closing.lines])
  })

  it("never goes over the budget once identity and closing fit, and reports what it used", () => {
    const line = fc.string({ minLength: 1, maxLength: 80 }).map(s => s.replace(/\n/g, " "))
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), fc.integer({ min: 100, max: 3000 }), (a, b, budget) => {
        const ctx = assembleContext([identity, { name: "memory", heading: "MEMORY", lines: a }, { name: "rooms", lines: b }, closing], budget)
        expect(ctx.text.length).toBeLessThanOrEqual(budget)
        expect(ctx.sections.reduce((n, s) => n + s.chars, 0)).toBe(ctx.text.length + 1)
      }),
    )
  })
})

describe("context sections from what a resident reads", () => {
  const mailOf = (m: Partial<MailMessage> & Pick<MailMessage, "id" | "direction" | "at">): MailMessage => ({ type: "message", content: "hello", by: "ada", ...m })

  it("unanswered mail: to this resident or everyone, not yet replied to by it, newest first", () => {
    const messages = [
      mailOf({ id: "m1", direction: "from_human", resident: "mira", at: 1, content: "map the east cave?" }),
      mailOf({ id: "m2", direction: "from_human", resident: "mira", at: 2 }),
      mailOf({ id: "r2", direction: "to_human", resident: "mira", at: 3, replyTo: "m2", by: "mira" }),
      mailOf({ id: "m3", direction: "from_human", at: 4, content: "team meeting at noon" }),
      mailOf({ id: "m4", direction: "from_human", resident: "olek", at: 5 }),
    ]
    expect(unansweredBy(messages, "mira").map(m => m.id)).toEqual(["m3", "m1"])
    expect(mailSection(unansweredBy(messages, "mira")).lines).toEqual(["[m3] ada (to everyone): team meeting at noon", "[m1] ada: map the east cave?"])
  })

  it("rooms: the newest messages of the most recently active rooms first", () => {
    const msg = (id: string, at: number, content: string) => ({ id, author: "olek", content, importance: 5, at })
    const section = roomsSection([
      { title: "town_hall", messages: [msg("a", 1, "old news"), msg("b", 2, "fresh news")] },
      { title: "dm olek", messages: [msg("c", 5, "are you free?")] },
      { title: "quiet", messages: [] },
    ], 1)
    expect(section.lines).toEqual(["[dm olek] olek: are you free?", "[town_hall] olek: fresh news"])
  })

  it("quests: the resident's open ones, then the open bounties", () => {
    const quest = (id: string, identity: string, state: QuestDoc["state"]) => ({ id, identity, state, title: `Quest ${id}`, objective: "Chart it", completionReward: 20 }) as QuestDoc
    const section = questsSection("mira", [quest("q1", "mira", "active"), quest("q2", "mira", "completed"), quest("q3", "olek", "active")], [
      { id: "b1", title: "Fix the map", description: "Find the error", reward: 50, slots: 1, state: "open", submissions: {}, createdBy: "ada", createdAt: 1 },
      { id: "b2", title: "Done one", description: "", reward: 5, slots: 1, state: "completed", submissions: {}, createdBy: "ada", createdAt: 1 },
    ])
    expect(section.lines).toEqual(['Quest "Quest q1" (active, reward 20 tokens): Chart it', 'Bounty "Fix the map" (open, reward 50 tokens): Find the error'])
  })
})
