/** The chain of authority: owner → operators → workers, rotations, revocations and pinned anchors. */
import { describe, expect, it } from "vitest"
import type { PeerRecord, RootDoc, Task, WorkspaceAuthority } from "../../schemas/index.ts"
import { buildAuthorityChain } from "../../src/core/authorityChain.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { checkTaskDecision, verifyCheck } from "../../src/core/recordAuthority.ts"
import { deviceDecisionText, keyRotationText, peerDecisionText, signRecord, taskDecisionText } from "../../src/core/signedRecords.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { fileAnchorPins } from "../../src/peer/anchorPins.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"

const teardown = useTeardown()
const AUDIT = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"

interface Key {
  name: string
  publicKey: string
  key: CryptoKey
}

async function keyOf(name: string): Promise<Key> {
  const pair = await generateSigningKey()
  return { name, publicKey: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

function peer(k: Key, role: PeerRecord["role"], extra: Partial<PeerRecord> = {}): PeerRecord {
  return { name: k.name, role, publicKey: k.publicKey, state: "pending", registeredAt: 1, auditUrl: AUDIT, ...extra }
}

/** `by` decides on `subject` (holding `key`, in `role`) at `at`. */
async function decision(by: Key, subject: string, role: "operator" | "worker", key: string, state: "approved" | "revoked", at: number) {
  const sig = await signRecord(by, peerDecisionText({ peer: subject, role, publicKey: key, state, decidedBy: by.name, decidedAt: at }))
  return { state, publicKey: key, by: by.name, at, sig }
}

function rootOf(authority: WorkspaceAuthority | undefined, peers: PeerRecord[]): RootDoc {
  return {
    schemaVersion: 1,
    kind: "root",
    workspaceId: "ws-chain-0001",
    name: "Lab",
    createdAt: 0,
    docs: { queue: AUDIT, identities: AUDIT, wallets: AUDIT, rooms: AUDIT, quests: AUDIT, bounties: AUDIT, archives: {} },
    peers: Object.fromEntries(peers.map(p => [p.name, p])),
    controls: defaultControls("owner", 0),
    ...(authority ? { authority } : {}),
  }
}

async function cast() {
  const [owner, relay, op, op2, worker, stranger] = await Promise.all(["owner", "relay", "op", "op2", "w1", "stranger"].map(keyOf))
  const authority = { owner: { name: owner!.name, publicKey: owner!.publicKey }, relay: { name: relay!.name, publicKey: relay!.publicKey } }
  return { owner: owner!, relay: relay!, op: op!, op2: op2!, worker: worker!, stranger: stranger!, authority }
}

/** A task that some peer claims to have approved (with a tip), signed by `signer`. */
async function approvedTask(decidedBy: string, signer: Key, at: number): Promise<Task> {
  const text = taskDecisionText({ taskId: "task-1", decision: "approve", leaseId: "lease-1", tip: 1000, feedback: undefined, decidedBy, decidedAt: at })
  return {
    id: "task-1",
    title: "t",
    mode: "local",
    command: "ls",
    model: "auto",
    minBudgetUsd: 0,
    maxBudgetUsd: 0.1,
    priority: 0,
    dependsOn: [],
    status: "approved",
    attempts: 0,
    errors: 0,
    executions: [],
    result: { output: "", model: "local", costUsd: 0, leaseId: "lease-1", worker: "w1", startedAt: 1, finishedAt: 2 },
    review: { verdict: "approve", confidence: 1, issues: [], needsHuman: true, reviewer: "w1", at: 2, decidedBy, tip: 1000, decidedAt: at, decisionSig: await signRecord(signer, text) },
    createdBy: "owner",
    createdAt: 1,
    updatedAt: at,
    history: [{ at, from: "pending_review", to: "approved", by: { kind: "operator", name: decidedBy } }],
  }
}

async function decisionCounts(task: Task, root: RootDoc): Promise<boolean> {
  const check = checkTaskDecision(task, await buildAuthorityChain(root))
  return !!check && (await verifyCheck(check))
}

describe("the chain of authority", () => {
  it("owner → operator → worker: each key valid for its role, nothing reported", async () => {
    const c = await cast()
    const root = rootOf(c.authority, [
      peer(c.op, "operator", { state: "approved", decisions: [await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)] }),
      peer(c.worker, "worker", { state: "approved", decisions: [await decision(c.op, "w1", "worker", c.worker.publicKey, "approved", 20)] }),
    ])
    const chain = await buildAuthorityChain(root)
    expect(chain.issues).toEqual([])
    expect(chain.keyFor("owner", ["operator"], 5)).toBe(c.owner.publicKey)
    expect(chain.keyFor("relay", ["relay"], 5)).toBe(c.relay.publicKey)
    expect(chain.keyFor("relay", ["operator"], 5)).toBeUndefined()
    expect(chain.keyFor("op", ["operator"], 30)).toBe(c.op.publicKey)
    expect(chain.keyFor("op", ["worker"], 30)).toBeUndefined()
    expect(chain.keyFor("w1", ["worker"], 30)).toBe(c.worker.publicKey)
    expect(chain.keyFor("w1", ["operator"], 30)).toBeUndefined()
    expect(await decisionCounts(await approvedTask("op", c.op, 40), root)).toBe(true)
  })

  it("a forged approval by a worker key does not count, whoever it names as the decider", async () => {
    const c = await cast()
    const root = rootOf(c.authority, [
      peer(c.op, "operator", { state: "approved", decisions: [await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)] }),
      peer(c.worker, "worker", { state: "approved", decisions: [await decision(c.op, "w1", "worker", c.worker.publicKey, "approved", 20)] }),
    ])
    // The worker decides as itself: it is not an operator.
    expect(checkTaskDecision(await approvedTask("w1", c.worker, 40), await buildAuthorityChain(root))).toMatchObject({ ok: false })
    // The worker signs in the operator's name: the signature is not the operator's.
    expect(await decisionCounts(await approvedTask("op", c.worker, 40), root)).toBe(false)
    // A worker record rewritten to say "operator", still approved by an operator only.
    const promoted = rootOf(c.authority, [root.peers.op!, { ...root.peers.w1!, role: "operator" }])
    expect(await decisionCounts(await approvedTask("w1", c.worker, 40), promoted)).toBe(false)
    // An unsigned decision does not count either.
    const unsigned = await approvedTask("op", c.op, 40)
    delete unsigned.review!.decisionSig
    expect(checkTaskDecision(unsigned, await buildAuthorityChain(root))).toMatchObject({ ok: false, reason: expect.stringContaining("not signed") })
  })

  it("an operator approved by another operator, not the owner, has no authority (and is reported)", async () => {
    const c = await cast()
    const root = rootOf(c.authority, [
      peer(c.op, "operator", { state: "approved", decisions: [await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)] }),
      peer(c.op2, "operator", { state: "approved", decisions: [await decision(c.op, "op2", "operator", c.op2.publicKey, "approved", 20)] }),
    ])
    const chain = await buildAuthorityChain(root)
    expect(chain.keyFor("op2", ["operator"], 30)).toBeUndefined()
    expect(chain.issues.map(i => i.path)).toEqual(expect.arrayContaining(["peers.op2.decisions.0", "peers.op2"]))
    expect(await decisionCounts(await approvedTask("op2", c.op2, 40), root)).toBe(false)
    // Marked approved with no decision at all: no authority either.
    const bare = await buildAuthorityChain(rootOf(c.authority, [peer(c.op2, "operator", { state: "approved" })]))
    expect(bare.keyFor("op2", ["operator"], 30)).toBeUndefined()
    expect(bare.issues).toContainEqual(expect.objectContaining({ path: "peers.op2" }))
  })

  it("a rotation counts when signed by the old key or the owner, not when signed by anyone else", async () => {
    const c = await cast()
    const next = await keyOf("op")
    const approved = await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)
    const rotation = async (signer: Key, by: string) => ({
      from: c.op.publicKey,
      to: next.publicKey,
      by,
      at: 50,
      sig: await signRecord(signer, keyRotationText({ peer: "op", from: c.op.publicKey, to: next.publicKey, by, at: 50 })),
    })
    for (const [signer, by] of [
      [c.op, "op"],
      [c.owner, "owner"],
    ] as const) {
      const root = rootOf(c.authority, [peer(c.op, "operator", { state: "approved", publicKey: next.publicKey, decisions: [approved], rotations: [await rotation(signer, by)] })])
      const chain = await buildAuthorityChain(root)
      expect(chain.issues).toEqual([])
      expect(chain.keyFor("op", ["operator"], 40)).toBe(c.op.publicKey)
      expect(chain.keyFor("op", ["operator"], 60)).toBe(next.publicKey)
      expect(await decisionCounts(await approvedTask("op", next, 60), root)).toBe(true)
      expect(await decisionCounts(await approvedTask("op", c.op, 60), root)).toBe(false)
    }
    // Signed by a stranger (claiming to be the peer, or the owner): ignored, the old key stays.
    for (const by of ["op", "owner", "stranger"]) {
      const root = rootOf(c.authority, [peer(c.op, "operator", { state: "approved", publicKey: next.publicKey, decisions: [approved], rotations: [await rotation(c.stranger, by)] })])
      const chain = await buildAuthorityChain(root)
      expect(chain.keyFor("op", ["operator"], 60)).toBe(c.op.publicKey)
      expect(chain.issues.map(i => i.path)).toEqual(expect.arrayContaining(["peers.op.rotations.0", "peers.op.publicKey"]))
      expect(await decisionCounts(await approvedTask("op", next, 60), root)).toBe(false)
    }
  })

  it("a swapped public key gains nothing: records are checked against the approved key", async () => {
    const c = await cast()
    const root = rootOf(c.authority, [
      peer(c.op, "operator", { state: "approved", publicKey: c.stranger.publicKey, decisions: [await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)] }),
    ])
    const chain = await buildAuthorityChain(root)
    expect(chain.keyFor("op", ["operator"], 30)).toBe(c.op.publicKey)
    expect(chain.issues).toContainEqual(expect.objectContaining({ path: "peers.op.publicKey" }))
    expect(await decisionCounts(await approvedTask("op", c.stranger, 40), root)).toBe(false)
  })

  it("a revoked operator's later decisions and approvals do not count; its earlier ones still do", async () => {
    const c = await cast()
    const root = rootOf(c.authority, [
      peer(c.op, "operator", {
        state: "revoked",
        decisions: [await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10), await decision(c.owner, "op", "operator", c.op.publicKey, "revoked", 100)],
      }),
      peer(c.worker, "worker", { state: "approved", decisions: [await decision(c.op, "w1", "worker", c.worker.publicKey, "approved", 150)] }),
    ])
    const chain = await buildAuthorityChain(root)
    expect(chain.keyFor("op", ["operator"], 50)).toBe(c.op.publicKey)
    expect(chain.keyFor("op", ["operator"], 100)).toBeUndefined()
    expect(chain.keyFor("w1", ["worker"], 200)).toBeUndefined()
    expect(await decisionCounts(await approvedTask("op", c.op, 50), root)).toBe(true)
    expect(await decisionCounts(await approvedTask("op", c.op, 150), root)).toBe(false)
    // A revocation signed by someone other than the owner ends nothing.
    const forgedRevoke = rootOf(c.authority, [
      peer(c.op, "operator", { state: "revoked", decisions: [root.peers.op!.decisions![0]!, await decision(c.op2, "op", "operator", c.op.publicKey, "revoked", 100)] }),
    ])
    expect((await buildAuthorityChain(forgedRevoke)).keyFor("op", ["operator"], 150)).toBe(c.op.publicKey)
  })

  it("anchors swapped in the root: the pinned ones stay in force and the change is reported", async () => {
    const c = await cast()
    const mallory = await keyOf("mallory")
    const forged = { owner: { name: "mallory", publicKey: mallory.publicKey }, relay: c.authority.relay }
    const root = rootOf(forged, [
      peer(c.op2, "operator", { state: "approved", decisions: [await decision(mallory, "op2", "operator", c.op2.publicKey, "approved", 10)] }),
    ])
    // A reader that never pinned believes the root...
    expect((await buildAuthorityChain(root)).keyFor("op2", ["operator"], 20)).toBe(c.op2.publicKey)
    // ...one that pinned the real anchors does not.
    const dir = makeTempDir(teardown, "vivarium-pins-")
    const pins = fileAnchorPins(dir)
    expect(await pins.pin("ws-chain-0001", c.authority)).toEqual(c.authority)
    const pinned = await pins.pin("ws-chain-0001", forged)
    expect(pinned).toEqual(c.authority)
    const chain = await buildAuthorityChain(root, pinned)
    expect(chain.keyFor("op2", ["operator"], 20)).toBeUndefined()
    expect(chain.keyFor("mallory", ["owner"], 20)).toBeUndefined()
    expect(chain.issues).toContainEqual(expect.objectContaining({ path: "authority", message: expect.stringContaining("differ from the ones this peer pinned") }))
    // A root that lost its anchors is reported too.
    expect((await buildAuthorityChain(rootOf(undefined, []), pinned)).issues).toContainEqual(expect.objectContaining({ path: "authority" }))
  })
})

describe("paired terminals in the chain of authority", () => {
  /** `by` decides on terminal `device` of `operator`, over the device-decision text. */
  async function deviceDecision(by: Key, device: Key, operator: string, state: "approved" | "revoked", at: number) {
    const sig = await signRecord(by, deviceDecisionText({ device: device.name, operator, publicKey: device.publicKey, state, decidedBy: by.name, decidedAt: at }))
    return { state, publicKey: device.publicKey, by: by.name, at, sig }
  }

  it("a terminal approved by its operator (or the owner) signs with that operator's rights, while the operator may", async () => {
    const c = await cast()
    const cli = await keyOf("cli-box-1")
    const opApproved = await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)
    const opRevoked = await decision(c.owner, "op", "operator", c.op.publicKey, "revoked", 100)
    const rootWith = async (op: PeerRecord["decisions"], approver: Key) =>
      rootOf(c.authority, [
        peer(c.op, "operator", { state: "approved", decisions: op }),
        peer(cli, "operator", { state: "approved", deviceOf: "op", decisions: [await deviceDecision(approver, cli, "op", "approved", 20)] }),
      ])
    for (const approver of [c.op, c.owner]) {
      const chain = await buildAuthorityChain(await rootWith([opApproved], approver))
      expect(chain.issues).toEqual([])
      expect(chain.keyFor("cli-box-1", ["operator"], 30)).toBe(cli.publicKey)
      expect(await decisionCounts(await approvedTask("cli-box-1", cli, 40), await rootWith([opApproved], approver))).toBe(true)
    }
    // Its operator revoked: the terminal's rights end at the same moment.
    const revoked = await buildAuthorityChain(await rootWith([opApproved, opRevoked], c.op))
    expect(revoked.keyFor("cli-box-1", ["operator"], 50)).toBe(cli.publicKey)
    expect(revoked.keyFor("cli-box-1", ["operator"], 150)).toBeUndefined()
    expect(await decisionCounts(await approvedTask("cli-box-1", cli, 150), await rootWith([opApproved, opRevoked], c.op))).toBe(false)
  })

  it("a terminal approved by anyone else, over another text, or claiming a terminal as its operator has no authority", async () => {
    const c = await cast()
    const [cli, cli2] = await Promise.all([keyOf("cli-box-1"), keyOf("cli-box-2")])
    const op = peer(c.op, "operator", { state: "approved", decisions: [await decision(c.owner, "op", "operator", c.op.publicKey, "approved", 10)] })
    const op2 = peer(c.op2, "operator", { state: "approved", decisions: [await decision(c.owner, "op2", "operator", c.op2.publicKey, "approved", 10)] })
    const cases: [string, PeerRecord][] = [
      // Another operator signs the approval of op's terminal.
      ["decisions.0", peer(cli, "operator", { state: "approved", deviceOf: "op", decisions: [await deviceDecision(c.op2, cli, "op", "approved", 20)] })],
      // Op signs an ordinary operator approval: only the owner's counts for an operator, and this is no device decision.
      ["decisions.0", peer(cli, "operator", { state: "approved", deviceOf: "op", decisions: [await decision(c.op, "cli-box-1", "operator", cli.publicKey, "approved", 20)] })],
      // Op's signature over "terminal of op2" moved onto a record that says op.
      ["decisions.0", peer(cli, "operator", { state: "approved", deviceOf: "op", decisions: [await deviceDecision(c.op, cli, "op2", "approved", 20)] })],
    ]
    for (const [path, record] of cases) {
      const chain = await buildAuthorityChain(rootOf(c.authority, [op, op2, record]))
      expect(chain.keyFor("cli-box-1", ["operator"], 30)).toBeUndefined()
      expect(chain.issues.map(i => i.path)).toContain(`peers.cli-box-1.${path}`)
    }
    // A terminal of a terminal: no chains of devices.
    const first = peer(cli, "operator", { state: "approved", deviceOf: "op", decisions: [await deviceDecision(c.op, cli, "op", "approved", 20)] })
    const second = peer(cli2, "operator", { state: "approved", deviceOf: "cli-box-1", decisions: [await deviceDecision(cli, cli2, "cli-box-1", "approved", 30)] })
    const chain = await buildAuthorityChain(rootOf(c.authority, [op, first, second]))
    expect(chain.keyFor("cli-box-1", ["operator"], 40)).toBe(cli.publicKey)
    expect(chain.keyFor("cli-box-2", ["operator"], 40)).toBeUndefined()
    expect(chain.issues.map(i => i.path)).toContain("peers.cli-box-2.deviceOf")
  })
})
