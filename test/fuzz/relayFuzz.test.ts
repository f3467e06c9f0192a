/**
 * The fuzz campaign: a live relay (real WebSockets, real storage, the change gate on) takes
 * FUZZ_FRAMES generated frames (default 100,000) from two keys that hold the secret — a
 * pending peer and an approved worker. The frames are, mixed: bytes that are not CBOR, CBOR
 * values of every kind, messages of every wire type with hostile fields, sync messages whose
 * bytes are not a sync message, and real Automerge changes to every document of the
 * workspace (random sets, deletes, huge strings, wrong kinds) wrapped in sync messages.
 *
 * It fails if the relay stops answering, if an honest peer can no longer sync afterwards, or
 * if any document the relay holds stops passing its schema. The seed is printed first;
 * FUZZ_SEED=<seed> replays a run.
 */
import * as A from "@automerge/automerge"
import { cbor, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import WebSocket from "ws"
import { DOCUMENT_SCHEMAS } from "../../schemas/index.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { proofProtocols, type RelayEndpoint } from "../helpers/rawSocket.ts"
import { approvedIdentity, enrol, freshIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { seedFrom } from "../helpers/seededRandom.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"

const teardown = useTeardown()
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000)
/** Frames sent before the sender waits for the relay to have read them (keeps memory flat). */
const BATCH = 250

const WIRE_TYPES = ["join", "peer", "error", "sync", "request", "doc-unavailable", "ephemeral", "remote-subscription-change", "remote-heads-changed", "vivarium-refused", "leave", ""] as const

/** What one generated frame is, before it is turned into bytes against the live workspace. */
type FrameSpec =
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "cbor"; value: unknown }
  | { kind: "envelope"; type: string; doc: number; ownSender: boolean; fields: Record<string, unknown> }
  | { kind: "change"; doc: number; actor: number; ops: Op[] }

type Op =
  | { op: "set"; depth: number; key: string; value: unknown }
  | { op: "delete"; depth: number; pick: number }
  | { op: "huge"; depth: number; key: string; size: number }

const key = fc.oneof(fc.constantFrom("kind", "schemaVersion", "tasks", "peers", "docs", "controls", "entries", "status", "lease", "review", "publicKey", "state", "id", "messages", "authority"), fc.string({ maxLength: 12 }))
const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom("approved", "pending_review", "system", "relay", "root", "queue", 1000, -1, null))
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("set" as const), depth: fc.nat(3), key, value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), depth: fc.nat(3), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("huge" as const), depth: fc.nat(2), key, size: fc.integer({ min: 10_000, max: 200_000 }) }) },
)
const frame: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bytes" as const), bytes: fc.uint8Array({ maxLength: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cbor" as const), value: fc.anything({ maxDepth: 3 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("envelope" as const),
      type: fc.constantFrom(...WIRE_TYPES),
      doc: fc.nat(),
      ownSender: fc.boolean(),
      fields: fc.dictionary(fc.constantFrom("data", "targetId", "count", "sessionId", "add", "remove", "newHeads", "peerMetadata", "message", "supportedProtocolVersions"), fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.anything({ maxDepth: 2 })), { maxKeys: 4 }),
    }),
  },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("change" as const), doc: fc.nat(), actor: fc.nat(15), ops: fc.array(op, { minLength: 1, maxLength: 4 }) }) },
)

/** A raw, authenticated socket that rejoins (a fresh key proof) whenever the relay closes it. */
class FuzzPeer {
  #ws?: WebSocket
  #relayId = "relay"
  readonly peerId = `fuzz-${Math.random().toString(36).slice(2, 10)}`
  closes = 0
  sent = 0

  constructor(
    readonly relay: RelayEndpoint,
    readonly identity: PeerIdentity,
  ) {}

  get relayId(): string {
    return this.#relayId
  }

  async send(bytes: Uint8Array): Promise<void> {
    if (this.#ws?.readyState !== WebSocket.OPEN) await this.#connect()
    this.#ws!.send(bytes)
    this.sent++
  }

  async #connect(): Promise<void> {
    if (this.#ws) this.closes++
    const ws = new WebSocket(this.relay.wsUrl, await proofProtocols(this.relay, this.identity))
    ws.on("error", () => {})
    this.#ws = ws
    const peer = new Promise<void>((resolve, reject) => {
      ws.once("close", (code, reason) => reject(new Error(`closed before it joined: ${code} ${reason.toString()}`)))
      ws.on("message", data => {
        try {
          const message = cbor.decode(new Uint8Array(data as Buffer)) as { type?: string; senderId?: string }
          if (message.type === "peer" && message.senderId) this.#relayId = message.senderId
        } catch {
          // the relay only sends CBOR; nothing else to learn here
        }
        resolve()
      })
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
    })
    ws.send(cbor.encode({ type: "join", senderId: this.peerId, peerMetadata: {}, supportedProtocolVersions: ["1"] }))
    await peer
  }

  /**
   * Resolves once the relay has read everything sent so far on this connection (its pong
   * follows the frames before the ping), or once the connection is gone.
   */
  drained(): Promise<void> {
    const ws = this.#ws
    if (ws?.readyState !== WebSocket.OPEN) return Promise.resolve()
    return new Promise(resolve => {
      const done = () => {
        ws.off("pong", done)
        ws.off("close", done)
        resolve()
      }
      ws.once("pong", done)
      ws.once("close", done)
      ws.ping()
    })
  }

  close(): void {
    this.#ws?.terminate()
  }
}

/** Applies `ops` to `doc` inside one change, walking into nested maps by the op's depth. */
function mutate(doc: A.Doc<Record<string, unknown>>, ops: Op[], pickFrom: () => number): A.Doc<Record<string, unknown>> {
  return A.change(doc, d => {
    for (const o of ops) {
      let target = d as Record<string, unknown>
      for (let i = 0; i < o.depth; i++) {
        const maps = Object.keys(target).filter(k => target[k] !== null && typeof target[k] === "object" && !Array.isArray(target[k]))
        if (!maps.length) break
        target = target[maps[pickFrom() % maps.length]!] as Record<string, unknown>
      }
      // Automerge itself refuses some values locally (a "__proto__" key): such an op is skipped.
      try {
        if (o.op === "set") target[o.key] = o.value === undefined ? null : o.value
        // A scalar string (one op, however long): a text of this size would cost the generator more than the relay.
        else if (o.op === "huge") target[o.key] = new A.ImmutableString("x".repeat(o.size))
        else {
          const keys = Object.keys(target)
          if (keys.length) delete target[keys[o.pick % keys.length]!]
        }
      } catch {
        continue
      }
    }
  })
}

/** Every document of the workspace the relay holds, loaded. */
function workspaceDocs(relay: TestRelay): DocHandle<unknown>[] {
  return Object.values(relay.repo.handles).filter(h => h.isReady()) as DocHandle<unknown>[]
}

describe("fuzz campaign against a live relay", () => {
  it(`${FRAMES.toLocaleString("en")} generated frames and changes from a pending peer and a worker: no crash, no invalid document, honest sync still works`, async () => {
    const seed = seedFrom("FUZZ_SEED")
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`)
    const relay = await startTestRelay(teardown, {
      // The campaign is about content; the rate limits have their own test (rogueFrames).
      connectionLimits: { messagesPerSecond: 1e9, messageBurst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 },
    })
    const honest = await connectTestPeer(teardown, relay)
    const worker = await approvedIdentity(relay, "worker")
    const pending = await freshIdentity("worker")
    await enrol(relay, pending)
    const peers = [new FuzzPeer(relay, worker), new FuzzPeer(relay, pending)]
    teardown.add(() => peers.forEach(p => p.close()))

    // Load every document of the workspace on the relay, so changes can target each of them.
    const root = relay.workspace.root
    const urls = [relay.rootUrl, ...Object.values(root.docs).filter((u): u is string => typeof u === "string"), ...Object.values(root.peers).map(p => p.auditUrl)]
    await Promise.all(urls.map(u => relay.repo.find(u as AutomergeUrl)))
    const docs = workspaceDocs(relay)
    const actors = Array.from({ length: 16 }, (_, i) => `f0${i.toString(16)}`.padEnd(32, "a"))

    const specs = fc.sample(frame, { seed, numRuns: FRAMES })
    let pick = seed
    const pickFrom = () => (pick = (Math.imul(pick, 1103515245) + 12345) >>> 0)
    let changes = 0
    let noop = 0
    for (const [i, spec] of specs.entries()) {
      const peer = peers[i % peers.length]!
      let bytes: Uint8Array
      if (spec.kind === "bytes") bytes = spec.bytes.length ? spec.bytes : new Uint8Array([0xf6])
      else if (spec.kind === "cbor") bytes = cbor.encode(spec.value)
      else if (spec.kind === "envelope") {
        const documentId = docs[spec.doc % docs.length]!.documentId
        bytes = cbor.encode({ type: spec.type, senderId: spec.ownSender ? peer.peerId : "someone-else", targetId: peer.relayId, documentId, ...spec.fields })
      } else {
        const handle = docs[spec.doc % docs.length]!
        const actor = `${actors[spec.actor]!.slice(0, 30)}${i % peers.length}${i % peers.length}`
        const fork = A.clone(handle.doc() as A.Doc<Record<string, unknown>>, { actor })
        const changed = mutate(fork, spec.ops, pickFrom)
        const change = A.getLastLocalChange(changed)
        if (!change) {
          noop++
          continue
        }
        const message = A.encodeSyncMessage({ heads: A.getHeads(changed), need: [], have: [], changes: [change] })
        bytes = cbor.encode({ type: "sync", senderId: peer.peerId, targetId: peer.relayId, documentId: handle.documentId, data: message })
        changes++
      }
      await peer.send(bytes)
      // The relay has read what was sent (or closed the sockets it came on) before more is sent.
      if ((i + 1) % BATCH === 0) await Promise.all(peers.map(p => p.drained()))
    }
    const sent = peers.reduce((n, p) => n + p.sent, 0)
    console.log(`fuzz: ${sent} frames sent (${changes} carried a change, ${noop} generated changes changed nothing and were not sent); the relay closed ${peers.reduce((n, p) => n + p.closes, 0)} connections`)
    expect(sent + noop).toBe(FRAMES)

    // Still alive, still honest: /healthz answers, a real peer's change reaches the relay.
    const health = await fetch(`${relay.httpUrl}/healthz`)
    expect(health.status).toBe(200)
    const task = await honest.workspace.addTask({ command: "echo after the fuzz" }, { kind: "operator", name: honest.identity.name })
    await honest.flushToRelay()
    await waitFor(() => relay.workspace.tasks.get(task.id), { events: [[relay.workspace.tasks, "change"]], message: `the honest task to reach the relay (seed ${seed})` })

    // Whatever the gate let through left every document valid.
    for (const handle of workspaceDocs(relay)) {
      const doc = handle.doc() as { kind?: string }
      const schema = doc.kind ? DOCUMENT_SCHEMAS[doc.kind as keyof typeof DOCUMENT_SCHEMAS] : undefined
      if (!schema) continue
      const parsed = schema.safeParse(doc)
      expect(parsed.success, `${doc.kind} ${handle.url} after the fuzz (seed ${seed}): ${parsed.error?.issues.slice(0, 3).map(i => `${i.path.join(".")}: ${i.message}`).join("; ")}`).toBe(true)
    }
  }, 900_000)
})
