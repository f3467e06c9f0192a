/**
 * Connections speak for a key: the join secret only enrols; a WebSocket opens only with a
 * fresh, signed challenge for a registered key, and what it may read follows the key's
 * approval.
 */
import type { AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { SCHEMA_VERSION, type RoomDoc } from "../../schemas/index.ts"
import { CLOSE } from "../../schemas/wire.ts"
import { enrolmentProofText } from "../../src/domain/peers/connectionProof.ts"
import { signHex } from "../../src/core/signing.ts"
import { fetchChallenge } from "../../src/peer/enrolClient.ts"
import { connectPeer, connectRelay, fetchWorkspace, PendingApprovalError } from "../../src/peer/nodePeer.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { openRawPeer, proofProtocols, rawUpgrade, tryUpgrade } from "../helpers/rawSocket.ts"
import { approvedIdentity, decide, enrol, freshIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

async function authFailures(relay: TestRelay): Promise<number> {
  const m = /^vivarium_auth_failures_total (\d+)$/m.exec(await (await fetch(`${relay.httpUrl}/metrics`)).text())
  return Number(m![1])
}

/** A raw enrolment request: `sign` decides which key signs the challenge. */
async function postEnrolment(relay: TestRelay, who: PeerIdentity, opts: { signer?: PeerIdentity; token?: string; nonce?: string } = {}): Promise<Response> {
  const { workspaceId } = await fetchWorkspace(relay.wsUrl, relay.token)
  const nonce = opts.nonce ?? (await fetchChallenge(relay.httpUrl))
  const role = who.role === "worker" ? "worker" : "operator"
  const sig = await signHex((opts.signer ?? who).key, enrolmentProofText(workspaceId, who.name, role, who.publicKeyHex, nonce))
  return fetch(`${relay.httpUrl}/api/enrol`, {
    method: "POST",
    headers: { Authorization: `Bearer ${opts.token ?? relay.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: who.name, role, publicKey: who.publicKeyHex, nonce, sig }),
  })
}

describe("WebSocket upgrade: a registered key or nothing", () => {
  it("a stranger, the secret in the URL, a wrong key and a replayed proof all get 401 before any sync message, logged without secrets", async () => {
    const relay = await startTestRelay(teardown)
    const before = await authFailures(relay)

    expect(await tryUpgrade(relay.wsUrl)).toEqual({ status: 401, messages: 0 })
    // The right secret in the URL: no longer a credential, and never written to the log.
    expect(await tryUpgrade(`${relay.wsUrl}/?token=${relay.token}`)).toEqual({ status: 401, messages: 0 })
    expect(await rawUpgrade(relay.port, `/?token=${relay.token}`)).toBe("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

    // A name that is registered, proved with another key.
    const alice = await approvedIdentity(relay)
    const impostor = { ...(await freshIdentity()), name: alice.name }
    expect(await tryUpgrade(relay.wsUrl, { protocols: await proofProtocols(relay, impostor) })).toEqual({ status: 401, messages: 0 })
    // A name nobody enrolled.
    expect(await tryUpgrade(relay.wsUrl, { protocols: await proofProtocols(relay, await freshIdentity()) })).toEqual({ status: 401, messages: 0 })

    // A good proof opens once; the same proof again is a replay.
    const proof = await proofProtocols(relay, alice)
    expect((await tryUpgrade(relay.wsUrl, { protocols: proof })).status).toBe(101)
    expect(await tryUpgrade(relay.wsUrl, { protocols: proof })).toEqual({ status: 401, messages: 0 })

    expect(await authFailures(relay)).toBe(before + 6)
    const refusals = relay.logs.filter(l => l.startsWith("refused "))
    expect(refusals).toHaveLength(6)
    expect(refusals.join("\n")).toMatch(/secret in the URL/)
    expect(refusals.join("\n")).toMatch(/unknown, used or expired challenge/)
    for (const line of relay.logs) {
      expect(line).not.toContain(relay.token)
      expect(line).not.toContain(proof[1]!.slice(8, 40))
    }
  })

  it("a revoked key gets 403, and its open connection is closed", async () => {
    const relay = await startTestRelay(teardown)
    const bob = await approvedIdentity(relay)
    const open = await openRawPeer(teardown, relay, bob)
    await decide(relay, bob.name, "revoked")
    expect((await open.closed).code).toBe(CLOSE.revoked)
    expect(await tryUpgrade(relay.wsUrl, { protocols: await proofProtocols(relay, bob) })).toEqual({ status: 403, messages: 0 })
    await expect(connectPeer({ relay: relay.wsUrl, token: relay.token, identity: bob })).rejects.toThrow(/was revoked in this workspace/)
  })

  it("a peer id connected for one key cannot be taken over by another key", async () => {
    const relay = await startTestRelay(teardown)
    const first = await connectTestPeer(teardown, relay, { peerId: "shared-peer-id" })
    const thief = await openRawPeer(teardown, relay, await approvedIdentity(relay))
    thief.ws.send(Buffer.from((await import("@automerge/automerge-repo")).cbor.encode({ type: "join", senderId: "shared-peer-id", peerMetadata: {} })))
    expect(await thief.closed).toEqual({ code: CLOSE.peerIdTaken, reason: expect.stringMatching(/connected for another peer/) })
    // The first connection still syncs.
    const doc = first.repo.create<RoomDoc>({ schemaVersion: SCHEMA_VERSION, kind: "room", roomId: "still-here", messages: [] })
    await first.flushToRelay()
    expect((await relay.repo.find<RoomDoc>(doc.url)).doc().roomId).toBe("still-here")
  })
})

describe("a pending peer", () => {
  it("reads the root and its own audit log, cannot read the queue, and what it creates goes nowhere", async () => {
    const relay = await startTestRelay(teardown)
    const newcomer = await freshIdentity()
    await expect(connectPeer({ relay: relay.wsUrl, token: relay.token, identity: newcomer })).rejects.toBeInstanceOf(PendingApprovalError)
    const pending = await connectRelay({ relay: relay.wsUrl, token: relay.token, identity: newcomer, retryMs: 200 })
    teardown.add(() => pending.close())
    expect(pending.state()).toBe("pending")
    expect(pending.rootHandle.doc().peers[newcomer.name]?.state).toBe("pending")
    const audit = await pending.repo.find(pending.enrolment.auditUrl as AutomergeUrl)
    expect(audit.doc()).toMatchObject({ kind: "audit", peer: newcomer.name })

    await expect(pending.repo.find(relay.workspace.root.docs.queue as AutomergeUrl)).rejects.toThrow(/unavailable/)
    await expect(pending.repo.find(relay.workspace.root.docs.wallets as AutomergeUrl)).rejects.toThrow(/unavailable/)
    const before = relay.metrics.messagesIn
    const smuggled = pending.repo.create({ smuggled: true })
    // Its first sync message arrives; the relay answers the document as unavailable and keeps nothing of it.
    await waitFor(() => relay.metrics.messagesIn > before, { message: "the pending peer's sync message" })
    await expect(relay.repo.find(smuggled.url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow()

    // Approval opens the workspace on the same connection.
    await decide(relay, newcomer.name, "approved")
    await pending.whenApproved()
    const ws = await pending.openWorkspace()
    expect(ws.tasks.entries.size).toBe(0)
    // Documents it never asked for while pending open as well.
    expect((await pending.repo.find(ws.root.docs.identities as AutomergeUrl)).doc()).toMatchObject({ kind: "identities" })
    ws.close()
  })
})

describe("an approval racing the connection", () => {
  it("an owner approving between the key proof and the socket joining sync: the new peer reads the queue at once", async () => {
    // The relay checks the key proof, then (here) the owner approves before the socket joins.
    let approveDuringUpgrade: string | undefined
    let relay: TestRelay | undefined
    const relayReady = startTestRelay(teardown, {
      extensions: standard =>
        standard.map(e =>
          e.name !== "key-auth"
            ? e
            : {
                ...e,
                async onAuthenticate(req) {
                  const verdict = await e.onAuthenticate!(req)
                  if (verdict.ok && verdict.principal.peer === approveDuringUpgrade) await decide(relay!, verdict.principal.peer, "approved")
                  return verdict
                },
              },
        ),
    })
    relay = await relayReady
    const newcomer = await freshIdentity()
    await enrol(relay, newcomer)
    approveDuringUpgrade = newcomer.name
    const peer = await connectRelay({ relay: relay.wsUrl, token: relay.token, identity: newcomer, retryMs: 200 })
    teardown.add(() => peer.close())
    expect(peer.enrolment.state).toBe("pending")
    await peer.whenApproved()
    const queue = await peer.repo.find(relay.workspace.root.docs.queue as AutomergeUrl)
    expect(queue.doc()).toMatchObject({ kind: "queue" })
  })
})

describe("enrolment", () => {
  it("needs the secret and a proof of the key; the same key again is idempotent; another key under the name gets 409", async () => {
    const relay = await startTestRelay(teardown)
    const carol = await freshIdentity("worker")
    expect((await postEnrolment(relay, carol, { token: "wrong-secret-wrong-secret" })).status).toBe(401)
    // Signed by another key: possession not proven.
    expect((await postEnrolment(relay, carol, { signer: await freshIdentity() })).status).toBe(401)
    expect(relay.workspace.root.peers[carol.name]).toBeUndefined()

    const first = await postEnrolment(relay, carol)
    expect(first.status).toBe(201)
    const record = (await first.json()) as { state: string; auditUrl: string; role: string }
    expect(record).toMatchObject({ name: carol.name, role: "worker", state: "pending" })
    expect(relay.workspace.root.peers[carol.name]).toMatchObject({ publicKey: carol.publicKeyHex, state: "pending", auditUrl: record.auditUrl })

    const again = await postEnrolment(relay, carol)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual(record)

    // A used challenge does not enrol twice.
    const nonce = await fetchChallenge(relay.httpUrl)
    expect((await postEnrolment(relay, await freshIdentity(), { nonce })).status).toBe(201)
    expect((await postEnrolment(relay, await freshIdentity(), { nonce })).status).toBe(401)

    const clash = await postEnrolment(relay, { ...(await freshIdentity("worker")), name: carol.name })
    expect(clash.status).toBe(409)
    expect(((await clash.json()) as { error: string }).error).toMatch(/registered with another key.*pick another name/)
    expect(relay.workspace.root.peers[carol.name]?.publicKey).toBe(carol.publicKeyHex)

    const huge = await fetch(`${relay.httpUrl}/api/enrol`, {
      method: "POST",
      headers: { Authorization: `Bearer ${relay.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(64 * 1024) }),
    })
    expect(huge.status).toBe(413)
    await enrol(relay, carol)
  })
})

describe("the owner", () => {
  it("is registered as an approved operator and pinned with the relay's key at creation; a restart as another operator changes nothing", async () => {
    const dataDir = makeTempDir(teardown, "vivarium-owned-")
    const owner = await freshIdentity("operator", "olga")
    const first = await startTestRelay(teardown, { dataDir, owner })
    const authority = first.workspace.root.authority
    expect(authority).toEqual({ owner: { name: "olga", publicKey: owner.publicKeyHex }, relay: { name: "relay", publicKey: first.workspace.root.peers.relay!.publicKey } })
    expect(first.workspace.root.peers.olga).toMatchObject({ role: "operator", state: "approved", publicKey: owner.publicKeyHex })
    await first.close()

    const second = await startTestRelay(teardown, { dataDir, owner: await freshIdentity("operator", "mallory") })
    expect(second.workspace.root.authority).toEqual(authority)
    expect(second.workspace.root.peers.mallory).toBeUndefined()
    expect(second.logs).toContain("the workspace owner is olga; mallory starts this relay as an ordinary operator")
  })
})

