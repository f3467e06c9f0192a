/**
 * What an operator can write to the social documents today: residents, room messages,
 * DMs, quests and bounties. Framework-free (the PWA and tests call them alike). Each
 * function validates its input with the schemas first and throws OperatorActionError
 * with nothing written on refusal. The rules of rewards, wallets and judging come later.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { updateText } from "@automerge/automerge/slim"
import { z } from "zod"
import {
  Bounty,
  Id,
  Identity,
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
  type PeerRecord,
  type QuestIndexDoc,
  type RoomDoc,
  type RoomIndexDoc,
} from "../../schemas/index.ts"
import { newId } from "../core/ids.ts"
import { OperatorActionError, parseInput as parse, type OperatorContext } from "./operatorActions.ts"
import { readIdentities, readQuest, readQuestIndex, readRoomIndex, readRoomMessages } from "./documentReaders.ts"

/** Social writes are not audited (no audit kind exists for them yet). */
export type SocialContext = Omit<OperatorContext, "audit">

async function open<T>(ctx: SocialContext, url: string): Promise<DocHandle<T>> {
  return ctx.workspace.repo.find<T>(url as AutomergeUrl)
}

async function identities(ctx: SocialContext): Promise<ReadonlyMap<string, Identity>> {
  const handle = await open<IdentitiesDoc>(ctx, ctx.workspace.root.docs.identities)
  return readIdentities(handle.doc(), `identities ${handle.url}`, [])
}

async function roomIndex(ctx: SocialContext): Promise<{ handle: DocHandle<RoomIndexDoc>; rooms: ReadonlyMap<string, RoomEntry> }> {
  const handle = await open<RoomIndexDoc>(ctx, ctx.workspace.root.docs.rooms)
  return { handle, rooms: readRoomIndex(handle.doc(), `rooms ${handle.url}`, []) }
}

/** "a, b,, c" → ["a", "b", "c"]: how forms enter traits and values. */
export const listFromText = (text: string): string[] =>
  text
    .split(",")
    .map(s => s.trim())
    .filter(Boolean)

// ── residents ───────────────────────────────────────────────────────────────

const Words = z
  .array(z.string().trim().max(LIMITS.name))
  .max(20)
  .transform(list => [...new Set(list.filter(Boolean))])

export const NewIdentityInput = z
  .object({
    name: z.string().trim().min(1, "a resident needs a name").max(LIMITS.name),
    bio: z.string().trim().max(LIMITS.message).default(""),
    traits: Words.default([]),
    values: Words.default([]),
  })
  .strict()
export type NewIdentityInput = z.input<typeof NewIdentityInput>

/** "Ada Lovelace" → "ada-lovelace"; a name with no letters or digits gives "resident". */
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

/** Adds a resident; its id comes from the name, with "-2", "-3" … when taken. */
export async function createIdentity(ctx: SocialContext, input: NewIdentityInput): Promise<Identity> {
  const e = parse(NewIdentityInput, input)
  const taken = await identities(ctx)
  const base = slugOf(e.name)
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  const identity = parse(Identity, {
    id,
    name: e.name,
    createdAt: ctx.now ?? Date.now(),
    createdBy: ctx.actor.name,
    core: { traits: e.traits, values: e.values },
    mutable: {},
    profile: { bio: e.bio },
    continuity: { sessions: 0, tasksCompleted: 0, tasksFailed: 0, level: 0 },
  })
  const handle = await open<IdentitiesDoc>(ctx, ctx.workspace.root.docs.identities)
  handle.change(d => {
    d.identities[id] = identity
  })
  return identity
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

/** Appends a message by this operator (author = the operator's peer name) to a room or DM. */
export async function postMessage(ctx: SocialContext, roomId: string, input: NewMessageInput): Promise<Message> {
  const e = parse(NewMessageInput, input)
  const entry = (await roomIndex(ctx)).rooms.get(roomId)
  if (!entry) throw new OperatorActionError(`no room ${roomId}`)
  const handle = await open<RoomDoc>(ctx, entry.url)
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

/**
 * Opens a DM between two parties (residents, or a resident and an operator). An existing
 * DM between the same two is returned as is, so asking twice does not split the talk.
 */
export async function createDm(ctx: SocialContext, a: string, b: string): Promise<RoomEntry> {
  const [x, y] = parse(z.tuple([Id, Id]), [a, b])
  if (x === y) throw new OperatorActionError("a DM needs two different parties")
  const residents = await identities(ctx)
  const peers = ctx.workspace.root.peers
  const nameOf = (id: string) => residents.get(id)?.name ?? (peers[id]?.role === "operator" ? (peers[id].displayName ?? id) : undefined)
  const unknown = [x, y].filter(id => nameOf(id) === undefined)
  if (unknown.length) throw new OperatorActionError(`no resident or operator ${unknown.join(", ")}`)
  const index = await roomIndex(ctx)
  const existing = [...index.rooms.values()].find(r => r.kind === "dm" && r.members.includes(x) && r.members.includes(y))
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

/** The mailbox reads `human_async` and every DM one of whose parties is an operator. */
export function mailboxRooms(rooms: Iterable<RoomEntry>, peers: Readonly<Record<string, PeerRecord>>): RoomEntry[] {
  return [...rooms].filter(r => r.id === "human_async" || (r.kind === "dm" && r.members.some(m => peers[m]?.role === "operator")))
}

// ── quests ──────────────────────────────────────────────────────────────────

const Tokens = z.number().int().nonnegative().max(100_000)

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
  if (id && !(await identities(ctx)).has(id)) throw new OperatorActionError(`no resident ${id}`)
}

/** Creates the quest's own document, then lists it in the quest index. */
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
  const index = await open<QuestIndexDoc>(ctx, ctx.workspace.root.docs.quests)
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
    state: QuestState,
    identity: Id.nullable(),
    budgetUsd: Usd,
    upfrontTip: Tokens,
    completionReward: Tokens,
  })
  .partial()
  .strict()
export type QuestEdit = z.input<typeof QuestEdit>

async function questHandle(ctx: SocialContext, id: string): Promise<{ entry: z.infer<typeof QuestIndexEntry>; index: DocHandle<QuestIndexDoc>; handle: DocHandle<QuestDoc> }> {
  const index = await open<QuestIndexDoc>(ctx, ctx.workspace.root.docs.quests)
  const entry = readQuestIndex(index.doc(), `quests ${index.url}`, []).get(id)
  if (!entry) throw new OperatorActionError(`no quest ${id}`)
  return { entry, index, handle: await open<QuestDoc>(ctx, entry.url) }
}

export async function updateQuest(ctx: SocialContext, id: string, edit: QuestEdit): Promise<void> {
  const e = parse(QuestEdit, edit)
  await assertResident(ctx, e.identity)
  const { index, handle } = await questHandle(ctx, id)
  const current = readQuest(handle.doc(), `quest ${handle.url}`, [])
  if (!current) throw new OperatorActionError(`quest ${id} is unreadable (see the data issues); it cannot be edited here`)
  const now = ctx.now ?? Date.now()
  handle.change(d => {
    for (const key of ["title", "state", "budgetUsd", "upfrontTip", "completionReward"] as const)
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

// ── bounties ────────────────────────────────────────────────────────────────

export const NewBountyInput = z
  .object({
    title: z.string().trim().min(1, "a bounty needs a title").max(LIMITS.title),
    description: z.string().trim().max(LIMITS.objective).default(""),
    reward: Tokens,
    slots: z.number().int().min(1).max(100).default(1),
  })
  .strict()
export type NewBountyInput = z.input<typeof NewBountyInput>

export async function createBounty(ctx: SocialContext, input: NewBountyInput): Promise<Bounty> {
  const e = parse(NewBountyInput, input)
  const now = ctx.now ?? Date.now()
  const bounty = parse(Bounty, { id: newId("bounty", now), ...e, state: "open", submissions: {}, createdBy: ctx.actor.name, createdAt: now })
  const handle = await open<BountiesDoc>(ctx, ctx.workspace.root.docs.bounties)
  handle.change(d => {
    d.bounties[bounty.id] = bounty
  })
  return bounty
}
