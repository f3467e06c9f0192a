/**
 * Proposals beyond hats and skills, over real WebSockets: a resident's bio and attributes, a
 * room's topic and a runtime control each apply through their own concept's action once
 * approved (two operators for high risk) and roll back to the checkpoint taken in their own
 * document; a value the target cannot hold is refused before anything is written; a worker
 * cannot set a room's topic, nor change anything else of a room's entry.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { IdentitiesDoc, RoomIndexDoc } from "../../schemas/index.ts"
import { approveProposal, propose, proposalsOf, rollbackProposal } from "../../src/domain/proposals/index.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { UserError } from "../../src/core/errors.ts"
import { runMain } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

describe("proposal targets", () => {
  it("a resident's bio and attribute, a room's topic and a runtime control apply on approval and roll back", async () => {
    const relay = await startTestRelay(teardown)
    const alice = await peerOperator(await connectTestPeer(teardown, relay))
    const bob = await peerOperator(await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "bob") }))
    const ada = await forgeIdentity(alice, { name: "Ada" })
    const identities = await relay.repo.find<IdentitiesDoc>(relay.workspace.root.docs.identities as AutomergeUrl)
    const rooms = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
    const roomId = Object.keys(rooms.doc().rooms).find(id => rooms.doc().rooms[id]!.kind === "room")!
    await waitFor(() => !!identities.doc().identities[ada.id], { events: [[identities, "change"]], timeoutMs: 10_000, message: "Ada at the relay" })

    const bio = await propose(alice, { target: { kind: "resident", id: ada.id, field: "bio" }, after: "Ada keeps the build green.", reason: "a clearer bio", risk: "low" })
    expect(bio.before).toBe(ada.profile.bio)
    await approveProposal(alice, bio.id)
    await waitFor(() => identities.doc().identities[ada.id]?.profile.bio === "Ada keeps the build green.", { events: [[identities, "change"]], timeoutMs: 10_000, message: "the bio at the relay" })

    const focus = await propose(alice, { target: { kind: "resident", id: ada.id, field: "focus" }, after: "tests first", reason: "what she does best", risk: "low" })
    expect(focus.before).toBe("")
    await approveProposal(alice, focus.id)
    await waitFor(() => identities.doc().identities[ada.id]?.mutable.focus === "tests first", { events: [[identities, "change"]], timeoutMs: 10_000, message: "the attribute at the relay" })
    await rollbackProposal(alice, focus.id)
    await waitFor(() => identities.doc().identities[ada.id]?.mutable.focus === undefined, { events: [[identities, "change"]], timeoutMs: 10_000, message: "the attribute removed again" })

    const topic = await propose(alice, { target: { kind: "room", id: roomId, field: "topic" }, after: "Daily stand-up notes", reason: "people ask what the room is for", risk: "low" })
    await approveProposal(alice, topic.id)
    await waitFor(() => rooms.doc().rooms[roomId]?.topic === "Daily stand-up notes", { events: [[rooms, "change"]], timeoutMs: 10_000, message: "the topic at the relay" })
    await rollbackProposal(alice, topic.id)
    await waitFor(() => rooms.doc().rooms[roomId]?.topic === undefined, { events: [[rooms, "change"]], timeoutMs: 10_000, message: "the topic cleared" })

    const cap = relay.workspace.root.controls.spendCapUsd
    const control = await propose(alice, { target: { kind: "config", id: "controls", field: "spendCapUsd" }, after: "12.5", reason: "a bigger month ahead", risk: "high" })
    expect(control.before).toBe(String(cap))
    expect((await approveProposal(alice, control.id)).state).toBe("proposed")
    await waitFor(async () => (await proposalsOf(bob.workspace)).proposals.get(control.id)?.approvals.length === 1, { timeoutMs: 10_000, message: `alice's approval at bob; relay: ${relay.logs.filter(l => l.includes("refused")).join(" | ").slice(0, 3000)}` })
    expect((await approveProposal(bob, control.id)).state).toBe("applied")
    await waitFor(() => relay.workspace.root.controls.spendCapUsd === 12.5, { events: [[relay.workspace.rootHandle, "change"]], timeoutMs: 10_000, message: "the cap at the relay" })
    await rollbackProposal(bob, control.id)
    await waitFor(() => relay.workspace.root.controls.spendCapUsd === cap, { events: [[relay.workspace.rootHandle, "change"]], timeoutMs: 10_000, message: "the cap back" })

    // Values the target cannot hold are refused before anything is written.
    for (const [target, after] of [
      [{ kind: "config", id: "controls", field: "spendCapUsd" }, "lots"],
      [{ kind: "config", id: "controls", field: "reviewEverything" }, "maybe"],
      [{ kind: "config", id: "controls", field: "defaultModel" }, "gpt-none"],
      [{ kind: "resident", id: ada.id, field: "mood" }, "x".repeat(600)],
    ] as const)
      await expect(propose(alice, { target, after, reason: "try it", risk: "low" })).rejects.toBeInstanceOf(UserError)
    await expect(propose(alice, { target: { kind: "room", id: "no-such-room", field: "topic" }, after: "x", reason: "try it" })).rejects.toThrow(/There is no room no-such-room/)
  }, 60_000)

  it("a worker cannot set a room's topic; an operator cannot change a room entry's other fields", async () => {
    const relay = await startTestRelay(teardown)
    const op = await connectTestPeer(teardown, relay)
    const worker = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker", "w-topic") })
    const relayRooms = await relay.repo.find<RoomIndexDoc>(relay.workspace.root.docs.rooms as AutomergeUrl)
    const roomId = Object.keys(relayRooms.doc().rooms)[0]!
    const edit = async (peer: typeof op, fn: (d: RoomIndexDoc) => void) => (await peer.repo.find<RoomIndexDoc>(peer.workspace.root.docs.rooms as AutomergeUrl)).change(fn)
    await edit(worker, d => {
      d.rooms[roomId]!.topic = "workers rule"
    })
    await edit(op, d => {
      d.rooms[roomId]!.title = "renamed"
    })
    for (const [who, reason] of [
      ["w-topic", "only operators open rooms and DMs"],
      [op.identity.name, "title never change once the room is listed"],
    ] as const)
      await waitFor(() => relay.logs.some(l => l.startsWith(`refused a change from ${who}`) && l.includes(reason)), { intervalMs: 50, timeoutMs: 10_000, message: `the relay to refuse: ${reason}` })
    expect(relayRooms.doc().rooms[roomId]!.topic).toBeUndefined()
    expect(relayRooms.doc().rooms[roomId]!.title).not.toBe("renamed")
  }, 30_000)

  it("the CLI proposes a runtime control by target reference and sets a room's topic", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const created = await cli("proposal", "create", "--target", "config:controls:reviewEverything", "--text", "true", "--reason", "review all of it this week", "--risk", "low", "--json")
    expect(created.value, created.stderr).toBe(0)
    const { id } = JSON.parse(created.stdout) as { id: string }
    const shown = await cli("proposal", "show", id)
    expect(shown.stdout).toContain("the runtime control reviewEverything")
    expect((await cli("proposal", "approve", id)).value).toBe(0)
    await waitFor(() => relay.workspace.root.controls.reviewEverything, { events: [[relay.workspace.rootHandle, "change"]], timeoutMs: 10_000, message: "review everything on" })
    const bad = await cli("proposal", "create", "--target", "config:controls:killSwitch", "--text", "on", "--reason", "stop all")
    expect(bad.value).not.toBe(0)
    expect(bad.stderr).toMatch(/target/)

    // An operator sets a room's topic directly too.
    const set = await cli("room", "topic", "town_hall", "--text", "Everything that concerns everyone")
    expect(set.value, set.stderr).toBe(0)
    expect((await cli("room", "list")).stdout).toMatch(/town_hall\s+#\S+ — Everything that concerns everyone/)
    const missing = await cli("room", "topic", "no-such-room", "--text", "x")
    expect(missing.stderr).toContain("There is no room no-such-room")
  }, 60_000)
})
