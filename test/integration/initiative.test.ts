/**
 * Residents act on what they read, over a real relay and WebSockets, with a worker playing
 * the resident through the real groq-sdk against the fake Groq server: a person's message
 * naming the resident, and one in a DM with it, each become a task of the resident's own,
 * paid from its wallet; the answer, once approved, is posted in the room as the resident in
 * reply; automatic posts, mail copies and other messages start nothing. An open bounty that
 * matches its traits is taken up and answered; the hourly limit holds; a resident nobody
 * with a model plays takes nothing up.
 */
import { describe, expect, it } from "vitest"
import type { Task } from "../../schemas/index.ts"
import { postBounty, readFencedBounties } from "../../src/domain/bounties/actions.ts"
import { mailAnswerId, openMailbox, sendMail } from "../../src/domain/mailbox/actions.ts"
import { assignQuest } from "../../src/domain/quests/actions.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { INITIATIVE, initiativeTaskId } from "../../src/domain/residents/initiative.ts"
import { createDm, postMessage, roomMessages } from "../../src/domain/rooms/actions.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { ledgerKeys, MAIL_SEND_COST, openWallets, walletOf } from "../../src/domain/wallets/index.ts"
import { Initiative, initiativeKey } from "../../peer-server/initiative.ts"
import { startFakeGroq } from "../helpers/fakeGroq.ts"
import { ledgerEntry } from "../helpers/ledgerDoc.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay, until, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { approveWorker, startWorker } from "../helpers/workers.ts"

const teardown = useTeardown()
const ANSWER = "The west cave is dry; I marked it on the shared map."

async function residentPlayed(opts: { initiativeTickMs: number }, workerOpts: { minAcceptScore?: number } = {}) {
  const fake = await startFakeGroq({ kind: "answer", text: () => ANSWER })
  teardown.add(() => fake.close())
  const relay = await startTestRelay(teardown, { schedulerTickMs: 50, economyTickMs: 100, ...opts })
  const op = await connectTestPeer(teardown, relay)
  const ctx = await peerOperator(op)
  const ada = await forgeIdentity(ctx, { name: "Ada Quill", statement: "I map caves and answer questions about them.", traits: ["curious", "cartography"] })
  await op.flushToRelay()
  const worker = await startWorker(teardown, relay, "w1", { fake, identities: [ada.id], ...workerOpts })
  await approveWorker(relay, worker.name)
  // Her daily allowance pays for what she takes up.
  await waitFor(async () => (await walletOf(relay.workspace, await openWallets(relay.workspace), ada.id)).freeTime >= INITIATIVE.cost * 10, {
    intervalMs: 50,
    timeoutMs: 15_000,
    message: "Ada's allowance",
  })
  return { fake, relay, op, ctx, ada, worker }
}

const taskAt = (relay: TestRelay, id: string) => relay.workspace.tasks.get(id)
const fakeCalls = (relay: TestRelay, id: string) => taskAt(relay, id)?.calls?.length ?? 0
/** The task once its run is judged: approved by the critic, or waiting for a person. */
const judged = (relay: TestRelay, id: string) =>
  waitFor(() => { const t = taskAt(relay, id); return t && (t.status === "approved" || t.status === "pending_review") ? t : false }, {
    events: [[relay.workspace.tasks, "change"]],
    timeoutMs: 30_000,
    message: `task ${id} to be judged`,
  })

describe("residents act on what they read", () => {
  it("a message naming the resident and one in its DM become its own tasks, paid from its wallet; the approved answer is posted as the resident, in reply", async () => {
    const { relay, ctx, ada } = await residentPlayed({ initiativeTickMs: 100 })
    const asked = await postMessage(ctx, "town_hall", { content: "Ada Quill, what did you find in the west cave?" })
    const idle = await postMessage(ctx, "town_hall", { content: "Lunch is at noon today." })
    const dm = await createDm(ctx, ctx.actor.name, ada.id)
    const direct = await postMessage(ctx, dm.id, { content: "Are you free tomorrow morning?" })
    // Mail and quests have their tasks already: their copies in human_async and the DM start nothing more.
    const mailed = await sendMail(ctx, { resident: ada.id, content: "Please write down the cave depths." })
    const quest = await assignQuest(ctx, { identity: ada.id, title: "Survey the north caves", objective: "Ada Quill, list every passage." })

    const own = [asked, direct].map(m => initiativeTaskId(ada.id, { kind: "message", id: m.id }))
    for (const id of own) {
      const done: Task = await judged(relay, id)
      expect(done).toMatchObject({ targetIdentity: ada.id, createdBy: "relay", link: { kind: "message" } })
      if (done.status === "pending_review") await decideTask(ctx, id, "approve")
      await until(relay, id, "approved", 15_000)
    }
    expect(taskAt(relay, own[0]!)!.room).toBe("town_hall")
    expect(taskAt(relay, own[1]!)!.room).toBe(dm.id)
    expect(taskAt(relay, own[0]!)!.prompt).toContain("what did you find in the west cave?")

    // Each answer is posted once, as Ada, in reply to the message it answers.
    for (const [roomId, message, id] of [["town_hall", asked, own[0]!], [dm.id, direct, own[1]!]] as const) {
      const reply = await waitFor(async () => (await roomMessages(relay.workspace, roomId)).find(m => m.id === `reply-${id}`) ?? false, { intervalMs: 50, timeoutMs: 15_000, message: `Ada's answer in ${roomId}` })
      expect(reply).toMatchObject({ author: ada.id, replyTo: message.id, content: ANSWER })
    }
    // Paid from her wallet: one spend each, signed by the relay.
    const ledger = await openWallets(relay.workspace)
    for (const id of own) expect(ledgerEntry(ledger.open.doc(), initiativeKey(id))).toMatchObject({ kind: "spend", identity: ada.id, amount: INITIATIVE.cost, bucket: "free_time", by: { kind: "system" } })
    // Nothing else was taken up: not the idle message, not the mail's copies, not the relay's own posts.
    const taken = [...relay.workspace.tasks.entries.values()].filter(t => t.id.startsWith(`own-${ada.id}-`)).map(t => t.id)
    expect(taken.sort()).toEqual([...own].sort())
    expect(quest.task.link).toEqual({ kind: "quest", id: quest.quest.id })
    expect(taskAt(relay, initiativeTaskId(ada.id, { kind: "message", id: idle.id }))).toBeUndefined()
    // The mail's own task answers it: once approved, the answer is the resident's reply in the mailbox, paid from her wallet.
    const mailTask = await judged(relay, mailed.taskId!)
    expect(mailTask.link).toEqual({ kind: "mail", id: mailed.message.id })
    if (mailTask.status === "pending_review") await decideTask(ctx, mailTask.id, "approve")
    const mailbox = await openMailbox(relay.workspace)
    const answer = await waitFor(() => mailbox.doc().messages[mailAnswerId(mailTask.id)] ?? false, { events: [[mailbox, "change"]], timeoutMs: 15_000, message: "Ada's answer in the mailbox" })
    expect(answer).toMatchObject({ direction: "to_human", resident: ada.id, type: "reply", replyTo: mailed.message.id, content: ANSWER, taskId: mailTask.id })
    await waitFor(async () => !!ledgerEntry((await openWallets(relay.workspace)).open.doc(), ledgerKeys.mailSend(answer.id)), { intervalMs: 50, timeoutMs: 10_000, message: "the answer's spend" })
    expect(ledgerEntry((await openWallets(relay.workspace)).open.doc(), ledgerKeys.mailSend(answer.id))).toMatchObject({ kind: "spend", identity: ada.id, amount: MAIL_SEND_COST, by: { kind: "system" } })
  }, 90_000)

  it("takes up an open bounty matching its traits and answers it; holds to the hourly limit; takes nothing up with nobody with a model playing it", async () => {
    // The relay's own pass is off: the test runs passes itself, at the times it chooses.
    const { relay, op, ctx, ada } = await residentPlayed({ initiativeTickMs: 3_600_000 })
    const pass = (holders: ReadonlyMap<string, string>, now = Date.now()) => new Initiative(relay.workspace, { signer: relay.audit.signer, holders: () => holders }).runOnce(now)
    const plays = new Map([[ada.id, "w1"]])

    const maps = await postBounty(ctx, { title: "Cartography of the flooded caves", description: "A map of every passage, with depths.", reward: 40, slots: 1 })
    await postBounty(ctx, { title: "Bake bread for the team", description: "Sourdough.", reward: 40, slots: 1 })
    await waitFor(async () => (await readFencedBounties(relay.workspace)).size === 2, { intervalMs: 50, message: "the bounties at the relay" })
    await pass(plays)
    const bountyTask = initiativeTaskId(ada.id, { kind: "bounty", id: maps.id })
    expect(taskAt(relay, bountyTask)).toMatchObject({ link: { kind: "bounty", id: maps.id }, targetIdentity: ada.id })
    expect([...relay.workspace.tasks.entries.values()].filter(t => t.id.startsWith(`own-${ada.id}-`))).toHaveLength(1)
    // Her answer is entered as her submission.
    await judged(relay, bountyTask)
    await waitFor(async () => Object.values((await readFencedBounties(relay.workspace)).get(maps.id)!.submissions).some(s => s.identity === ada.id && s.content === ANSWER), {
      intervalMs: 50,
      timeoutMs: 15_000,
      message: "Ada's submission",
    })
    // A second pass takes up nothing again.
    await pass(plays)
    expect([...relay.workspace.tasks.entries.values()].filter(t => t.id.startsWith(`own-${ada.id}-`))).toHaveLength(1)

    // Nobody playing her, or a worker without a model playing her: a question to her starts nothing.
    const count = () => [...relay.workspace.tasks.entries.values()].filter(t => t.id.startsWith(`own-${ada.id}-`)).length
    await postMessage(ctx, "town_hall", { content: "Ada Quill, are you there?" })
    await op.flushToRelay()
    await pass(new Map())
    await pass(new Map([[ada.id, "a-worker-without-a-key"]]))
    expect(count()).toBe(1)

    // Six more people ask her at once: the limit lets her take up three more this hour (one went to the bounty).
    for (let n = 0; n < 6; n++) await postMessage(ctx, "town_hall", { content: `Ada Quill, question ${n}?` })
    await op.flushToRelay()
    await pass(plays)
    expect(count()).toBe(INITIATIVE.perHour)
    // Until the oldest of them is an hour old nothing more starts; then one more question is taken up.
    const oldest = Math.min(...[...relay.workspace.tasks.entries.values()].filter(t => t.id.startsWith(`own-${ada.id}-`)).map(t => t.createdAt))
    await pass(plays, oldest + INITIATIVE.hourMs - 1)
    expect(count()).toBe(INITIATIVE.perHour)
    await pass(plays, oldest + INITIATIVE.hourMs + 1)
    expect(count()).toBe(INITIATIVE.perHour + 1)
  }, 90_000)

  it("a worker asking for a minimum score lets its resident decline an offered quest its traits do not reach, and take one they do", async () => {
    const { relay, ctx, ada } = await residentPlayed({ initiativeTickMs: 3_600_000 }, { minAcceptScore: 1 })
    const bread = await assignQuest(ctx, { identity: ada.id, title: "Bake bread", objective: "Sourdough for the whole team." })
    const failed = await until(relay, bread.task.id, "failed", 30_000)
    expect(failed.lastError).toMatch(/^Ada Quill declined: the work matches a score of 0\.3 of its traits and reward, below the 1 this worker asks for \(participation is voluntary\)$/)
    expect(fakeCalls(relay, bread.task.id)).toBe(0)
    const caves = await assignQuest(ctx, { identity: ada.id, title: "Cartography of the north caves", objective: "Map every passage." })
    await judged(relay, caves.task.id)
    expect(taskAt(relay, caves.task.id)!.result?.output).toBe(ANSWER)
  }, 60_000)
})
