/**
 * A workspace on a network-less, in-memory Repo with registered, auditing operators and a
 * few forged residents: what the social action tests (quests, mailbox, bounties) start from.
 */
import { Repo, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import type { Actor, AuditEntry, Identity, RoomDoc, RoomIndexDoc, RootDoc, WalletsDoc } from "../../schemas/index.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import type { RecordSigner } from "../../src/core/signedRecords.ts"
import { generateSigningKey, importPrivateKey, type SigningKeyPair } from "../../src/core/signing.ts"
import { auditEntries, AuditLog } from "../../src/domain/audit/auditLog.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { decidePeer } from "../../src/domain/peers/actions.ts"
import { type OperatorContext } from "../../src/workspace/actionContext.ts"
import { openOwnAuditLog } from "../../src/domain/peers/registerPeer.ts"
import { openWallets, walletOf } from "../../src/domain/wallets/actions.ts"
import { Workspace } from "../../src/workspace/workspace.ts"
import { connectTestPeer, type RelayAddress } from "./peers.ts"
import type { Teardown } from "./teardown.ts"
import { ledgerEntries } from "./ledgerDoc.ts"

export const NOW = 1_764_000_000_000

/** Registers `name` as an operator of the workspace and returns its signing context (the workspace's owner approves it when it is the fixture's). */
export async function operatorContext(ws: Workspace, name: string, now?: number): Promise<OperatorContext> {
  const ctx = await signingContext(ws, name, now, true)
  const owner = owners.get(ws)
  if (owner) await decidePeer(owner, name, "approved")
  return ctx
}

/** The signing context of the operator a connected test peer speaks for (approved when it connected). */
export async function peerOperator(peer: NodePeer): Promise<OperatorContext> {
  const audit = await openOwnAuditLog(peer.repo, () => peer.workspace.root, peer.identity)
  return { workspace: peer.workspace, audit, actor: { kind: "operator", name: peer.identity.name } }
}

/** The owner's context of each fixture workspace, to approve the operators added later. */
const owners = new WeakMap<Workspace, OperatorContext>()

/** `name`'s context with a new key (or `pair`) and audit log; `register` records both in the workspace's peers. */
async function signingContext(ws: Workspace, name: string, now: number | undefined, register: boolean, pair?: SigningKeyPair, role: "operator" | "worker" = "operator"): Promise<OperatorContext> {
  pair ??= await generateSigningKey()
  const auditDoc = AuditLog.createAuditDoc(ws.repo, name)
  if (register)
    ws.rootHandle.change((d: RootDoc) => {
      d.peers[name] = { name, role, publicKey: pair.publicKeyHex, state: "pending", registeredAt: 1, auditUrl: auditDoc.url }
    })
  const actor: Actor = { kind: role, name }
  const audit = new AuditLog(auditDoc, { actor, key: await importPrivateKey(pair.privateKeyPkcs8) }, { now: () => now ?? Date.now() })
  return { workspace: ws, audit, actor, ...(now !== undefined ? { now } : {}) }
}

export interface SocialFixture {
  repo: Repo
  ws: Workspace
  /** Operator "alice", the workspace's owner, clock at NOW. */
  ctx: OperatorContext
  /** A worker approved by alice that plays `residents`: it signs resident spends. */
  worker(name: string, residents: string[]): Promise<RecordSigner>
  doc<T>(url: string): Promise<DocHandle<T>>
  /** The free-time and journal balance of a resident, derived from the ledger. */
  balance(resident: string): Promise<{ freeTime: number; journal: number }>
  ledgerKeys(): Promise<string[]>
  auditOf(ctx: OperatorContext): AuditEntry[]
  roomMessages(roomId: string): Promise<RoomDoc["messages"]>
  close(): Promise<void>
}

export async function socialFixture(residents: string[] = ["Ada", "Bo"]): Promise<SocialFixture> {
  const repo = new Repo({ network: [] })
  const [alice, relayKey] = await Promise.all([generateSigningKey(), generateSigningKey()])
  const authority = { owner: { name: "alice", publicKey: alice.publicKeyHex }, relay: { name: "relay", publicKey: relayKey.publicKeyHex } }
  const root = createWorkspace(repo, { name: "Lab", workspaceId: "ws-social-0001", createdBy: "alice", now: 1, authority })
  const ws = await Workspace.open(repo, root.url)
  const ctx = await signingContext(ws, "alice", NOW, true, alice)
  // Alice forges the residents, auditing to a setup log of its own: `ctx`'s log then holds
  // only what the test itself does.
  const setup = await signingContext(ws, "alice", NOW, false, alice)
  owners.set(ws, setup)
  for (const name of residents) await forgeIdentity(setup, { name })
  const doc = <T>(url: string) => repo.find<T>(url as AutomergeUrl)
  const wallets = () => doc<WalletsDoc>(ws.root.docs.wallets)
  return {
    repo,
    ws,
    ctx,
    async worker(name, plays) {
      const w = await signingContext(ws, name, NOW, true, undefined, "worker")
      ws.rootHandle.change((d: RootDoc) => {
        d.peers[name]!.identities = plays
      })
      await decidePeer(setup, name, "approved")
      return w.audit.signer
    },
    doc,
    async balance(resident) {
      const { freeTime, journal } = await walletOf(ws, await openWallets(ws), resident)
      return { freeTime, journal }
    },
    async ledgerKeys() {
      return [...ledgerEntries((await wallets()).doc()).keys()].sort()
    },
    auditOf: c => auditEntries(c.audit.handle.doc()),
    async roomMessages(roomId) {
      const index = (await doc<RoomIndexDoc>(ws.root.docs.rooms)).doc()
      const entry = index.rooms[roomId]
      if (!entry) throw new Error(`no room ${roomId}`)
      return (await doc<RoomDoc>(entry.url)).doc().messages
    },
    async close() {
      ws.close()
      await repo.shutdown()
    },
  }
}

/** Forges a resident through a Node operator peer of a running relay (as another operator's browser would). */
export async function forgeResidentAt(teardown: Teardown, relay: RelayAddress, name: string): Promise<{ node: NodePeer; resident: Identity }> {
  const node = await connectTestPeer(teardown, relay)
  const ctx = await peerOperator(node)
  const resident = await forgeIdentity(ctx, { name, statement: "I map what others overlook.", traits: ["patient"], values: ["care"] })
  await node.flushToRelay()
  return { node, resident }
}
