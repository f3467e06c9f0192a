/** `vivarium mail list|send|reply`: the mailbox between residents and the humans, as in the panel. */
import { z } from "zod"
import type { MailMessage } from "../../schemas/index.ts"
import { answeredIds, isUnread, MailContent, noticeDecided, replyToMail, SendMailInput, sendMail } from "../../src/domain/mailbox/index.ts"
import { deliveredMail } from "../../src/workspace/fencedReaders.ts"
import { parseFlags, stringFlags, takeId } from "../args.ts"
import { withPeer } from "../connection.ts"
import { directory, type Directory } from "../directory.ts"
import { CliError } from "../errors.ts"
import { actAsOperator } from "../operatorAction.ts"
import { formatTime, oneLine, OUTPUT_FLAGS, OutputInput, print } from "../output.ts"

const LIST_FLAGS = { ...OUTPUT_FLAGS, unread: { type: "boolean", default: false } } as const
const ListInput = OutputInput.extend({ unread: z.boolean() })

interface ListedMail extends MailMessage {
  unread: boolean
}

/** Who wrote to whom, in names: `Ada Lovelace → you`, `Tester → Ada Lovelace`, `Tester → all residents`. */
function route(m: MailMessage, names: Directory): string {
  const resident = m.resident ? names.nameOf(m.resident) : undefined
  if (m.direction === "to_human") return `${resident ?? names.nameOf(m.by)} → humans`
  return `${names.nameOf(m.by)} → ${resident ?? "all residents"}`
}

async function list(argv: string[]): Promise<number> {
  const flags = parseFlags("mail list", argv, LIST_FLAGS, ListInput)
  const { mail, names } = await withPeer(flags, async peer => {
    const { messages } = await deliveredMail(peer.workspace)
    const answered = answeredIds(messages)
    const decided = noticeDecided(peer.workspace.tasks.entries)
    const mail: ListedMail[] = messages.map(m => ({ ...m, unread: isUnread(m, answered, decided) })).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
    return { mail: flags.unread ? mail.filter(m => m.unread) : mail, names: await directory(peer.workspace) }
  })
  print(flags, mail, list =>
    list.length
      ? list
          .map(m => `${formatTime(m.at)}  ${m.unread ? "UNREAD " : ""}${route(m, names)} (${m.type.replace(/_/g, " ")}): ${oneLine(m.content, 160)}\n    ${m.id}`)
          .join("\n")
      : flags.unread
        ? "no unread mail"
        : "the mailbox is empty",
  )
  return 0
}

const SEND_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("to", "content") }
/** The new-message form's fields, as flags (src/domain/mailbox/inputs.ts): --to a resident, or everyone. */
const SendInput = OutputInput.extend({ to: SendMailInput.shape.resident, content: MailContent.optional() })

async function send(argv: string[]): Promise<number> {
  const flags = parseFlags("mail send", argv, SEND_FLAGS, SendInput)
  if (flags.content === undefined) throw new CliError("mail send: --content TEXT is required")
  const content = flags.content
  const { outcome, to } = await actAsOperator(flags, async ctx => ({
    outcome: await sendMail(ctx, { content, ...(flags.to ? { resident: flags.to } : {}) }),
    to: flags.to ? (await directory(ctx.workspace)).nameOf(flags.to) : undefined,
  }))
  print(flags, outcome, o => (to ? `sent to ${to} (+${o.granted} tokens; task ${o.taskId} asks them to act on it)` : "posted to all residents (# human_async)"))
  return 0
}

const REPLY_FLAGS = { ...OUTPUT_FLAGS, ...stringFlags("content") }
const ReplyInput = OutputInput.extend({ content: MailContent.optional() })

async function reply(argv: string[]): Promise<number> {
  const [mailId, rest] = takeId("mail reply", argv, "mail")
  const flags = parseFlags("mail reply", rest, REPLY_FLAGS, ReplyInput)
  if (flags.content === undefined) throw new CliError("mail reply: --content TEXT is required")
  const content = flags.content
  const { outcome, to } = await actAsOperator(flags, async ctx => {
    const outcome = await replyToMail(ctx, mailId, content)
    return { outcome, to: (await directory(ctx.workspace)).nameOf(outcome.message.resident!) }
  })
  print(flags, outcome, o => `reply sent to ${to} (+${o.granted} tokens; follow-up task ${o.taskId})`)
  return 0
}

export const MAIL_SUBCOMMANDS = { list, send, reply }
