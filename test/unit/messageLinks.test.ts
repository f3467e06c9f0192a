/** Paths of the panel inside room messages become links; everything else stays text. */
import { describe, expect, it } from "vitest"
import { messageParts } from "../../src/domain/rooms/index.ts"

describe("messageParts", () => {
  it("splits out /tasks/<id> and the other panel paths, leaving URLs and trailing punctuation alone", () => {
    expect(messageParts("Approved: “Moss” — /tasks/task-m1x-ab12.")).toEqual([
      { text: "Approved: “Moss” — " },
      { text: "/tasks/task-m1x-ab12", to: "/tasks/task-m1x-ab12" },
      { text: "." },
    ])
    expect(messageParts("see /quests/q1 and /residents/moss-keeper")).toEqual([
      { text: "see " },
      { text: "/quests/q1", to: "/quests/q1" },
      { text: " and " },
      { text: "/residents/moss-keeper", to: "/residents/moss-keeper" },
    ])
    expect(messageParts("http://host/tasks/x and a/tasks/y and /secrets/z")).toEqual([{ text: "http://host/tasks/x and a/tasks/y and /secrets/z" }])
    expect(messageParts("")).toEqual([])
  })
})
