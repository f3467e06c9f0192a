/** The command palette's ranking: every typed word must match; better matches first. */
import { describe, expect, it } from "vitest"
import { fold, score, searchCommands, type Command } from "../../src/app/palette/commandSearch.ts"

const commands: Command[] = [
  { id: "action:add-task", kind: "action", label: "Add a task", detail: "new prompt or command" },
  { id: "view:queue", kind: "view", label: "Queue", detail: "view", to: "/queue" },
  { id: "view:quests", kind: "view", label: "Mailbox & Quests", detail: "view", to: "/quests" },
  { id: "task:t1", kind: "task", label: "Count the moss", detail: "queued · t1", to: "/tasks/t1", recency: 3 },
  { id: "task:t2", kind: "task", label: "Queue cleanup", detail: "approved · t2", to: "/tasks/t2", recency: 9 },
  { id: "resident:moss", kind: "resident", label: "Moss Keeper", detail: "moss-keeper", to: "/residents/moss-keeper", recency: 1 },
  { id: "quest:q1", kind: "quest", label: "Café map", detail: "q1", to: "/quests/q1", recency: 5 },
]
const ids = (query: string) => searchCommands(commands, query).map(c => c.id)

describe("command palette search", () => {
  it("ranks a label that starts with the query over a word that does, over text inside, over the detail", () => {
    expect(ids("moss")).toEqual(["resident:moss", "task:t1"])
    // "queued" in t1's detail matches too, last.
    expect(ids("queue")).toEqual(["view:queue", "task:t2", "task:t1"])
    expect(score(commands[1]!, "queue")).toBeGreaterThan(score(commands[4]!, "queue")!)
    expect(ids("t2")).toEqual(["task:t2"])
  })

  it("needs every word, ignores case and accents", () => {
    expect(ids("count MOSS")).toEqual(["task:t1"])
    expect(ids("count quests")).toEqual([])
    expect(ids("cafe")).toEqual(["quest:q1"])
    expect(fold("Café Ä")).toBe("cafe a")
    expect(ids("(")).toEqual([])
  })

  it("with nothing typed shows actions and views, then the most recent records", () => {
    expect(ids("  ")).toEqual(["action:add-task", "view:queue", "view:quests", "task:t2", "quest:q1", "task:t1", "resident:moss"])
    expect(searchCommands(commands, "", 2)).toHaveLength(2)
  })
})
