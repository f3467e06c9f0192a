/** Mailbox actions on a network-less, in-memory Repo. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Actor, MailboxDoc, RoomIndexDoc, Task, WalletsDoc } from "../../schemas/index.ts"
import { mailThreads, unreadCount } from "../../src/domain/mailbox/mailbox.ts"
import { OperatorActionError } from "../../src/workspace/actionContext.ts"
import { readMailbox } from "../../src/workspace/documentReaders.ts"
import { openMailbox, pendingApprovalNotice, replyToMail, residentMessage, sendMail } from "../../src/domain/mailbox/actions.ts"
import { grant, openWallets } from "../../src/domain/wallets/actions.ts"
import type { RecordSigner } from "../../src/core/signedRecords.ts"
import { NOW, socialFixture, type SocialFixture } from "../helpers/socialFixture.ts"
import { ledgerEntry } from "../helpers/ledgerDoc.ts"

const WORKER: Actor = { kind: "worker", name: "w1" }
let f: SocialFixture

beforeEach(async () => {
  f = await socialFixture()
  workerSigner = undefined
})
afterEach(async () => {
  await f.close()
})

const mail = async () => readMailbox((await openMailbox(f.ws)).doc(), "mailbox", [])
/** Gives a resident free-time tokens (a grant of `n` splits 70/30). */
async function fund(resident: string, n: number): Promise<void> {
  await grant(await openWallets(f.ws), { key: `test:${resident}:${n}`, identity: resident, amount: n, reason: "test", at: NOW - 1 }, f.ctx.audit.signer)
}
/** The worker "w1" that plays both residents (approved by alice). */
const worker = async () => (workerSigner ??= await f.worker(WORKER.name, ["ada", "bo"]))
let workerSigner: RecordSigner | undefined
const dms = async () => Object.values((await f.doc<RoomIndexDoc>(f.ws.root.docs.rooms)).doc().rooms).filter(r => r.kind === "dm")

describe("residentMessage", () => {
  it("writes to the human for 10 free-time tokens (mail-send:<id>)", async () => {
    await fund("ada", 100)
    const m = await residentMessage(f.ws, { resident: "ada", type: "question", content: " Can I paint the caves? " }, await worker(), NOW)
    expect(m).toMatchObject({ id: expect.stringMatching(/^mail-/), direction: "to_human", resident: "ada", type: "question", content: "Can I paint the caves?", by: "ada", at: NOW })
    expect((await mail()).get(m.id)).toEqual(m)
    const entry = ledgerEntry((await f.doc<WalletsDoc>(f.ws.root.docs.wallets)).doc(), `mail-send:${m.id}`)
    expect(entry).toMatchObject({ kind: "spend", bucket: "free_time", amount: 10, identity: "ada", by: WORKER })
    expect(await f.balance("ada")).toEqual({ freeTime: 60, journal: 30 })
  })

  it("refuses when the resident cannot pay, or for a type only humans and the relay write", async () => {
    await fund("bo", 10) // 7 free-time tokens
    const mailbox = await openMailbox(f.ws)
    const heads = mailbox.heads()
    await expect(residentMessage(f.ws, { resident: "bo", type: "idea", content: "hello" }, await worker())).rejects.toThrow(/^Bo cannot pay the 10 free-time tokens a message to you costs: bo has 7 free time tokens/)
    await expect(residentMessage(f.ws, { resident: "bo", type: "reply" as never, content: "x" }, await worker())).rejects.toBeInstanceOf(OperatorActionError)
    await expect(residentMessage(f.ws, { resident: "ghost", type: "idea", content: "x" }, await worker())).rejects.toThrow("no resident ghost")
    expect(mailbox.heads()).toEqual(heads)
  })
})

describe("replyToMail", () => {
  it("answers: mailbox reply, human_async post, DM, +12 tokens, follow-up task, audit", async () => {
    await fund("ada", 100)
    const question = await residentMessage(f.ws, { resident: "ada", type: "question", content: "Can I paint the caves?" }, await worker(), NOW)
    expect(unreadCount(mailThreads((await mail()).values()))).toBe(1)

    const out = await replyToMail(f.ctx, question.id, "Yes, in blue.")
    expect(out.message).toMatchObject({ direction: "from_human", resident: "ada", type: "reply", content: "Yes, in blue.", replyTo: question.id, by: "alice", at: NOW })
    expect(out.granted).toBe(12)
    expect(unreadCount(mailThreads((await mail()).values()))).toBe(0)
    expect((await f.roomMessages("human_async")).map(m => m.content)).toEqual(["[to Ada] Yes, in blue."])
    const [dm] = await dms()
    expect(dm).toMatchObject({ id: out.dmId, members: ["alice", "ada"] })
    expect((await f.roomMessages(out.dmId!)).map(m => [m.author, m.content])).toEqual([["alice", "Yes, in blue."]])
    expect(await f.ledgerKeys()).toContain(`mail-reply:${out.message.id}`)
    expect(f.ws.tasks.get(out.taskId!)).toMatchObject({ targetIdentity: "ada", minBudgetUsd: 0.03, maxBudgetUsd: 0.2, title: "Mailbox follow-up: Ada", status: "queued" })
    expect(f.ws.tasks.get(out.taskId!)!.prompt).toMatch(/^Human replied to my message\. Read their response and take one concrete next action/)
    expect(f.ws.tasks.get(out.taskId!)!.prompt).toContain("Human response: Yes, in blue.")
    expect(f.auditOf(f.ctx).map(e => [e.kind, e.subject])).toEqual([
      ["task_added", out.taskId],
      ["payout", out.message.id],
    ])

    // A second reply reuses the DM.
    const again = await replyToMail({ ...f.ctx, now: NOW + 1 }, question.id, "And green.")
    expect(again.dmId).toBe(out.dmId)
    expect(await dms()).toHaveLength(1)
  })

  it("refuses a missing message, an operator's message, a notice without resident, or an empty reply", async () => {
    const sent = await sendMail(f.ctx, { content: "hello all" })
    await pendingApprovalNotice(f.ws, { id: "task-1", title: "T" } as Task, NOW)
    const mailbox = await openMailbox(f.ws)
    const heads = mailbox.heads()
    await expect(replyToMail(f.ctx, "mail-nope", "x")).rejects.toThrow("no message mail-nope in the mailbox")
    await expect(replyToMail(f.ctx, sent.message.id, "x")).rejects.toMatchObject({ code: "reply_needs_resident_message" })
    await expect(replyToMail(f.ctx, "pending-task-1", "x")).rejects.toThrow("Message pending-task-1 was not written by a resident.")
    await expect(replyToMail(f.ctx, sent.message.id, "   ")).rejects.toThrow(/the message is empty/i)
    expect(mailbox.heads()).toEqual(heads)
  })
})

describe("sendMail", () => {
  it("to one resident: mailbox, human_async, DM, +8 tokens and an inbox task", async () => {
    const out = await sendMail(f.ctx, { resident: "bo", content: "Want a quest?" })
    expect(out.message).toMatchObject({ direction: "from_human", resident: "bo", type: "message", content: "Want a quest?" })
    expect(out.granted).toBe(8)
    expect(await f.ledgerKeys()).toEqual([`mail-dm:${out.message.id}`])
    expect(await f.balance("bo")).toEqual({ freeTime: 5, journal: 3 })
    expect((await f.roomMessages("human_async")).map(m => m.content)).toEqual(["[to Bo] Want a quest?"])
    expect((await f.roomMessages(out.dmId!)).map(m => m.content)).toEqual(["Want a quest?"])
    expect(f.ws.tasks.get(out.taskId!)).toMatchObject({ targetIdentity: "bo", minBudgetUsd: 0.03, maxBudgetUsd: 0.2 })
    expect(f.ws.tasks.get(out.taskId!)!.prompt).toMatch(/^I received a new direct message from the human operator/)
    expect(mailThreads((await mail()).values()).map(t => [t.key, t.unread])).toEqual([["bo", 0]])
  })

  it("to everyone: a broadcast with no tokens, DM or task", async () => {
    const out = await sendMail(f.ctx, { resident: " ", content: "Town meeting at noon" })
    expect(out).toEqual({ message: expect.objectContaining({ direction: "from_human", type: "message" }) })
    expect(out.message.resident).toBeUndefined()
    expect((await f.roomMessages("human_async")).map(m => m.content)).toEqual(["[to all residents] Town meeting at noon"])
    expect(await f.ledgerKeys()).toEqual([])
    expect(f.ws.tasks.entries.size).toBe(0)
    expect(mailThreads((await mail()).values()).map(t => t.key)).toEqual(["__broadcast__"])
    expect(f.auditOf(f.ctx).map(e => e.kind)).toEqual(["social"])
  })

  it("refuses an unknown resident, an over-long message, or an operator who is not a registered peer", async () => {
    await expect(sendMail(f.ctx, { resident: "ghost", content: "x" })).rejects.toThrow("no resident ghost")
    await expect(sendMail(f.ctx, { content: "x".repeat(1201) })).rejects.toThrow(/^Content: /)
    const stranger = { ...f.ctx, actor: { kind: "operator" as const, name: "mallory" } }
    await expect(sendMail(stranger, { resident: "ada", content: "x" })).rejects.toMatchObject({ code: "not_an_operator", message: "The operator mallory is not registered in this workspace, so it cannot write to residents." })
    expect(await f.ledgerKeys()).toEqual([])
  })
})

describe("pendingApprovalNotice", () => {
  it("writes pending-<taskId> once per task", async () => {
    const task = { id: "task-9", title: "Paint", targetIdentity: "ada" } as Task
    expect(await pendingApprovalNotice(f.ws, task, NOW)).toBe("written")
    expect(await pendingApprovalNotice(f.ws, task, NOW + 1)).toBe("exists")
    const messages = (await f.doc<MailboxDoc>(f.ws.root.docs.mailbox!)).doc().messages
    expect(Object.keys(messages)).toEqual(["pending-task-9"])
    expect(messages["pending-task-9"]).toMatchObject({ direction: "to_human", resident: "ada", type: "task_pending_approval", taskId: "task-9", by: "relay", at: NOW })
    expect(messages["pending-task-9"]!.content).toBe("“Paint” is waiting for your approval")
  })
})
