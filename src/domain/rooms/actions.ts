/**
 * Rooms and DMs: messages by operators, DMs between two parties, and the relay's automatic
 * posts (a task's update, an operator's feedback), each written once. Framework-free (the
 * PWA, workers and tests call them alike). Each function validates its input first and
 * throws OperatorActionError with nothing written on refusal.
 */
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { LIMITS, Message, RoomEntry, SCHEMA_VERSION, type RoomDoc, type RoomIndexDoc, type Task } from "../../../schemas/index.ts"
import { newId } from "../../core/ids.ts"
import { OperatorActionError, openDoc, parseInput as parse, type OperatorContext, type SocialContext } from "../../workspace/actionContext.ts"
import { readRoomIndex, readRoomMessages } from "../../workspace/documentReaders.ts"
import type { Workspace } from "../../workspace/workspace.ts"
import { displayNameOf } from "../peers/names.ts"
import { residents } from "../residents/actions.ts"
import { artifactsLine, taskArtifactIds } from "../artifacts/index.ts"
import { ANNOUNCEMENT_PREFIX, DmParties, NewMessageInput, RoomTopic, TYPED_MESSAGE_PREFIX } from "./inputs.ts"
import { partyName } from "./parties.ts"
import { mergeSegments, roomSegments, segmentsDue, writeSegment, type Segment } from "./segments.ts"

async function roomIndex(workspace: Workspace): Promise<{ handle: DocHandle<RoomIndexDoc>; rooms: ReadonlyMap<string, RoomEntry> }> {
  const handle = await openDoc<RoomIndexDoc>(workspace, workspace.root.docs.rooms)
  return { handle, rooms: readRoomIndex(handle.doc(), `rooms ${handle.url}`, []) }
}

/** Every readable room and DM of the workspace, by id. */
export async function rooms(workspace: Workspace): Promise<ReadonlyMap<string, RoomEntry>> {
  return (await roomIndex(workspace)).rooms
}

async function roomEntry(workspace: Workspace, roomId: string): Promise<RoomEntry> {
  const entry = (await roomIndex(workspace)).rooms.get(roomId)
  if (!entry) throw new OperatorActionError("not_found", { thing: "room", id: roomId })
  return entry
}

async function segmentMessages(workspace: Workspace, segment: Segment): Promise<Message[]> {
  const handle = await openDoc<RoomDoc>(workspace, segment.url)
  return readRoomMessages(handle.doc(), `room ${handle.url}`, [])
}

export interface RoomPage {
  /** Oldest first: every message of the segments read. */
  messages: Message[]
  /** Whether every segment of the room was read (no older history left). */
  complete: boolean
}

/**
 * The newest messages of a room or DM: its segments read newest first until they hold at
 * least `newest` messages (every segment when absent). A refusal naming a room that does
 * not exist.
 */
export async function roomPage(workspace: Workspace, roomId: string, newest = Infinity): Promise<RoomPage> {
  const segments = roomSegments(await roomEntry(workspace, roomId))
  const lists: Message[][] = []
  let count = 0
  for (const segment of segments) {
    if (count >= newest) break
    const list = await segmentMessages(workspace, segment)
    lists.push(list)
    count += list.length
  }
  return { messages: mergeSegments(lists), complete: lists.length === segments.length }
}

/** Every valid message of a room or DM, oldest first, across all its segments. */
export async function roomMessages(workspace: Workspace, roomId: string): Promise<Message[]> {
  return (await roomPage(workspace, roomId)).messages
}

/** Whether the room holds message `id`: its segments read newest first until found. */
async function hasMessage(workspace: Workspace, segments: readonly Segment[], id: string): Promise<boolean> {
  for (const segment of segments) if ((await segmentMessages(workspace, segment)).some(m => m.id === id)) return true
  return false
}

/**
 * Appends a message by this operator (author = the operator's peer name) to a room or DM.
 * Messages are a list: two peers posting offline both keep their message, and the merge
 * puts them in the same order on every peer.
 */
export function postMessage(ctx: SocialContext, roomId: string, input: NewMessageInput): Promise<Message> {
  return appendMessage(ctx, roomId, input, TYPED_MESSAGE_PREFIX)
}

/**
 * The room copy of something an operator's action did (a mail sent, a quest assigned), as
 * that operator: it tells the room and asks no resident for an answer (the action has its
 * own task), which its id prefix says.
 */
export function announce(ctx: SocialContext, roomId: string, content: string): Promise<Message> {
  return appendMessage(ctx, roomId, { content: roomText(content) }, ANNOUNCEMENT_PREFIX)
}

async function appendMessage(ctx: SocialContext, roomId: string, input: NewMessageInput, prefix: string): Promise<Message> {
  const e = parse(NewMessageInput, input)
  const segments = roomSegments(await roomEntry(ctx.workspace, roomId))
  if (e.replyTo !== undefined && !(await hasMessage(ctx.workspace, segments, e.replyTo)))
    throw new OperatorActionError("not_found", { thing: "message", id: e.replyTo, where: roomId })
  const now = ctx.now ?? Date.now()
  const message = parse(Message, {
    id: newId(prefix, now),
    author: ctx.actor.name,
    content: e.content,
    importance: e.importance,
    ...(e.replyTo !== undefined ? { replyTo: e.replyTo } : {}),
    at: now,
  })
  const handle = await openDoc<RoomDoc>(ctx.workspace, writeSegment(segments, now).url)
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

/** Sets what a room is for (an empty topic clears it); the operator's audit log records it. */
export async function setRoomTopic(ctx: OperatorContext, roomId: string, topic: string): Promise<void> {
  const text = parse(RoomTopic, topic)
  const { handle, rooms } = await roomIndex(ctx.workspace)
  if (!rooms.get(roomId)) throw new OperatorActionError("not_found", { thing: "room", id: roomId })
  handle.change(d => {
    const entry = d.rooms[roomId]!
    if (text) entry.topic = text
    else delete entry.topic
  })
  await ctx.audit.append("social", roomId, { action: "room_topic", topic: text })
}

/**
 * Opens a DM between two parties (residents, or a resident and an operator). An existing
 * DM between the same two is returned as is, so asking twice does not split the talk.
 */
export async function createDm(ctx: SocialContext, a: string, b: string): Promise<RoomEntry> {
  const [x, y] = parse(DmParties, [a, b])
  const people = await residents(ctx.workspace)
  const nameOf = (id: string) => partyName(id, people, ctx.workspace.root.peers)
  const unknown = [x, y].filter(id => nameOf(id) === undefined)
  if (unknown.length) throw new OperatorActionError("not_found", { thing: "resident or operator", id: unknown.join(", ") })
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

/**
 * The relay's own room for something that needs one (a dispute), listed under a fixed `id` so
 * a second pass (or a restart) adds nothing: false when the room is listed already.
 */
export async function openRelayRoom(workspace: Workspace, room: { id: string; title: string; topic: string }, now: number): Promise<boolean> {
  const index = await roomIndex(workspace)
  if (index.rooms.has(room.id)) return false
  const fields = parse(RoomEntry.omit({ url: true }), { id: room.id, kind: "room", title: room.title.slice(0, LIMITS.name), members: [], createdAt: now, topic: room.topic.slice(0, LIMITS.reason) })
  const doc = workspace.repo.create<RoomDoc>({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId: room.id, messages: [] })
  index.handle.change(d => {
    d.rooms[room.id] ??= { ...fields, url: doc.url }
  })
  return true
}

export type OnceResult = "written" | "exists"

/**
 * Appends `message` unless the room already holds a message with its id: for the relay's
 * automatic posts, whose fixed ids make a restart or a second pass post nothing twice.
 * Only the segment written to and the one before it are searched (a pass that comes back
 * later still shows the message once: readers keep each id once).
 */
export async function postOnce(workspace: Workspace, roomId: string, message: Message): Promise<OnceResult> {
  const segments = roomSegments(await roomEntry(workspace, roomId))
  const valid = parse(Message, message)
  const target = writeSegment(segments, valid.at)
  const previous = segments[segments.indexOf(target) + 1]
  if (previous && (await hasMessage(workspace, [previous], valid.id))) return "exists"
  const handle = await openDoc<RoomDoc>(workspace, target.url)
  let result: OnceResult = "exists"
  handle.change(d => {
    if (d.messages.some(m => m.id === valid.id)) return
    d.messages.push(valid)
    result = "written"
  })
  return result
}

/** Where a task's page is in the control panel (room posts link it; the panel makes it a link). */
const taskPath = (taskId: string): string => `/tasks/${taskId}`

/**
 * A resident's answer to a room message (a task linked to the message, in the message's
 * room): its approved output, posted once as the resident (id `reply-<taskId>`) in reply.
 */
function residentReply(task: Task, rooms: ReadonlyMap<string, RoomEntry>, now: number): Message | undefined {
  const output = task.result?.output.trim()
  if (task.link?.kind !== "message" || !task.targetIdentity || !task.room || !rooms.has(task.room) || !output) return undefined
  return { id: `reply-${task.id}`, author: task.targetIdentity, content: roomText(output), importance: 3, replyTo: task.link.id, at: now }
}

/**
 * The summary of an approved task, posted once to its room (id `update-<taskId>`, town_hall
 * when its room is unknown) by its resident, or its worker when it had none: one sentence
 * with the title and a link to the task, and links to its artifacts (the report and files its
 * runs kept: src/domain/artifacts). The output itself stays on the task (its result,
 * and live output while it ran); a room is no place for raw command output. A resident's
 * answer to a room message is the exception: the answer itself is posted (residentReply).
 */
export async function postTaskUpdate(ctx: SocialContext, task: Task): Promise<OnceResult> {
  if (task.status !== "approved") throw new OperatorActionError("task_not_approved", { id: task.id, status: task.status })
  const rooms = (await roomIndex(ctx.workspace)).rooms
  const reply = residentReply(task, rooms, ctx.now ?? Date.now())
  if (reply) return postOnce(ctx.workspace, task.room!, reply)
  const roomId = task.room && rooms.has(task.room) ? task.room : "town_hall"
  const title = task.title.replace(/\s+/g, " ").trim()
  const head = `Approved: “${title}” — ${taskPath(task.id)}`
  const artifacts = artifactsLine(await taskArtifactIds(ctx.workspace, task.id), LIMITS.message - head.length - 3)
  return postOnce(ctx.workspace, roomId, {
    id: `update-${task.id}`,
    author: task.targetIdentity ?? task.result?.worker ?? ctx.actor.name,
    content: roomText(artifacts ? `${head} · ${artifacts}` : head),
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

/**
 * The relay's part in segments (it alone lists them): adds each room's due segments
 * (segments.ts: the current period, and the next one near the current one's end) as new
 * room documents, listed newest first. Returns how many it added.
 */
export async function addDueSegments(workspace: Workspace, now: number): Promise<number> {
  const index = await roomIndex(workspace)
  let added = 0
  for (const entry of index.rooms.values()) {
    const due = segmentsDue(entry, now)
    if (!due.length) continue
    const made = due.map(period => ({ period, url: workspace.repo.create<RoomDoc>({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId: entry.id, period, messages: [] }).url }))
    index.handle.change(d => {
      const room = d.rooms[entry.id]!
      room.segments ??= []
      for (const segment of made) room.segments.unshift(segment)
    })
    added += made.length
  }
  return added
}
