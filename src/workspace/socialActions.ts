/**
 * The social documents' base writes: room messages, DMs, quest documents and the bounty
 * list, with the resident lookups they share (residents themselves are forged in
 * identityActions.ts). The rules built on them (quest lifecycle, mailbox, bounty payouts)
 * are in questActions.ts, mailboxActions.ts and bountyActions.ts. Framework-free (the PWA,
 * workers and tests call them alike). Each function validates its input first and throws
 * OperatorActionError with nothing written on refusal.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { updateText } from "@automerge/automerge/slim"
import { z } from "zod"
import {
  Bounty,
  Id,
  LIMITS,
  Message,
  QuestDoc,
  QuestIndexEntry,
  QuestState,
  RoomEntry,
  SCHEMA_VERSION,
  Usd,
  type BountiesDoc,
  type IdentitiesDoc,
  type Identity,
  type QuestIndexDoc,
  type RoomDoc,
  type RoomIndexDoc,
  type Task,
} from "../../schemas/index.ts"
import { newId } from "../core/ids.ts"
import { OperatorActionError, parseInput as parse, type OperatorContext } from "./operatorActions.ts"
import { readIdentities, readQuest, readQuestIndex, readRoomIndex, readRoomMessages } from "./documentReaders.ts"
import type { Workspace } from "./workspace.ts"

/** Chat and document writes need no audit entry; decisions and payouts do (OperatorContext). */
export type SocialContext = Omit<OperatorContext, "audit">

export function openDoc<T>(workspace: Workspace, url: string): Promise<DocHandle<T>> {
  return workspace.repo.find<T>(url as AutomergeUrl)
}

/** Every valid resident of the workspace. */
export async function residents(workspace: Workspace): Promise<ReadonlyMap<string, Identity>> {
  const handle = await openDoc<IdentitiesDoc>(workspace, workspace.root.docs.identities)
  return readIdentities(handle.doc(), `identities ${handle.url}`, [])
}

/** The resident `id`, or a refusal naming it. */
export async function residentOf(workspace: Workspace, id: string): Promise<Identity> {
  const found = (await residents(workspace)).get(id)
  if (!found) throw new OperatorActionError(`no resident ${id}`)
  return found
}

async function roomIndex(workspace: Workspace): Promise<{ handle: DocHandle<RoomIndexDoc>; rooms: ReadonlyMap<string, RoomEntry> }> {
  const handle = await openDoc<RoomIndexDoc>(workspace, workspace.root.docs.rooms)
  return { handle, rooms: readRoomIndex(handle.doc(), `rooms ${handle.url}`, []) }
}

/** "a, b,, c" → ["a", "b", "c"]: how forms enter traits and values. */
export const listFromText = (text: string): string[] =>
  text
    .split(",")
    .map(s => s.trim())
    .filter(Boolean)

// ── residents ───────────────────────────────────────────────────────────────

/**
 * "Ada Lovelace" → "ada-lovelace"; a name with no letters or digits gives "resident". The
 * base of a forged resident's id (forgeIdentity in identityActions.ts, the only way to add one).
 */
export function slugOf(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "")
  return slug || "resident"
}

// ── rooms and DMs ───────────────────────────────────────────────────────────

export const NewMessageInput = z
  .object({
    content: z.string().trim().min(1, "the message is empty").max(LIMITS.message),
    importance: z.number().int().min(0).max(10).default(5),
    replyTo: Id.optional(),
  })
  .strict()
export type NewMessageInput = z.input<typeof NewMessageInput>

/**
 * Appends a message by this operator (author = the operator's peer name) to a room or DM.
 * Messages are a list: two peers posting offline both keep their message, and the merge
 * puts them in the same order on every peer.
 */
export async function postMessage(ctx: SocialContext, roomId: string, input: NewMessageInput): Promise<Message> {
  const e = parse(NewMessageInput, input)
  const entry = (await roomIndex(ctx.workspace)).rooms.get(roomId)
  if (!entry) throw new OperatorActionError(`no room ${roomId}`)
  const handle = await openDoc<RoomDoc>(ctx.workspace, entry.url)
  const label = `room ${handle.url}`
  if (e.replyTo !== undefined && !readRoomMessages(handle.doc(), label, []).some(m => m.id === e.replyTo))
    throw new OperatorActionError(`no message ${e.replyTo} in ${roomId} to reply to`)
  const now = ctx.now ?? Date.now()
  const message = parse(Message, {
    id: newId("msg", now),
    author: ctx.actor.name,
    content: e.content,
    importance: e.importance,
    ...(e.replyTo !== undefined ? { replyTo: e.replyTo } : {}),
    at: now,
  })
  handle.change(d => {
    d.messages.push(message)
  })
  return message
}

/** `text` cut to the room message limit, marked "…" (for posts that quote longer text). */
export function roomText(text: string): string {
  const trimmed = text.trim()
  if (trimmed.length <= LIMITS.message) return trimmed
  let end = LIMITS.message - 1
  if (/[\ud800-\udbff]/.test(trimmed.charAt(end - 1))) end--
  return `${trimmed.slice(0, end)}…`
}

/**
 * Opens a DM between two parties (residents, or a resident and an operator). An existing
 * DM between the same two is returned as is, so asking twice does not split the talk.
 */
export async function createDm(ctx: SocialContext, a: string, b: string): Promise<RoomEntry> {
  const [x, y] = parse(z.tuple([Id, Id]), [a, b])
  if (x === y) throw new OperatorActionError("a DM needs two different parties")
  const people = await residents(ctx.workspace)
  const peers = ctx.workspace.root.peers
  const nameOf = (id: string) => people.get(id)?.name ?? (peers[id]?.role === "operator" ? (peers[id].displayName ?? id) : undefined)
  const unknown = [x, y].filter(id => nameOf(id) === undefined)
  if (unknown.length) throw new OperatorActionError(`no resident or operator ${unknown.join(", ")}`)
  const index = await roomIndex(ctx.workspace)
  const existing = [...index.rooms.values()]
    .filter(r => r.kind === "dm" && r.members.includes(x) && r.members.includes(y))
    // Two peers that opened the same DM offline made two; everyone picks the same one.
    .sort((p, q) => p.createdAt - q.createdAt || (p.id < q.id ? -1 : 1))[0]
  if (existing) return existing
  const now = ctx.now ?? Date.now()
  const id = newId("dm", now)
  const fields = parse(RoomEntry.omit({ url: true }), { id, kind: "dm", title: `${nameOf(x)} ↔ ${nameOf(y)}`.slice(0, LIMITS.name), members: [x, y], createdAt: now })
  const room = ctx.workspace.repo.create<RoomDoc>({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId: id, messages: [] })
  const entry: RoomEntry = { ...fields, url: room.url }
  index.handle.change(d => {
    d.rooms[id] = entry
  })
  return entry
}

export type OnceResult = "written" | "exists"

/**
 * Appends `message` unless the room already holds a message with its id: for the relay's
 * automatic posts, whose fixed ids make a restart or a second pass post nothing twice.
 */
async function postOnce(workspace: Workspace, roomId: string, message: Message): Promise<OnceResult> {
  const entry = (await roomIndex(workspace)).rooms.get(roomId)
  if (!entry) throw new OperatorActionError(`no room ${roomId}`)
  const valid = parse(Message, message)
  const handle = await openDoc<RoomDoc>(workspace, entry.url)
  let result: OnceResult = "exists"
  handle.change(d => {
    if (d.messages.some(m => m.id === valid.id)) return
    d.messages.push(valid)
    result = "written"
  })
  return result
}

const flat = (text: string, max: number): string => {
  const one = text.replace(/\s+/g, " ").trim()
  return one.length > max ? `${one.slice(0, max - 3)}...` : one
}

/**
 * The update of an approved task, posted once to its room (id `update-<taskId>`, town_hall
 * when its room is unknown) by its resident, or its worker when it had none (reference
 * §6.1: "Task <id> update: <summary>\nFocus: <prompt>").
 */
export async function postTaskUpdate(ctx: SocialContext, task: Task): Promise<OnceResult> {
  if (task.status !== "approved") throw new OperatorActionError(`task ${task.id} is ${task.status}: only an approved task posts its update`)
  const rooms = (await roomIndex(ctx.workspace)).rooms
  const roomId = task.room && rooms.has(task.room) ? task.room : "town_hall"
  const focus = flat(task.prompt ?? task.command ?? task.title, 300)
  const head = `Task ${task.id} update: `
  const tail = `\nFocus: ${focus}`
  const summary = flat(task.result?.output || "(no output)", Math.max(40, LIMITS.message - head.length - tail.length))
  return postOnce(ctx.workspace, roomId, {
    id: `update-${task.id}`,
    author: task.targetIdentity ?? task.result?.worker ?? ctx.actor.name,
    content: roomText(head + summary + tail),
    importance: 3,
    at: ctx.now ?? Date.now(),
  })
}

/**
 * The deciding operator's feedback on an approved task, sent once as a DM to the task's
 * resident (id `feedback-<taskId>`). "skipped" when there is nothing to send or nobody to
 * send it between (no feedback, no resident, the operator is not a registered peer).
 */
export async function sendFeedbackDm(ctx: SocialContext, task: Task): Promise<OnceResult | "skipped"> {
  const operator = task.review?.decidedBy
  const feedback = task.review?.feedback?.trim()
  const resident = task.targetIdentity
  if (!operator || !feedback || !resident || operator === resident) return "skipped"
  if (ctx.workspace.root.peers[operator]?.role !== "operator" || !(await residents(ctx.workspace)).has(resident)) return "skipped"
  const dm = await createDm(ctx, operator, resident)
  return postOnce(ctx.workspace, dm.id, {
    id: `feedback-${task.id}`,
    author: operator,
    content: roomText(`Feedback on task ${task.id}: ${feedback}`),
    importance: 5,
    at: ctx.now ?? Date.now(),
  })
}

// ── quest documents (the lifecycle with its task and payouts is in questActions.ts) ──

export const Tokens = z.number().int().nonnegative().max(100_000)

export const NewQuestInput = z
  .object({
    title: z.string().trim().min(1, "a quest needs a title").max(LIMITS.title),
    objective: z.string().max(LIMITS.objective).default(""),
    identity: Id.optional(),
    budgetUsd: Usd,
    upfrontTip: Tokens.default(0),
    completionReward: Tokens.default(0),
  })
  .strict()
export type NewQuestInput = z.input<typeof NewQuestInput>

async function assertResident(ctx: SocialContext, id: string | undefined | null): Promise<void> {
  if (id) await residentOf(ctx.workspace, id)
}

/**
 * Writes a quest's own document, then lists it in the quest index. Only the document: it
 * enqueues no task and pays nothing (assignQuest in questActions.ts does both).
 */
export async function createQuest(ctx: SocialContext, input: NewQuestInput): Promise<QuestDoc & { url: string }> {
  const e = parse(NewQuestInput, input)
  await assertResident(ctx, e.identity)
  const now = ctx.now ?? Date.now()
  const quest = parse(QuestDoc, {
    schemaVersion: SCHEMA_VERSION,
    kind: "quest",
    id: newId("quest", now),
    title: e.title,
    objective: e.objective,
    ...(e.identity ? { identity: e.identity } : {}),
    budgetUsd: e.budgetUsd,
    upfrontTip: e.upfrontTip,
    completionReward: e.completionReward,
    state: "active",
    createdBy: ctx.actor.name,
    createdAt: now,
    updatedAt: now,
  })
  const index = await openDoc<QuestIndexDoc>(ctx.workspace, ctx.workspace.root.docs.quests)
  const handle = ctx.workspace.repo.create<QuestDoc>(quest)
  index.change(d => {
    d.quests[quest.id] = { id: quest.id, title: quest.title, url: handle.url, createdAt: now }
  })
  return { ...quest, url: handle.url }
}

/** Fields an operator may change on a quest (the objective is edited as collaborative text). */
export const QuestEdit = z
  .object({
    title: z.string().trim().min(1, "a quest needs a title").max(LIMITS.title),
    /** Accepted only unchanged: states move through pause/resume/cancel/approve (questActions.ts). */
    state: QuestState,
    identity: Id.nullable(),
    budgetUsd: Usd,
    upfrontTip: Tokens,
    completionReward: Tokens,
  })
  .partial()
  .strict()
export type QuestEdit = z.input<typeof QuestEdit>

export interface QuestRef {
  entry: z.infer<typeof QuestIndexEntry>
  index: DocHandle<QuestIndexDoc>
  handle: DocHandle<QuestDoc>
  /** The validated quest as it is now. */
  quest: QuestDoc
}

/** The quest `id` from the index, validated; a refusal when missing or unreadable. */
export async function questRef(workspace: Workspace, id: string): Promise<QuestRef> {
  const index = await openDoc<QuestIndexDoc>(workspace, workspace.root.docs.quests)
  const entry = readQuestIndex(index.doc(), `quests ${index.url}`, []).get(id)
  if (!entry) throw new OperatorActionError(`no quest ${id}`)
  const handle = await openDoc<QuestDoc>(workspace, entry.url)
  const quest = readQuest(handle.doc(), `quest ${handle.url}`, [])
  if (!quest) throw new OperatorActionError(`quest ${id} is unreadable (see the data issues); it cannot be changed here`)
  return { entry, index, handle, quest }
}

export async function updateQuest(ctx: SocialContext, id: string, edit: QuestEdit): Promise<void> {
  const e = parse(QuestEdit, edit)
  await assertResident(ctx, e.identity)
  const { index, handle, quest: current } = await questRef(ctx.workspace, id)
  if (e.state !== undefined && e.state !== current.state)
    throw new OperatorActionError(`quest ${id} is ${current.state}: a quest's state changes by pausing, resuming, cancelling or approving it, not by editing`)
  const now = ctx.now ?? Date.now()
  handle.change(d => {
    for (const key of ["title", "budgetUsd", "upfrontTip", "completionReward"] as const)
      if (e[key] !== undefined && e[key] !== current[key]) (d as Record<string, unknown>)[key] = e[key]
    if (e.identity === null) delete d.identity
    else if (e.identity !== undefined) d.identity = e.identity
    d.updatedAt = now
  })
  if (e.title !== undefined && e.title !== current.title)
    index.change(d => {
      const entry = d.quests[id]
      if (entry) entry.title = e.title!
    })
}

/**
 * Replaces the quest's objective by `text` as minimal splices (updateText diffs old and
 * new), so two operators typing at once merge character by character.
 */
export function editQuestObjective(handle: DocHandle<unknown>, text: string, now = Date.now()): void {
  if (text.length > LIMITS.objective) throw new OperatorActionError(`the objective is longer than ${LIMITS.objective} characters`)
  const doc = handle.doc() as Partial<QuestDoc> | undefined
  if (doc?.kind !== "quest" || typeof doc.objective !== "string") throw new OperatorActionError("this document has no objective text to edit")
  if (doc.objective === text) return
  handle.change(d => {
    const quest = d as QuestDoc
    updateText(quest, ["objective"], text)
    quest.updatedAt = now
  })
}

// ── the bounty list (submissions and payouts are in bountyActions.ts) ─────────

export const NewBountyInput = z
  .object({
    title: z.string().trim().min(1, "a bounty needs a title").max(LIMITS.title),
    description: z.string().trim().max(LIMITS.objective).default(""),
    reward: Tokens,
    slots: z.number().int().min(1).max(100).default(1),
  })
  .strict()
export type NewBountyInput = z.input<typeof NewBountyInput>

/**
 * Writes an open bounty without submissions (postBounty in bountyActions.ts also audits it).
 * Its `completions` map exists from the start: two operators completing it offline then write
 * into one map, where a map each created concurrently would keep only one of them.
 */
export async function createBounty(ctx: SocialContext, input: NewBountyInput): Promise<Bounty> {
  const e = parse(NewBountyInput, input)
  const now = ctx.now ?? Date.now()
  const bounty = parse(Bounty, { id: newId("bounty", now), ...e, state: "open", submissions: {}, completions: {}, createdBy: ctx.actor.name, createdAt: now })
  const handle = await openDoc<BountiesDoc>(ctx.workspace, ctx.workspace.root.docs.bounties)
  handle.change(d => {
    d.bounties[bounty.id] = bounty
  })
  return bounty
}
