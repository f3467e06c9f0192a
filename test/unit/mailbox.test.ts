/** Mailbox threads and unread counts (src/domain/mailbox/mailbox.ts). */
import { describe, expect, it } from "vitest"
import type { MailMessage } from "../../schemas/index.ts"
import { BROADCAST_THREAD, SYSTEM_THREAD, dedupeNotices, isUnread, answeredIds, mailThreads, pendingNoticeId, threadKey, unreadCount } from "../../src/domain/mailbox/mailbox.ts"

const inbound = (id: string, resident: string, at: number, extra: Partial<MailMessage> = {}): MailMessage => ({
  id,
  direction: "to_human",
  resident,
  type: "question",
  content: `question ${id}`,
  by: resident,
  at,
  ...extra,
})
const outbound = (id: string, resident: string | undefined, at: number, replyTo?: string): MailMessage => ({
  id,
  direction: "from_human",
  ...(resident ? { resident } : {}),
  type: replyTo ? "reply" : "message",
  content: `answer ${id}`,
  ...(replyTo ? { replyTo } : {}),
  by: "alice",
  at,
})
const notice = (id: string, taskId: string, at: number, resident?: string): MailMessage => ({
  id,
  direction: "to_human",
  ...(resident ? { resident } : {}),
  type: "task_pending_approval",
  content: `task ${taskId} waits`,
  taskId,
  by: "relay",
  at,
})

describe("threads", () => {
  it("one thread per resident (inbound and outbound), broadcasts under __broadcast__, newest first", () => {
    const threads = mailThreads([
      inbound("m1", "ada", 10),
      outbound("m2", "ada", 20, "m1"),
      inbound("m3", "bo", 15),
      outbound("m4", undefined, 30),
      inbound("m5", "ada", 25),
    ])
    expect(threads.map(t => t.key)).toEqual([BROADCAST_THREAD, "ada", "bo"])
    expect(threads[1]!.messages.map(m => m.id)).toEqual(["m5", "m2", "m1"])
    expect(threads.map(t => [t.key, t.unread, t.latestAt])).toEqual([
      [BROADCAST_THREAD, 0, 30],
      ["ada", 1, 25],
      ["bo", 1, 15],
    ])
  })

  it("unread = inbound without a from_human message replying to it", () => {
    const all = [inbound("m1", "ada", 1), inbound("m2", "ada", 2), outbound("r1", "ada", 3, "m1"), outbound("x", "ada", 4)]
    const answered = answeredIds(all)
    expect([...answered]).toEqual(["m1"])
    expect(all.map(m => isUnread(m, answered))).toEqual([false, true, false, false])
    expect(unreadCount(mailThreads(all))).toBe(1)
  })

  it("a pending-approval notice is one per task, and read once its task is decided", () => {
    const all = [notice(pendingNoticeId("t1"), "t1", 5, "ada"), notice("dup", "t1", 9, "ada"), notice(pendingNoticeId("t2"), "t2", 6)]
    expect(dedupeNotices(all).map(m => m.id)).toEqual(["pending-t1", "pending-t2"])
    const threads = mailThreads(all)
    expect(threads.map(t => [t.key, t.messages.length, t.unread])).toEqual([
      [SYSTEM_THREAD, 1, 1],
      ["ada", 1, 1],
    ])
    expect(unreadCount(mailThreads(all, id => id === "t1"))).toBe(1)
  })

  it("threadKey: the resident, else broadcast (outbound) or system (inbound)", () => {
    expect(threadKey({ direction: "to_human", resident: "ada" })).toBe("ada")
    expect(threadKey({ direction: "from_human" })).toBe(BROADCAST_THREAD)
    expect(threadKey({ direction: "to_human" })).toBe(SYSTEM_THREAD)
  })
})
