/**
 * The relay's change gate on real Automerge documents and real sync messages: actor binding,
 * document creation, missing dependencies, size limits and hostile bytes.
 */
import * as A from "@automerge/automerge"
import type { AutomergeUrl, DocumentId } from "@automerge/automerge-repo"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DOCUMENT_LIMITS, SCHEMA_VERSION, type JournalDoc, type QueueDoc, type RootDoc } from "../../schemas/index.ts"
import { ChangeGate } from "../../peer-server/gate/changeGate.ts"
import { addTask } from "../../src/domain/tasks/actions.ts"
import { type OperatorContext } from "../../src/workspace/actionContext.ts"
import { principal, refusals, startGateHarness, syncMessage, type GatePeer } from "../helpers/gateHarness.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const alice = { kind: "operator", name: "alice" } as const
/** An operator's context on a gate peer; its audit appends go nowhere (the gate sees task writes only). */
const opCtx = (peer: GatePeer): OperatorContext => ({ workspace: peer.workspace, actor: alice, audit: { append: async () => ({}), settled: async () => {} } as unknown as OperatorContext["audit"] })

describe("change gate: messages", () => {
  it("accepts a message without changes at once, and refuses bytes that are not a sync message", async () => {
    const h = await startGateHarness(teardown)
    const queue = h.workspace.queueHandle
    const [, hello] = A.generateSyncMessage(queue.doc(), A.initSyncState())
    expect(await h.gate.check(principal("mallory", "pending"), queue.documentId, hello!)).toBe("accept")
    for (const bytes of [new Uint8Array([0xf6]), new Uint8Array([]), new Uint8Array(1000).fill(0x42), new TextEncoder().encode("{}")]) {
      const verdict = await h.gate.check(principal("mallory", "operator"), queue.documentId, bytes)
      expect(verdict).toEqual({ refuse: "this is not an Automerge sync message" })
    }
  })

  it("refuses every write of a pending peer", async () => {
    const h = await startGateHarness(teardown)
    const p = await h.peer("newcomer", "pending")
    p.workspace.rootHandle.change((d: RootDoc) => {
      d.controls.killSwitch = { on: true, reason: "x", setBy: "newcomer", setAt: 1 }
    })
    expect(refusals(await p.push())).toEqual([expect.stringContaining("a pending peer writes nothing")])
    expect(h.workspace.root.controls.killSwitch.on).toBe(false)
  })

  it("refuses a 50 MB string in a task, and any record over its byte limit", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "operator")
    const task = await addTask(opCtx(op), { prompt: "hello" })
    expect(refusals(await op.push())).toEqual([])
    const queue = op.workspace.queueHandle.doc()
    // A scalar string, as a hostile peer writes it (no per-character text operations).
    const huge = A.change(A.clone(queue), d => {
      d.tasks[task.id]!.title = new A.ImmutableString("x".repeat(50 * 1024 * 1024)) as never
    })
    expect(await h.gate.check(op.who, op.workspace.queueHandle.documentId, syncMessage(huge, h.workspace.queueHandle.doc()))).toEqual({
      refuse: expect.stringMatching(/^one message carries \d+ bytes of changes; the limit is 16777216$/),
    })
    const junk = A.change(A.clone(queue), d => {
      ;(d.tasks[task.id] as unknown as Record<string, unknown>).junk = new A.ImmutableString("y".repeat(600 * 1024))
    })
    expect(await h.gate.check(op.who, op.workspace.queueHandle.documentId, syncMessage(junk, h.workspace.queueHandle.doc()))).toEqual({
      refuse: expect.stringMatching(/^tasks\.task-[^:]+: this record is \d+ bytes; the limit is 524288$/),
    })
    expect(h.workspace.tasks.get(task.id)?.title).toBe("hello")
  })

  it("refuses a field the schema does not know, even a small one", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "operator")
    const task = await addTask(opCtx(op), { prompt: "hello" })
    op.workspace.queueHandle.change(d => {
      ;(d.tasks[task.id] as unknown as Record<string, string>).note = "hi"
    })
    expect(refusals(await op.push())).toEqual([expect.stringContaining("fields its schema does not know")])
  })

  it("refuses a document growing past its entry limit", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "owner")
    const limit = DOCUMENT_LIMITS.root.entries
    await h.relayChange<RootDoc>(h.workspace.rootHandle.url, d => {
      for (let i = 0; i < limit; i++) d.peers[`p${i}`] = { name: `p${i}` } as never
    })
    op.workspace.rootHandle.change((d: RootDoc) => {
      d.peers.extra = { name: "extra" } as never
    })
    expect(refusals(await op.push())).toEqual([`peers: a root document holds at most ${limit} peers`])
  })
})

describe("change gate: actor binding", () => {
  it("binds an actor to the first principal that sends a change by it, and refuses it for anyone else, after a restart too", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "operator")
    await addTask(opCtx(op), { prompt: "one" })
    expect(refusals(await op.push())).toEqual([])
    const before = h.workspace.queueHandle.doc()

    // bob replays a change made by alice's actor (a copy of her document with a new task).
    const forged = A.change(A.clone(op.workspace.queueHandle.doc(), A.getActorId(op.workspace.queueHandle.doc())), (d: QueueDoc) => {
      const id = Object.keys(d.tasks)[0]!
      d.tasks[id]!.priority = 100
    })
    const message = syncMessage(forged, before)
    const verdict = await h.gate.check(principal("bob", "operator"), h.workspace.queueHandle.documentId, message)
    expect(verdict).toEqual({ refuse: expect.stringMatching(/by actor [0-9a-f]+, which belongs to alice, not bob/) })
    expect(h.logs.at(-1)).toMatch(/refused a change from bob \(operator\) to .*: change .* belongs to alice/)

    // A gate started later (a relay restart) reads the bindings back.
    const again = new ChangeGate({ repo: h.relay, workspace: h.workspace, rootUrl: h.workspace.rootHandle.url, dataDir: h.dataDir, log: () => {} })
    expect(await again.check(principal("bob", "operator"), h.workspace.queueHandle.documentId, message)).toEqual({ refuse: expect.stringContaining("belongs to alice") })
    expect(await again.check(principal("alice", "operator"), h.workspace.queueHandle.documentId, message)).toBe("accept")
  })

  it("a refused message binds nothing", async () => {
    const h = await startGateHarness(teardown)
    const mallory = await h.peer("mallory", "worker")
    mallory.workspace.rootHandle.change((d: RootDoc) => {
      d.kind = "queue" as never
    })
    const doc = mallory.workspace.rootHandle.doc()
    expect(refusals(await mallory.push())).toHaveLength(1)
    const replay = syncMessage(A.change(A.clone(doc, A.getActorId(doc)), (d: RootDoc) => void (d.controls.reviewEverything = true)), h.workspace.rootHandle.doc())
    // The actor is still free: alice sending it is judged on its content (here: the kind change).
    expect(await h.gate.check(principal("alice", "operator"), h.workspace.rootHandle.documentId, replay)).toEqual({ refuse: expect.stringContaining("root.kind is written by the relay only") })
  })
})

describe("change gate: new documents", () => {
  it("lets an operator create an empty journal, room or a quest, and nobody create a queue, wallets or audit log", async () => {
    const h = await startGateHarness(teardown)
    const id = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ" as AutomergeUrl
    const docOf = (init: Record<string, unknown>) => A.from(init)
    const check = (who: ReturnType<typeof principal>, init: Record<string, unknown>, docId = `${Math.random()}`.slice(2)) =>
      h.gate.check(who, docId, syncMessage(docOf(init), A.init()))
    const alice = principal("alice", "operator")
    const journal: JournalDoc = { schemaVersion: SCHEMA_VERSION, kind: "journal", identity: "ada", entries: [] }
    expect(await check(alice, journal as never)).toBe("accept")
    expect(await check(alice, { schemaVersion: 1, kind: "room", roomId: "dm-1", messages: [] })).toBe("accept")
    expect(await check(principal("w1", "worker"), journal as never)).toEqual({ refuse: expect.stringContaining("may not create a journal document") })
    expect(await check(alice, { schemaVersion: 1, kind: "queue", tasks: {} })).toEqual({ refuse: expect.stringContaining("may not create a queue document") })
    expect(await check(alice, { schemaVersion: 1, kind: "wallets", entries: {} })).toEqual({ refuse: expect.stringContaining("may not create a wallets") })
    expect(await check(principal("owner", "owner"), { schemaVersion: 1, kind: "audit", peer: "owner", entries: [] })).toEqual({ refuse: expect.stringContaining("may not create a audit") })
    expect(await check(alice, { schemaVersion: 1, kind: "journal", identity: "ada", entries: [{ id: "j1", at: 1, kind: "note", content: "x", tier: "basic" }] })).toEqual({
      refuse: expect.stringContaining("alice does not play ada"),
    })
    expect(await check(alice, { schemaVersion: 1, kind: "nonsense" })).toEqual({ refuse: expect.stringContaining("known kind") })
    expect(await check(alice, { schemaVersion: 1, kind: "room", roomId: "r", messages: [], filler: "z".repeat(70_000) })).toEqual({ refuse: expect.stringMatching(/over the 65536-byte limit/) })
    // An empty document (automerge-repo's first change makes none) is allowed; kind is judged when it arrives.
    const empty = A.emptyChange(A.init<Record<string, unknown>>())
    expect(await h.gate.check(alice, "emptydoc", syncMessage(empty, A.init()))).toBe("accept")
    void id
  })

  it("judges a change to a document the relay already holds by the relay's kind, which nobody can change", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "operator")
    op.workspace.queueHandle.change(d => {
      d.kind = "wallets" as never
    })
    expect(refusals(await op.push())).toEqual([expect.stringContaining("queue.kind is fixed when the document is created")])
    expect(h.workspace.queueHandle.doc().kind).toBe("queue")
  })
})

describe("change gate: missing dependencies", () => {
  it("lets changes whose dependencies the relay lacks wait unapplied, and judges them once sent with their dependencies", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "operator")
    const queue = op.workspace.queueHandle
    const start = queue.doc()
    const t1 = await addTask(opCtx(op), { prompt: "one" })
    const middle = queue.doc()
    await addTask(opCtx(op), { prompt: "two" })
    // Only the second change, without the first it depends on.
    const second = A.getChanges(middle, queue.doc())
    expect(second).toHaveLength(1)
    const onlySecond = A.encodeSyncMessage({ heads: A.getHeads(queue.doc()), need: [], have: [], changes: second })
    const documentId = queue.documentId
    // automerge-repo queues such changes without applying them: nothing of them shows yet.
    expect(await h.gate.check(op.who, documentId, onlySecond)).toBe("accept")
    const [queued] = A.applyChanges(A.clone(h.workspace.queueHandle.doc()), second)
    expect(Object.keys((queued as QueueDoc).tasks)).toEqual(Object.keys(start.tasks))
    const both = A.encodeSyncMessage({ heads: A.getHeads(queue.doc()), need: [], have: [], changes: A.getChanges(start, queue.doc()) })
    expect(await h.gate.check(op.who, documentId, both)).toBe("accept")
    void t1
  })

  it("a forged change hidden behind a missing dependency is judged when it can apply, not skipped", async () => {
    const h = await startGateHarness(teardown)
    const w = await h.peer("w1", "worker")
    const start = w.workspace.rootHandle.doc()
    w.workspace.rootHandle.change((d: RootDoc) => void (d.controls.reviewEverything = !d.controls.reviewEverything))
    const both = A.encodeSyncMessage({ heads: [], need: [], have: [], changes: A.getChanges(start, w.workspace.rootHandle.doc()) })
    expect(await h.gate.check(w.who, w.workspace.rootHandle.documentId as DocumentId, both)).toEqual({ refuse: expect.stringContaining("only operators change the runtime controls") })
  })
})

describe("change gate: hostile input (property)", () => {
  it("never throws on arbitrary bytes or a valid sync message with bytes flipped, and accepts from a worker nothing that changes content", async () => {
    const h = await startGateHarness(teardown)
    const op = await h.peer("alice", "operator")
    await addTask(opCtx(op), { prompt: "one" })
    const valid = syncMessage(op.workspace.queueHandle.doc(), h.workspace.queueHandle.doc())
    const documentId = h.workspace.queueHandle.documentId
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map(flips => {
            const bytes = valid.slice()
            for (const [at, x] of flips) bytes[at] = bytes[at]! ^ x
            return bytes
          }),
        ),
        async bytes => {
          const verdict = await h.gate.check(principal("mallory", "worker"), documentId, bytes)
          if (verdict !== "accept") {
            expect(verdict.refuse.length).toBeGreaterThan(0)
            return
          }
          // A worker cannot add tasks: what the gate accepts changes no content when the relay
          // applies it (or the relay cannot apply it either, and the transport closes that connection).
          const before = A.toJS(h.workspace.queueHandle.doc())
          let after = before
          try {
            after = A.toJS(A.receiveSyncMessage(A.clone(h.workspace.queueHandle.doc()), A.initSyncState(), bytes)[0])
          } catch {
            after = before
          }
          expect(after).toEqual(before)
        },
      ),
      { numRuns: 300 },
    )
  })
})
