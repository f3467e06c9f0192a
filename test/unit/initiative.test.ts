/**
 * What a resident takes up on its own (src/domain/residents/initiative.ts): people's
 * messages naming it or in a DM with it, bounties matching its traits, the voluntary
 * acceptance score, the hourly limit and fixed task ids.
 */
import { describe, expect, it } from "vitest"
import type { Bounty, Message, RoomEntry } from "../../schemas/index.ts"
import { bountyStimuli, INITIATIVE, initiativeLeft, initiativeTaskId, mentions, messageStimuli, replyTask, voluntaryScore } from "../../src/domain/residents/initiative.ts"

const NOW = 1_800_000_000_000
const ada = { id: "ada-quill", name: "Ada Quill", core: { traits: ["curious", "cartography"], values: [] } }
const room = (id: string, kind: RoomEntry["kind"] = "room", members: string[] = []): RoomEntry => ({ id, kind, title: id === "town_hall" ? "Town Hall" : id, members, createdAt: 1, url: "automerge:x" }) as RoomEntry
const msg = (id: string, author: string, content: string, ago = 60_000): Message => ({ id, author, content, importance: 5, at: NOW - ago })
const who = { isPerson: (id: string) => id === "alice" || id === "bob", nameOf: (id: string) => (id === "alice" ? "Alice" : id) }

describe("a resident's initiative", () => {
  it("hears its name as a word, case and accents aside, with or without @", () => {
    expect(mentions("Ada Quill, what did you find?", "Ada Quill")).toBe(true)
    expect(mentions("thanks @ada quill!", "Ada Quill")).toBe(true)
    expect(mentions("ÁDA QUILL's map", "Ada Quill")).toBe(true)
    expect(mentions("Adam Quillson was here", "Ada Quill")).toBe(false)
    expect(mentions("nothing here", "Ada Quill")).toBe(false)
  })

  it("answers people's typed messages in a DM with it or naming it; not its own, a resident's, an automatic post, an action's room copy, old ones or other DMs", () => {
    const rooms = [
      { entry: room("town_hall"), messages: [msg("msg-1", "alice", "Ada Quill, what is in the west cave?"), msg("msg-2", "alice", "Lunch at noon"), msg("msg-3", "mira", "Ada Quill, join me?"), msg("update-t1", "alice", "Approved: Ada Quill's map"), msg("msg-4", "bob", "Ada Quill, an old question", INITIATIVE.horizonMs + 1)] },
      { entry: room("dm-1", "dm", ["alice", "ada-quill"]), messages: [msg("msg-5", "alice", "Are you free tomorrow?", 30_000), msg("msg-6", "ada-quill", "Yes."), msg("note-7", "alice", "Could you check the east cave?")] },
      { entry: room("dm-2", "dm", ["alice", "mira"]), messages: [msg("msg-8", "alice", "Ada Quill is busy")] },
    ]
    const found = messageStimuli(ada, rooms, who, NOW)
    expect(found.map(s => s.id)).toEqual(["msg-1", "msg-5"])
    expect(found[0]).toMatchObject({ kind: "message", roomId: "town_hall", roomTitle: "Town Hall", authorName: "Alice" })
  })

  it("takes up open bounties matching at least one trait, best score first, never one it answered", () => {
    const bounty = (id: string, title: string, reward: number, extra: Partial<Bounty> = {}): Bounty => ({ id, title, description: "", reward, slots: 1, state: "open", submissions: {}, createdBy: "alice", createdAt: 1, ...extra }) as Bounty
    const found = bountyStimuli(ada, [
      bounty("b1", "Cartography of the caves", 50),
      bounty("b2", "A curious cartography puzzle", 10),
      bounty("b3", "Bake bread", 500),
      bounty("b4", "Curious maps", 10, { state: "completed" }),
      bounty("b5", "Curious notes", 10, { submissions: { s1: { id: "s1", identity: "ada-quill", members: ["ada-quill"], content: "mine", at: 1 } } as Bounty["submissions"] }),
    ])
    expect(found.map(s => s.id)).toEqual(["b2", "b1"])
    expect(voluntaryScore(ada.core.traits, "Cartography for CURIOUS minds", 150)).toBe(3.5)
    expect(voluntaryScore(ada.core.traits, "Bake bread", 1_000)).toBe(2)
  })

  it("starts at most the hourly limit, counting only the last hour", () => {
    expect(initiativeLeft([], NOW)).toBe(INITIATIVE.perHour)
    expect(initiativeLeft([NOW - 1_000, NOW - 2_000, NOW - INITIATIVE.hourMs - 1], NOW)).toBe(INITIATIVE.perHour - 2)
    expect(initiativeLeft(Array(INITIATIVE.perHour + 2).fill(NOW), NOW)).toBe(0)
  })

  it("gives a stimulus one fixed task id, and a reply task the message, what came before and how to answer", () => {
    expect(initiativeTaskId("ada-quill", { kind: "message", id: "msg-1" })).toBe(initiativeTaskId("ada-quill", { kind: "message", id: "msg-1" }))
    expect(initiativeTaskId("ada-quill", { kind: "message", id: "msg-1" })).not.toBe(initiativeTaskId("mira", { kind: "message", id: "msg-1" }))
    const [s] = messageStimuli(ada, [{ entry: room("town_hall"), messages: [msg("msg-1", "alice", "Ada Quill, what is in the west cave?")] }], who, NOW)
    const task = replyTask("Ada Quill", s as Extract<typeof s, { kind: "message" }>, [msg("msg-0", "bob", "The caves flooded last spring.")], id => id)
    expect(task.title).toBe("Ada Quill answers Alice in Town Hall")
    expect(task.prompt).toContain("Alice wrote to me in Town Hall:\nAda Quill, what is in the west cave?")
    expect(task.prompt).toContain("bob: The caves flooded last spring.")
    expect(task.prompt).toContain("it is posted as written once it is approved")
  })
})
