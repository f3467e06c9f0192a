/**
 * The mailbox between residents and humans (reference §6.3). A human's reply or new
 * message is also posted to human_async and DMed to the resident, grants tokens
 * (+12 / +8, once per message by its ledger key) and enqueues a task for the resident to
 * act on it. A resident writing to the human spends tokens. Thread and unread rules are
 * in src/domain/mailbox/mailbox.ts.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo/slim"
import { z } from "zod"
import { LIMITS, MailMessage, type Actor, type MailboxDoc, type RunRef, type Task } from "../../../schemas/index.ts"
import { MESSAGE_TO_HUMAN } from "../residents/wakeUp.ts"
import { readMailbox } from "../../workspace/documentReaders.ts"
import { MAIL_DM_GRANT, MAIL_REPLY_GRANT, MAIL_SEND_COST, ledgerKeys } from "../wallets/economy.ts"
import { newId } from "../../core/ids.ts"
import type { RecordSigner } from "../../core/signedRecords.ts"
import { MAIL_TASK_BUDGET, RESIDENT_MAIL_TYPES, pendingNoticeId } from "./mailbox.ts"
import { MailContent, SendMailInput } from "./inputs.ts"
import { OperatorActionError, parseInput, type OperatorContext } from "../../workspace/actionContext.ts"
import { addTask } from "../tasks/actions.ts"
import { announce, createDm, roomText } from "../rooms/actions.ts"
import { residentOf } from "../residents/actions.ts"
import { LedgerWriteError, grant, openWallets, spend, type WriteResult } from "../wallets/actions.ts"
import type { Workspace } from "../../workspace/workspace.ts"

export async function openMailbox(workspace: Workspace): Promise<DocHandle<MailboxDoc>> {
  const url = workspace.root.docs.mailbox
  if (!url) throw new OperatorActionError("mailbox_missing")
  return workspace.repo.find<MailboxDoc>(url as AutomergeUrl)
}

function writeMail(handle: DocHandle<MailboxDoc>, message: MailMessage): void {
  const valid = parseInput(MailMessage, message)
  handle.change(d => {
    d.messages[valid.id] = valid
  })
}

/** Only a registered operator can have a DM with a resident (createDm checks the parties). */
function assertOperatorPeer(ctx: OperatorContext): void {
  if (ctx.workspace.root.peers[ctx.actor.name]?.role !== "operator")
    throw new OperatorActionError("not_an_operator", { name: ctx.actor.name })
}

/** The task that asks a resident to act on what a human wrote to it (`mailId`); its approved answer comes back as mail (answerMail). */
function enqueueMailTask(ctx: OperatorContext, resident: string, mailId: string, title: string, prompt: string): Promise<Task> {
  return addTask(ctx, { title, prompt, ...MAIL_TASK_BUDGET, targetIdentity: resident, room: "human_async", link: { kind: "mail", id: mailId } })
}

export interface MailOutcome {
  message: MailMessage
  /** The DM the message was also sent to, and the task enqueued for the resident (absent for a broadcast). */
  dmId?: string
  taskId?: string
  granted?: number
}

/**
 * An operator answers a resident's message: the reply goes to the mailbox (it marks the
 * message read), to human_async as `[to <name>] <reply>` and to the resident's DM; the
 * resident gets +12 tokens and a follow-up task.
 */
export async function replyToMail(ctx: OperatorContext, mailId: string, content: string): Promise<MailOutcome> {
  const text = parseInput(MailContent, content)
  const mailbox = await openMailbox(ctx.workspace)
  const original = readMailbox(mailbox.doc(), `mailbox ${mailbox.url}`, []).get(mailId)
  if (!original) throw new OperatorActionError("not_found", { thing: "message", id: mailId, where: "the mailbox" })
  if (original.direction !== "to_human" || !original.resident) throw new OperatorActionError("reply_needs_resident_message", { id: mailId })
  const resident = await residentOf(ctx.workspace, original.resident)
  assertOperatorPeer(ctx)
  const now = ctx.now ?? Date.now()
  const reply: MailMessage = { id: newId("mail", now), direction: "from_human", resident: resident.id, type: "reply", content: text, replyTo: mailId, by: ctx.actor.name, at: now }
  writeMail(mailbox, reply)
  await announce(ctx, "human_async", `[to ${resident.name}] ${text}`)
  const dm = await createDm(ctx, ctx.actor.name, resident.id)
  await announce(ctx, dm.id, text)
  const key = ledgerKeys.mailReply(reply.id)
  await grant(await openWallets(ctx.workspace), { key, identity: resident.id, amount: MAIL_REPLY_GRANT, reason: `human replied to message ${mailId}`, at: now }, ctx.audit.signer)
  const task = await enqueueMailTask(
    ctx,
    resident.id,
    reply.id,
    `Mailbox follow-up: ${resident.name}`,
    `Human replied to my message. Read their response and take one concrete next action (answer in human_async or our DM, or do what they asked).\n\nMy message: ${original.content}\n\nHuman response: ${text}`,
  )
  await ctx.audit.append("payout", reply.id, { mail: "reply", replyTo: mailId, resident: resident.id, key, amount: MAIL_REPLY_GRANT, task: task.id })
  return { message: reply, dmId: dm.id, taskId: task.id, granted: MAIL_REPLY_GRANT }
}

/**
 * An operator writes a new message: to one resident (also DMed, +8 tokens, a task to act
 * on it) or, without a resident, to all of them (posted, nothing granted).
 */
export async function sendMail(ctx: OperatorContext, input: SendMailInput): Promise<MailOutcome> {
  const e = parseInput(SendMailInput, input)
  const resident = e.resident ? await residentOf(ctx.workspace, e.resident) : undefined
  if (resident) assertOperatorPeer(ctx)
  const mailbox = await openMailbox(ctx.workspace)
  const now = ctx.now ?? Date.now()
  const message: MailMessage = {
    id: newId("mail", now),
    direction: "from_human",
    ...(resident ? { resident: resident.id } : {}),
    type: "message",
    content: e.content,
    by: ctx.actor.name,
    at: now,
  }
  writeMail(mailbox, message)
  await announce(ctx, "human_async", `[to ${resident?.name ?? "all residents"}] ${e.content}`)
  if (!resident) {
    await ctx.audit.append("social", message.id, { mail: "broadcast" })
    return { message }
  }
  const dm = await createDm(ctx, ctx.actor.name, resident.id)
  await announce(ctx, dm.id, e.content)
  const key = ledgerKeys.mailDm(message.id)
  await grant(await openWallets(ctx.workspace), { key, identity: resident.id, amount: MAIL_DM_GRANT, reason: `direct message from ${ctx.actor.name}`, at: now }, ctx.audit.signer)
  const task = await enqueueMailTask(
    ctx,
    resident.id,
    message.id,
    `Mailbox message for ${resident.name}`,
    `I received a new direct message from the human operator. Read it and take the best immediate next action.\n\nHuman message: ${e.content}`,
  )
  await ctx.audit.append("payout", message.id, { mail: "direct", resident: resident.id, key, amount: MAIL_DM_GRANT, task: task.id })
  return { message, dmId: dm.id, taskId: task.id, granted: MAIL_DM_GRANT }
}

export const ResidentMailInput = z
  .object({
    resident: z.string().min(1).max(120),
    type: z.enum(RESIDENT_MAIL_TYPES),
    content: MailContent,
    taskId: z.string().min(1).max(120).optional(),
  })
  .strict()
export type ResidentMailInput = z.input<typeof ResidentMailInput>

/**
 * A resident writes to the human (workers call this for the resident they play). It costs
 * 10 free-time tokens, refused when this peer's view of the wallet cannot pay.
 */
export async function residentMessage(workspace: Workspace, input: ResidentMailInput, signer: RecordSigner, now = Date.now(), run?: RunRef): Promise<MailMessage> {
  const e = parseInput(ResidentMailInput, input)
  const resident = await residentOf(workspace, e.resident)
  const mailbox = await openMailbox(workspace)
  const message = parseInput(MailMessage, {
    id: newId("mail", now),
    direction: "to_human",
    resident: resident.id,
    type: e.type,
    content: e.content,
    ...(e.taskId ? { taskId: e.taskId } : {}),
    by: resident.id,
    at: now,
    ...(run ? { run } : {}),
  })
  try {
    await spend(
      workspace,
      await openWallets(workspace),
      {
        key: ledgerKeys.mailSend(message.id),
        identity: resident.id,
        amount: MAIL_SEND_COST,
        bucket: "free_time",
        reason: "message to the human",
        at: now,
        ...(run ? { run } : {}),
      },
      signer,
    )
  } catch (error) {
    if (error instanceof LedgerWriteError) throw new OperatorActionError("resident_cannot_pay", { name: resident.name, cost: MAIL_SEND_COST, why: error.message })
    throw error
  }
  writeMail(mailbox, message)
  return message
}

/** The id of a resident's answer to a human's mail, delivered once per task. */
export const mailAnswerId = (taskId: string) => `answer-${taskId}`

/**
 * The approved answer of a mail task, delivered to the mailbox as the resident's reply to the
 * human's message, once (id `answer-<task>`) and paid from its wallet like any message it
 * writes (the relay signs the spend). What its run already sent ("MESSAGE TO HUMAN" lines)
 * is not sent twice. "unpaid" when the resident cannot pay: nothing is written.
 */
export async function answerMail(workspace: Workspace, task: Task, signer: RecordSigner, now = Date.now()): Promise<WriteResult | "skipped" | "unpaid"> {
  const content = task.result?.output
    .split("\n")
    .filter(line => !line.includes(MESSAGE_TO_HUMAN))
    .join("\n")
    .trim()
  if (task.status !== "approved" || task.link?.kind !== "mail" || !task.targetIdentity || !content) return "skipped"
  const mailbox = await openMailbox(workspace)
  const id = mailAnswerId(task.id)
  if (Object.prototype.hasOwnProperty.call(mailbox.doc().messages, id)) return "exists"
  const message = parseInput(MailMessage, { id, direction: "to_human", resident: task.targetIdentity, type: "reply", content: content.slice(0, LIMITS.message), replyTo: task.link.id, taskId: task.id, by: task.targetIdentity, at: now })
  try {
    await spend(workspace, await openWallets(workspace), { key: ledgerKeys.mailSend(id), identity: task.targetIdentity, amount: MAIL_SEND_COST, bucket: "free_time", reason: `answer to message ${task.link.id}`, at: now }, signer)
  } catch (error) {
    if (error instanceof LedgerWriteError) return "unpaid"
    throw error
  }
  writeMail(mailbox, message)
  return "written"
}

/**
 * Tells the humans a task waits for their approval: one notice per task (id
 * `pending-<taskId>`), so the relay may call this on every pass.
 */
export async function pendingApprovalNotice(workspace: Workspace, task: Task, now = Date.now()): Promise<WriteResult> {
  const mailbox = await openMailbox(workspace)
  const id = pendingNoticeId(task.id)
  if (Object.prototype.hasOwnProperty.call(mailbox.doc().messages, id)) return "exists"
  const notice = parseInput(MailMessage, {
    id,
    direction: "to_human",
    ...(task.targetIdentity ? { resident: task.targetIdentity } : {}),
    type: "task_pending_approval",
    // The title, not the id: the notice links to the task (taskId) for whoever wants the id.
    content: roomText(`“${task.title}” is waiting for your approval`),
    taskId: task.id,
    by: "relay",
    at: now,
  })
  let result: WriteResult = "exists"
  mailbox.change(d => {
    if (d.messages[id]) return
    d.messages[id] = notice
    result = "written"
  })
  return result
}
