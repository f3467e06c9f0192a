/** Room, DM, quest-document and bounty-list writes (src/domain/rooms, quests, bounties actions) on a network-less, in-memory Repo. */
import { Repo, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, BountiesDoc, QuestDoc, QuestIndexDoc, RoomDoc, RoomIndexDoc, Task } from "../../schemas/index.ts"
import { newId } from "../../src/core/ids.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { forgeIdentity, slugOf } from "../../src/domain/residents/actions.ts"
import { listFromText } from "../../src/domain/residents/inputs.ts"
import { OperatorActionError, type OperatorContext, type SocialContext } from "../../src/workspace/actionContext.ts"
import { createBounty } from "../../src/domain/bounties/actions.ts"
import { createDm, postMessage, postTaskUpdate, roomText, sendFeedbackDm } from "../../src/domain/rooms/actions.ts"
import { createQuest, editQuestObjective, updateQuest } from "../../src/domain/quests/actions.ts"
import { Workspace } from "../../src/workspace/workspace.ts"
import { operatorContext } from "../helpers/socialFixture.ts"

const alice: Actor = { kind: "operator", name: "alice" }
const NOW = 1_764_000_000_000
let repo: Repo
let ws: Workspace
let ctx: SocialContext
/** Alice with her audit log, for forging residents (social writes need no audit: `ctx`). */
let operator: OperatorContext

beforeEach(async () => {
  repo = new Repo({ network: [] })
  const root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-unit-0001", createdBy: "alice", now: 1 })
  ws = await Workspace.open(repo, root.url)
  // An operator is a registered peer; the mailbox and DMs tell humans by this record.
  operator = await operatorContext(ws, "alice", NOW)
  ctx = { workspace: ws, actor: alice, now: NOW }
})
afterEach(async () => {
  ws.close()
  await repo.shutdown()
})

const doc = async <T>(url: string): Promise<DocHandle<T>> => repo.find<T>(url as AutomergeUrl)
const docs = () => ws.root.docs

/** Runs `fn`, expects an OperatorActionError matching `message`, and that `handle` did not move. */
async function refused(handle: DocHandle<unknown>, fn: () => Promise<unknown> | unknown, message: RegExp): Promise<void> {
  const heads = handle.heads()
  await expect(async () => fn()).rejects.toThrow(message)
  await expect(async () => fn()).rejects.toBeInstanceOf(OperatorActionError)
  expect(handle.heads()).toEqual(heads)
}

describe("ids", () => {
  it("newId is <prefix>-<time base36>-<4 hex>", () => {
    expect(newId("quest", NOW, () => 0.5)).toBe(`quest-${NOW.toString(36)}-7fff`)
    expect(newId("dm", 0, () => 0)).toBe("dm-0-0000")
  })
})

// Adding residents (forgeIdentity: ids from the name, made unique; its refusals) is
// tested in residentActions.test.ts; these are the helpers its form and ids use.
describe("slugOf and listFromText", () => {
  it("slugOf keeps letters and digits, drops accents, and never returns an empty id", () => {
    expect(slugOf("  Ada Lovelace ")).toBe("ada-lovelace")
    expect(slugOf("Ada  Lovelace!")).toBe("ada-lovelace")
    expect(slugOf("Zoë  Ünal 2")).toBe("zoe-unal-2")
    expect(slugOf("!!!")).toBe("resident")
  })

  it("listFromText splits a form field on commas, trimming and dropping blanks", () => {
    expect(listFromText(" curious, , exact,curious ")).toEqual(["curious", "exact", "curious"])
    expect(listFromText("  ")).toEqual([])
  })
})

describe("rooms and DMs", () => {
  it("postMessage appends a message by the operator; a reply must name a message of that room", async () => {
    const first = await postMessage(ctx, "town_hall", { content: " hello all " })
    expect(first).toEqual({ id: expect.stringMatching(/^msg-/), author: "alice", content: "hello all", importance: 5, at: NOW })
    const reply = await postMessage(ctx, "town_hall", { content: "me again", importance: 9, replyTo: first.id })
    const index = (await doc<RoomIndexDoc>(docs().rooms)).doc()
    const room = await doc<RoomDoc>(index.rooms.town_hall!.url)
    expect(room.doc().messages.map(m => m.id)).toEqual([first.id, reply.id])
    expect(room.doc().messages[1]).toMatchObject({ replyTo: first.id, importance: 9 })
    await refused(room, () => postMessage(ctx, "town_hall", { content: "x", replyTo: "msg-nope" }), /no message msg-nope in town_hall/)
    await refused(room, () => postMessage(ctx, "town_hall", { content: "   " }), /^Content: the message is empty\.$|^The message is empty\.$/)
    await refused(room, () => postMessage(ctx, "town_hall", { content: "x", importance: 11 }), /^Importance: /)
    await expect(postMessage(ctx, "no_such_room", { content: "x" })).rejects.toThrow(/no room no_such_room/)
  })

  it("createDm makes a room document and an index entry; the same pair gets the same DM back", async () => {
    await forgeIdentity(operator, { name: "Ada" })
    await forgeIdentity(operator, { name: "Bo" })
    const dm = await createDm(ctx, "ada", "bo")
    expect(dm).toMatchObject({ id: expect.stringMatching(/^dm-/), kind: "dm", title: "Ada ↔ Bo", members: ["ada", "bo"], createdAt: NOW })
    const room = await doc<RoomDoc>(dm.url)
    expect(room.doc()).toMatchObject({ kind: "room", roomId: dm.id, messages: [] })
    expect((await createDm(ctx, "bo", "ada")).id).toBe(dm.id)
    await postMessage(ctx, dm.id, { content: "psst" })
    expect(room.doc().messages).toHaveLength(1)

    const index = await doc<unknown>(docs().rooms)
    await refused(index, () => createDm(ctx, "ada", "ada"), /two different parties/)
    await refused(index, () => createDm(ctx, "ada", "zed"), /no resident or operator zed/)
    await refused(index, () => createDm(ctx, "ada", "bad id!"), /ids are letters/)
  })
})

describe("quests", () => {
  it("createQuest writes the quest document and its index entry", async () => {
    await forgeIdentity(operator, { name: "Ada" })
    const quest = await createQuest(ctx, { title: "Map the caves", objective: "Find every exit.", identity: "ada", budgetUsd: 1.5, upfrontTip: 3, completionReward: 20 })
    expect(quest.id).toMatch(/^quest-/)
    const handle = await doc<QuestDoc>(quest.url)
    expect(handle.doc()).toMatchObject({ kind: "quest", title: "Map the caves", objective: "Find every exit.", identity: "ada", state: "active", budgetUsd: 1.5, createdBy: "alice" })
    const index = (await doc<QuestIndexDoc>(docs().quests)).doc()
    expect(index.quests[quest.id]).toEqual({ id: quest.id, title: "Map the caves", url: quest.url, createdAt: NOW })
  })

  it("createQuest refuses bad input and unknown residents, writing nothing", async () => {
    const index = await doc<unknown>(docs().quests)
    const handles = Object.keys(repo.handles).length
    await refused(index, () => createQuest(ctx, { title: "", budgetUsd: 1 }), /^Title: a quest needs a title/)
    await refused(index, () => createQuest(ctx, { title: "t", budgetUsd: -1 }), /^Budget \(USD\): /)
    await refused(index, () => createQuest(ctx, { title: "t", budgetUsd: 1, upfrontTip: 1.5 }), /^Upfront tip: /)
    await refused(index, () => createQuest(ctx, { title: "t", budgetUsd: 1, identity: "ghost" }), /no resident ghost/)
    expect(Object.keys(repo.handles)).toHaveLength(handles)
  })

  it("updateQuest edits fields and keeps the index title in step; bad edits write nothing", async () => {
    await forgeIdentity(operator, { name: "Ada" })
    const quest = await createQuest(ctx, { title: "Old", budgetUsd: 1, identity: "ada" })
    await updateQuest({ ...ctx, now: NOW + 5 }, quest.id, { title: "New", state: "active", budgetUsd: 2, completionReward: 7, identity: null })
    const handle = await doc<QuestDoc>(quest.url)
    expect(handle.doc()).toMatchObject({ title: "New", state: "active", budgetUsd: 2, completionReward: 7, updatedAt: NOW + 5 })
    expect(handle.doc().identity).toBeUndefined()
    expect((await doc<QuestIndexDoc>(docs().quests)).doc().quests[quest.id]!.title).toBe("New")
    await refused(handle, () => updateQuest(ctx, quest.id, { state: "exploded" as never }), /^State: /)
    await refused(handle, () => updateQuest(ctx, quest.id, { state: "paused" }), /its state changes through its actions, not by editing/)
    await refused(handle, () => updateQuest(ctx, quest.id, { objective: "no" } as never), /Unrecognized key/)
    await refused(handle, () => updateQuest(ctx, quest.id, { identity: "ghost" }), /no resident ghost/)
    await expect(updateQuest(ctx, "quest-missing", { title: "x" })).rejects.toThrow(/no quest quest-missing/)
  })

  it("editQuestObjective: concurrent edits of the objective merge character by character", async () => {
    const quest = await createQuest(ctx, { title: "Q", objective: "the plan", budgetUsd: 1 })
    const mine = await doc<QuestDoc>(quest.url)
    const theirs = repo.clone(mine)
    editQuestObjective(mine, "the big plan", NOW + 1)
    editQuestObjective(theirs, "the plan, today", NOW + 2)
    mine.merge(theirs)
    expect(mine.doc().objective).toBe("the big plan, today")
    await refused(mine, () => editQuestObjective(mine, "x".repeat(20_001)), /The objective is longer than 20000 characters\./)
    const index = await doc<unknown>(docs().quests)
    await refused(index, () => editQuestObjective(index, "x"), /This document has no objective text to edit\./)
  })
})

describe("createBounty", () => {
  it("writes an open bounty with no submissions; refuses bad slots and rewards", async () => {
    const bounty = await createBounty(ctx, { title: "Best haiku", description: "about caves", reward: 50, slots: 3 })
    const stored = (await doc<BountiesDoc>(docs().bounties)).doc().bounties[bounty.id]
    expect(stored).toEqual({ id: bounty.id, title: "Best haiku", description: "about caves", reward: 50, slots: 3, state: "open", submissions: {}, completions: {}, createdBy: "alice", createdAt: NOW })
    const handle = await doc<unknown>(docs().bounties)
    await refused(handle, () => createBounty(ctx, { title: "t", reward: 1, slots: 0 }), /^Slots: /)
    await refused(handle, () => createBounty(ctx, { title: "t", reward: -1 }), /^Reward: /)
    await refused(handle, () => createBounty(ctx, { title: " ", reward: 1 }), /^Title: a bounty needs a title/)
  })
})

describe("the relay's automatic posts", () => {
  const relay = (): SocialContext => ({ workspace: ws, actor: { kind: "system", name: "relay" }, now: NOW + 1 })
  const approved = (extra: Partial<Task> = {}): Task => ({
    ...ws.addTask({ prompt: "Paint   the\ncaves", targetIdentity: "ada", room: "discoveries" }, alice, NOW),
    status: "approved",
    result: { output: "Painted\n\nthree caves.", model: "m", costUsd: 0.01, leaseId: "l1", worker: "w1", startedAt: NOW, finishedAt: NOW },
    review: { verdict: "approve", confidence: 0.9, issues: [], needsHuman: true, reviewer: "w1", at: NOW, decidedBy: "alice", feedback: "Lovely work." },
    ...extra,
  })
  const room = async (id: string) => {
    const index = (await doc<RoomIndexDoc>(docs().rooms)).doc()
    return (await doc<RoomDoc>(index.rooms[id]!.url)).doc().messages
  }

  it("postTaskUpdate posts one sentence with the approved task's title and link to its room, once (update-<taskId>); never its output", async () => {
    await forgeIdentity(operator, { name: "Ada" })
    const task = approved()
    expect(await postTaskUpdate(relay(), task)).toBe("written")
    expect(await postTaskUpdate(relay(), task)).toBe("exists")
    expect(await room("discoveries")).toEqual([
      { id: `update-${task.id}`, author: "ada", content: `Approved: “Paint the caves” — /tasks/${task.id}`, importance: 3, at: NOW + 1 },
    ])
    // An unknown room falls back to town_hall; no resident: the worker is the author.
    const other = approved({ room: "nowhere", targetIdentity: undefined })
    await postTaskUpdate(relay(), other)
    expect((await room("town_hall")).map(m => [m.id, m.author])).toEqual([[`update-${other.id}`, "w1"]])
    await expect(postTaskUpdate(relay(), { ...task, status: "pending_review" })).rejects.toThrow(/only an approved task posts its update/)
  })

  it("sendFeedbackDm DMs the deciding operator's feedback once; skips what it cannot send", async () => {
    await forgeIdentity(operator, { name: "Ada" })
    const task = approved()
    expect(await sendFeedbackDm(relay(), task)).toBe("written")
    expect(await sendFeedbackDm(relay(), task)).toBe("exists")
    const dm = await createDm(ctx, "alice", "ada")
    expect((await doc<RoomDoc>(dm.url)).doc().messages).toEqual([
      { id: `feedback-${task.id}`, author: "alice", content: `Feedback on task ${task.id}: Lovely work.`, importance: 5, at: NOW + 1 },
    ])
    expect(await sendFeedbackDm(relay(), { ...task, review: { ...task.review!, feedback: undefined } })).toBe("skipped")
    expect(await sendFeedbackDm(relay(), { ...task, review: { ...task.review!, decidedBy: "mallory" } })).toBe("skipped")
    expect(await sendFeedbackDm(relay(), { ...task, targetIdentity: "ghost" })).toBe("skipped")
  })

  it("roomText trims and cuts to the message limit without splitting an emoji", () => {
    expect(roomText("  hi  ")).toBe("hi")
    const cut = roomText("😀".repeat(1_000))
    expect(cut.length).toBeLessThanOrEqual(1_200)
    expect(cut.endsWith("😀…")).toBe(true)
  })

  it("createDm: two DMs of one pair (made offline) resolve to the same one for everyone", async () => {
    await forgeIdentity(operator, { name: "Ada" })
    await forgeIdentity(operator, { name: "Bo" })
    const first = await createDm({ ...ctx, now: NOW + 5 }, "ada", "bo")
    const index = await doc<RoomIndexDoc>(docs().rooms)
    index.change(d => {
      d.rooms["dm-older"] = { ...first, id: "dm-older", createdAt: NOW }
    })
    expect((await createDm(ctx, "bo", "ada")).id).toBe("dm-older")
  })
})
