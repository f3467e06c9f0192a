/**
 * Many editors on one document through a real relay: every peer its own Repo and WebSocket,
 * typing into one quest's objective at once. Once in step with the relay, each is served by
 * live forwarding (the relay sends the changes it accepts in batches instead of a sync round
 * per change); every keystroke must arrive everywhere, in order, and the batching must change
 * nothing in the document.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { QuestDoc, QuestIndexDoc } from "../../schemas/index.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { connectTestPeer, connectTestPeers } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const LETTERS = "abcdefghijklmnop"

/** A quest with one line per editor, listed in the quest index by `author`. */
async function sharedQuest(author: NodePeer, lines: number): Promise<DocHandle<QuestDoc>> {
  const now = Date.now()
  const quest = author.repo.create<QuestDoc>({
    schemaVersion: 1,
    kind: "quest",
    id: "quest-shared",
    title: "Shared quest",
    objective: "\n".repeat(lines),
    budgetUsd: 0.1,
    upfrontTip: 0,
    completionReward: 0,
    state: "active",
    createdBy: author.identity.name,
    createdAt: now,
    updatedAt: now,
  })
  const index = await author.repo.find<QuestIndexDoc>(author.workspace.root.docs.quests as AutomergeUrl)
  index.change(d => {
    d.quests["quest-shared"] = { id: "quest-shared", title: "Shared quest", url: quest.url, createdAt: now }
  })
  return quest
}

/** Each editor types `perEditor` letters (its own) at the end of its own line, all interleaved. */
async function typeTogether(handles: DocHandle<QuestDoc>[], perEditor: number, gapMs: number): Promise<void> {
  // Before the i-th newline: the end of line i.
  const lineEnd = (text: string, i: number) => text.split("\n").slice(0, i + 1).join("\n").length
  const cursors = handles.map((h, i) => A.getCursor(h.doc(), ["objective"], lineEnd(h.doc().objective, i)))
  for (let n = 0; n < perEditor; n++) {
    handles.forEach((h, i) => h.change(d => A.splice(d, ["objective"], cursors[i]!, 0, LETTERS[i]!)))
    await new Promise(resolve => setTimeout(resolve, gapMs))
  }
}

const expectedText = (editors: number, perEditor: number) => Array.from({ length: editors }, (_, i) => LETTERS[i]!.repeat(perEditor) + "\n").join("")

async function converged(relay: TestRelay, handles: DocHandle<QuestDoc>[], text: string): Promise<void> {
  const relayHandle = () => relay.repo.handles[handles[0]!.documentId] as DocHandle<QuestDoc> | undefined
  await waitFor(
    () => {
      const heads = handles.map(h => [...A.getHeads(h.doc())].sort().join())
      return handles.every(h => h.doc().objective === text) && new Set(heads).size === 1 && relayHandle()?.doc().objective === text
    },
    { timeoutMs: 60_000, events: handles.map(h => [h, "change"] as const), message: "every editor and the relay hold every keystroke" },
  )
}

/** A relay, a quest of two lines and two editors of it, both in step with the relay. */
async function twoInStep() {
  const relay = await startTestRelay(teardown)
  const author = await connectTestPeer(teardown, relay)
  const quest = await sharedQuest(author, 2)
  const [other] = await connectTestPeers(teardown, relay, 1)
  const theirs = await other!.repo.find<QuestDoc>(quest.url)
  await waitFor(() => relay.metrics.forwarding!().livePairs >= 2 && relay.metrics.forwarding!().messagesTaken > 0, { timeoutMs: 30_000, message: "both in step" })
  return { relay, quest, other: other!, theirs }
}

describe("live forwarding", () => {
  it("16 editors typing into one document converge to the same text with every keystroke, served by forwarding", async () => {
    const relay = await startTestRelay(teardown)
    const author = await connectTestPeer(teardown, relay)
    const quest = await sharedQuest(author, LETTERS.length)
    const editors = await connectTestPeers(teardown, relay, LETTERS.length - 1)
    const handles = [quest, ...(await Promise.all(editors.map(p => p.repo.find<QuestDoc>(quest.url))))]
    await waitFor(() => relay.metrics.forwarding!().livePairs >= LETTERS.length, { timeoutMs: 30_000, message: "every editor in step" })

    await typeTogether(handles, 40, 5)
    await converged(relay, handles, expectedText(LETTERS.length, 40))

    const stats = relay.metrics.forwarding!()
    // Forwarding carried the typing; a rare hand-back to the full protocol (a repair) is allowed.
    expect(stats.messagesTaken).toBeGreaterThanOrEqual(LETTERS.length)
    expect(stats.fallbacks).toBeLessThan(LETTERS.length)
    // Batched: far fewer messages than one per keystroke per other editor.
    expect(stats.messagesSent).toBeLessThan(40 * LETTERS.length * (LETTERS.length - 1))
    expect(await (await fetch(`${relay.httpUrl}/metrics`)).text()).toMatch(/^vivarium_forward_changes_total \d+$/m)
    // Sixteen keys enrolled and approved, then the typing: a loaded machine needs more than the default.
  }, 120_000)

  it("gives the same document as the relay without forwarding", async () => {
    const texts: string[] = []
    for (const liveForwarding of [false, undefined] as const) {
      const relay = await startTestRelay(teardown, liveForwarding === false ? { liveForwarding } : {})
      const author = await connectTestPeer(teardown, relay)
      const quest = await sharedQuest(author, 4)
      const editors = await connectTestPeers(teardown, relay, 3)
      const handles = [quest, ...(await Promise.all(editors.map(p => p.repo.find<QuestDoc>(quest.url))))]
      await typeTogether(handles, 25, 2)
      await converged(relay, handles, expectedText(4, 25))
      texts.push(handles[0]!.doc().objective)
      if (liveForwarding === false) expect(relay.metrics.forwarding).toBeUndefined()
      else expect(relay.metrics.forwarding!().changesSent).toBeGreaterThan(0)
    }
    expect(texts[0]).toBe(texts[1])
  }, 60_000)

  it("passes presence on to peers in step (the Repo no longer speaks to them about that document)", async () => {
    const { quest, theirs } = await twoInStep()
    const heard: unknown[] = []
    theirs.on("ephemeral-message", ({ message }) => heard.push(message))
    const presence = { __presence: { type: "update", channel: "cursor", value: { line: 1 } } }
    quest.broadcast(presence)
    await waitFor(() => heard.length > 0, { timeoutMs: 10_000, events: [[theirs, "ephemeral-message"]], message: "presence arrived" })
    expect(heard[0]).toEqual(presence)
  })

  it("a peer in step that sends what forwarding cannot serve (needs, unknown heads, a reset) goes back to the full protocol; nothing breaks", async () => {
    const { relay, quest, other, theirs } = await twoInStep()
    const relayPeerId = other.relayPeerId()!
    const bogus = "ab".repeat(32)
    const send = (message: Parameters<typeof A.encodeSyncMessage>[0]) =>
      other.repo.networkSubsystem.send({ type: "sync", senderId: other.repo.peerId, targetId: relayPeerId, documentId: quest.documentId, data: A.encodeSyncMessage(message) } as never)
    const before = relay.metrics.forwarding!().fallbacks
    send({ heads: [bogus], need: [bogus], have: [], changes: [] })
    await waitFor(() => relay.metrics.forwarding!().fallbacks > before, { timeoutMs: 10_000, message: "handed back" })
    await waitFor(() => relay.metrics.forwarding!().livePairs >= 2, { timeoutMs: 30_000, message: "back in step" })
    send({ heads: A.getHeads(theirs.doc()), need: [], have: [{ lastSync: [], bloom: new Uint8Array() }], changes: [] })
    await typeTogether([quest, theirs], 8, 1)
    await converged(relay, [quest, theirs], "a".repeat(8) + "\n" + "b".repeat(8) + "\n")
  })

  it("a peer in step does not answer the batches it is sent when it has nothing of its own to add", async () => {
    const { relay, quest, theirs } = await twoInStep()
    const before = relay.metrics.forwarding!()
    // The author types ten letters, each reaching the other editor (one batch each) before the next.
    for (let n = 1; n <= 10; n++) {
      quest.change(d => A.splice(d, ["objective"], 0, 0, "a"))
      await waitFor(() => theirs.doc().objective.startsWith("a".repeat(n)), { timeoutMs: 10_000, events: [[theirs, "change"]], message: `letter ${n} arrived` })
    }
    // Then the other editor types once: anything it sent before has reached the relay by then.
    theirs.change(d => A.splice(d, ["objective"], d.objective.length, 0, "b"))
    await converged(relay, [quest, theirs], "a".repeat(10) + "\n\nb")
    const after = relay.metrics.forwarding!()
    expect(after.messagesSent - before.messagesSent).toBeGreaterThanOrEqual(10)
    expect(after.answersTaken - before.answersTaken).toBeLessThan(3)
  })

  it("a peer that reconnects catches up through the full protocol and is forwarded to again", async () => {
    const { relay, quest, other, theirs } = await twoInStep()
    // Cut the other editor off; the author types meanwhile; the other comes back.
    const socket = [...relay.adapter.joinedSockets().entries()].find(([peerId]) => peerId === other.repo.peerId)![1]
    socket.terminate()
    await waitFor(() => relay.adapter.joinedSockets().get(other.repo.peerId) !== socket, { timeoutMs: 10_000, message: "the cut peer left" })
    await typeTogether([quest], 10, 1)
    await converged(relay, [quest, theirs], "a".repeat(10) + "\n\n")
    await waitFor(() => relay.metrics.forwarding!().livePairs >= 2, { timeoutMs: 30_000, message: "back in step" })
    await typeTogether([quest, theirs], 5, 1)
    await converged(relay, [quest, theirs], "a".repeat(15) + "\n" + "b".repeat(5) + "\n")
  })
})
