/** `vivarium room list|read|post`: the workspace's rooms and DMs, as in the panel's Rooms view. */
import { z } from "zod"
import { Id, type Message, type RoomEntry } from "../../schemas/index.ts"
import { createDm, NewMessageInput, postMessage, roomPage, rooms, setRoomTopic } from "../../src/domain/rooms/index.ts"
import { numberFlag, numberFlagOf, parseFlags, stringFlags, takeId } from "../args.ts"
import { withPeer } from "../connection.ts"
import { directory, type Directory } from "../directory.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, OUTPUT_FLAGS, OutputInput, print, printTable } from "../output.ts"

/** How people see a room: `#town_hall`, or a DM by its parties' names. */
function roomLabel(room: RoomEntry, names: Directory): string {
  return room.kind === "dm" ? `DM ${room.members.map(names.nameOf).join(" ↔ ")}` : `#${room.title}`
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("room list", argv, OUTPUT_FLAGS, OutputInput)
  const { all, names } = await withPeer(flags, async peer => ({
    all: [...(await rooms(peer.workspace)).values()].sort((a, b) => (a.kind === b.kind ? a.createdAt - b.createdAt : a.kind === "room" ? -1 : 1)),
    names: await directory(peer.workspace),
  }))
  printTable(flags, all, {
    header: `${"ID".padEnd(28)} ROOM`,
    row: r => `${r.id.padEnd(28)} ${roomLabel(r, names)}${r.topic ? ` — ${r.topic}` : ""}`,
    empty: "no rooms yet (the relay makes the first ones when it starts)",
  })
  return 0
}

const READ_FLAGS = { ...OUTPUT_FLAGS, limit: { type: "string", default: "20" } } as const
const LIMIT_RULE = "limit must be a whole number of messages from 1 to 10000"
const ReadInput = OutputInput.extend({ limit: numberFlag({ min: 1, max: 10_000, nan: LIMIT_RULE, int: LIMIT_RULE }) })

/** One message as a line of a chat: time, author, importance when it stands out, what it answers. */
function messageLine(m: Message, byId: ReadonlyMap<string, Message>, names: Directory): string {
  const replied = m.replyTo ? byId.get(m.replyTo) : undefined
  const reply = m.replyTo ? ` ↪ ${replied ? names.nameOf(replied.author) : "an earlier message"}` : ""
  const important = m.importance >= 7 ? ` (importance ${m.importance})` : ""
  return `${formatTime(m.at)}  ${names.nameOf(m.author)}${important}${reply}: ${m.content}`
}

async function read(argv: string[]): Promise<number> {
  const [id, rest] = takeId("room read", argv, "room")
  const flags = parseFlags("room read", rest, READ_FLAGS, ReadInput)
  const { room, page, names } = await withPeer(flags, async peer => {
    const page = await roomPage(peer.workspace, id, flags.limit)
    return { room: (await rooms(peer.workspace)).get(id)!, page, names: await directory(peer.workspace) }
  })
  const { messages } = page
  const shown = messages.slice(-flags.limit)
  print(flags, shown, list => {
    const byId = new Map(messages.map(m => [m.id, m]))
    // Older periods stay unread when the newest ones fill the page: no total then.
    const count = page.complete ? `${messages.length} message${messages.length === 1 ? "" : "s"}` : "more messages in earlier periods"
    const head = `${roomLabel(room, names)}: ${count}${messages.length > list.length || !page.complete ? `, the last ${list.length}` : ""}`
    return [head, ...list.map(m => messageLine(m, byId, names))].join("\n")
  })
  return 0
}

const POST_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("dm", "content", "importance", "reply-to") }
/** The composer's fields, as flags (src/domain/rooms/inputs.ts); --dm names the other party of a DM with you. */
const PostInput = OutputInput.extend({
  dm: Id.optional(),
  content: NewMessageInput.shape.content.optional(),
  importance: numberFlagOf(NewMessageInput.shape.importance.unwrap()).optional(),
  "reply-to": NewMessageInput.shape.replyTo,
})

async function post(argv: string[]): Promise<number> {
  const named = argv[0] !== undefined && !argv[0].startsWith("-")
  const [roomId, rest] = named ? takeId("room post", argv, "room") : [undefined, argv]
  const flags = parseFlags("room post", rest, POST_FLAGS, PostInput)
  if (!roomId === !flags.dm) throw new CliError("room post: name a ROOM_ID or give --dm RESIDENT (a DM between you and them), not both")
  if (flags.content === undefined) throw new CliError("room post: --content TEXT is required")
  const input = { content: flags.content, ...(flags.importance !== undefined ? { importance: flags.importance } : {}), ...(flags["reply-to"] ? { replyTo: flags["reply-to"] } : {}) }
  const { message, label } = await actAsOperator(flags, async ctx => {
    const target = flags.dm ? (await createDm(ctx, ctx.actor.name, flags.dm)).id : roomId!
    const message = await postMessage(ctx, target, input)
    return { message, label: roomLabel((await rooms(ctx.workspace)).get(target)!, await directory(ctx.workspace)) }
  })
  print(flags, message, () => `posted to ${label}`)
  return 0
}

const TopicInput = OutputInput.extend({ text: z.string({ error: "--text is required (an empty text clears the topic)" }) })

/** Sets what a room is for; an empty --text clears it. */
async function topic(argv: string[]): Promise<number> {
  const [id, rest] = takeId("room topic", argv, "room")
  const flags = parseFlags("room topic", rest, { ...OUTPUT_FLAGS, ...stringFlags("text") }, TopicInput)
  await actAsOperator(flags, ctx => setRoomTopic(ctx, id, flags.text))
  print(flags, { id, topic: flags.text.trim() }, t => (t.topic ? `room ${id}'s topic: ${t.topic}` : `room ${id}'s topic cleared`))
  return 0
}

export const ROOM_SUBCOMMANDS = { list, read, post, topic }
