/**
 * The change gate for changes a follower relay (a `mirror`) forwards: each is judged as the
 * peer the follower declared its actor for, never as the follower; real Automerge documents
 * and real sync messages.
 */
import * as A from "@automerge/automerge"
import { describe, expect, it } from "vitest"
import type { QueueDoc } from "../../schemas/index.ts"
import { ActorBindings } from "../../peer-server/gate/actorBindings.ts"
import { ChangeGate } from "../../peer-server/gate/changeGate.ts"
import { writePeerRecord } from "../../src/domain/peers/index.ts"
import { addTask } from "../../src/domain/tasks/actions.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { principal, startGateHarness, syncMessage, type GatePeer } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const mirror = principal("mirror-1", "mirror")

/** An operator's context on a gate peer; its audit appends go nowhere (the gate sees task writes only). */
const asOperator = (peer: GatePeer, name: string): OperatorContext => ({
  workspace: peer.workspace,
  actor: { kind: "operator", name },
  audit: { append: async () => ({}), settled: async () => {} } as unknown as OperatorContext["audit"],
})

/** A relay with operators alice and carol (approved) and dave (pending), and a gate sharing its actor bindings with the test. */
async function setup() {
  const h = await startGateHarness(teardown)
  for (const [name, state] of [["alice", "approved"], ["carol", "approved"], ["dave", "pending"]] as const)
    writePeerRecord(h.relay, h.workspace.rootHandle, { name, role: "operator", publicKey: "ab".repeat(32), state })
  const bindings = new ActorBindings(h.dataDir)
  const logs: string[] = []
  const gate = new ChangeGate({ repo: h.relay, workspace: h.workspace, rootUrl: h.workspace.rootHandle.url, dataDir: h.dataDir, bindings, log: line => logs.push(line) })
  const queue = h.workspace.queueHandle
  /** What a peer's queue holds beyond the relay's, as one sync message. */
  const message = (doc: A.Doc<QueueDoc>) => syncMessage(doc, queue.doc())
  return { h, gate, bindings, logs, queue, message }
}

describe("change gate: changes through a follower relay", () => {
  it("judges a forwarded change as the peer its actor was declared for, and binds the actor to that peer", async () => {
    const { h, gate, bindings, queue, message } = await setup()
    const alice = await h.peer("alice", "operator")
    await addTask(asOperator(alice, "alice"), { prompt: "through the follower" })
    const doc = alice.workspace.queueHandle.doc()
    const actor = A.getActorId(doc)

    expect(await gate.check(mirror, queue.documentId, message(doc))).toEqual({ refuse: expect.stringContaining(`which did not say whose actor ${actor} is`) })
    bindings.declare(mirror.peer, { [actor]: "alice" })
    expect(await gate.check(mirror, queue.documentId, message(doc))).toBe("accept")
    expect(bindings.ownerOf(actor)).toBe("alice")
  })

  it("refuses an actor bound to someone else, a pending author, and the follower's own writes", async () => {
    const { h, gate, bindings, queue, message } = await setup()
    const alice = await h.peer("alice", "operator")
    await addTask(asOperator(alice, "alice"), { prompt: "alice's" })
    const doc = alice.workspace.queueHandle.doc()
    const actor = A.getActorId(doc)
    bindings.bind([actor], "alice")

    // A follower that says alice's actor is carol's is lying: refused.
    bindings.declare(mirror.peer, { [actor]: "carol" })
    expect(await gate.check(mirror, queue.documentId, message(doc))).toEqual({ refuse: expect.stringContaining("which belongs to alice, not carol (as follower relay mirror-1 says)") })

    // dave is not approved: nothing of his counts, through a follower or not.
    const dave = await h.peer("dave", "operator")
    await addTask(asOperator(dave, "dave"), { prompt: "dave's" })
    const daves = dave.workspace.queueHandle.doc()
    bindings.declare(mirror.peer, { [A.getActorId(daves)]: "dave" })
    expect(await gate.check(mirror, queue.documentId, message(daves))).toEqual({ refuse: expect.stringContaining("dave is not approved yet") })

    // The follower's own change is judged as the follower: it may add no task.
    const own = await h.peer("mirror-1", "mirror")
    await addTask(asOperator(own, "mirror-1"), { prompt: "the follower's" })
    const owns = own.workspace.queueHandle.doc()
    bindings.declare(mirror.peer, { [A.getActorId(owns)]: "mirror-1" })
    expect(await gate.check(mirror, queue.documentId, message(owns))).toEqual({ refuse: expect.stringContaining("only operators add tasks") })
    expect(bindings.ownerOf(A.getActorId(owns))).toBeUndefined()
  })

  it("judges a message with several peers' changes one author at a time", async () => {
    const { h, gate, bindings, queue, message } = await setup()
    const alice = await h.peer("alice", "operator")
    await addTask(asOperator(alice, "alice"), { prompt: "alice's" })
    const carol = await h.peer("carol", "operator")
    // carol holds alice's change and adds her own on top: one message carries both.
    carol.workspace.queueHandle.update(doc => A.merge(doc, A.clone(alice.workspace.queueHandle.doc())))
    await addTask(asOperator(carol, "carol"), { prompt: "carol's" })
    const both = carol.workspace.queueHandle.doc()
    const [aliceActor, carolActor] = [A.getActorId(alice.workspace.queueHandle.doc()), A.getActorId(both)]

    // Declared the wrong way round, each change is judged as the other's author: refused.
    bindings.declare(mirror.peer, { [aliceActor]: "carol", [carolActor]: "alice" })
    expect(await gate.check(mirror, queue.documentId, message(both))).toEqual({ refuse: expect.stringMatching(/says it was created by alice, but carol wrote it/) })
    bindings.declare(mirror.peer, { [aliceActor]: "alice", [carolActor]: "carol" })
    expect(await gate.check(mirror, queue.documentId, message(both))).toBe("accept")
    expect([bindings.ownerOf(aliceActor), bindings.ownerOf(carolActor)]).toEqual(["alice", "carol"])
  })
})
