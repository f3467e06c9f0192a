/**
 * The relay's change gate in memory: a "relay" Repo holding a fresh workspace, and peers,
 * each a Repo with a copy of every relay document, whose writes (made with the real action
 * code) reach the relay only as real Automerge sync messages judged by the gate.
 */
import * as A from "@automerge/automerge"
import { Repo, type AutomergeUrl, type DocHandle, type DocumentId } from "@automerge/automerge-repo"
import { ChangeGate, type GateVerdict } from "../../peer-server/gate/changeGate.ts"
import type { Principal, PrincipalRole } from "../../src/core/principal.ts"
import { createWorkspace } from "../../src/workspace/createWorkspace.ts"
import { Workspace } from "../../src/workspace/workspace.ts"
import { makeTempDir } from "./tempDir.ts"
import type { Teardown } from "./teardown.ts"

export const principal = (peer: string, role: PrincipalRole): Principal => ({ peer, role, publicKeyHex: "ab".repeat(32) })

/**
 * A sync message from `from` carrying exactly the changes `to` lacks (`from` holds all of
 * `to`), as single change chunks; peers' pushes below run a real sync session instead.
 */
export function syncMessage(from: A.Doc<unknown>, to: A.Doc<unknown>): Uint8Array {
  const changes = A.getChanges(to, from)
  if (!changes.length) throw new Error("nothing to send")
  return A.encodeSyncMessage({ heads: A.getHeads(from), need: [], have: [], changes })
}

export interface GatePeer {
  repo: Repo
  workspace: Workspace
  who: Principal
  /** Offers every document this peer changed to the gate; applies what it accepts to the relay. */
  push(): Promise<Map<string, GateVerdict>>
}

export interface GateHarness {
  relay: Repo
  workspace: Workspace
  gate: ChangeGate
  dataDir: string
  logs: string[]
  peer(name: string, role: PrincipalRole): Promise<GatePeer>
  /** The relay's own write (never gated), seen by peers that join or resync after it. */
  relayChange<T>(url: string, change: (d: T) => void): Promise<void>
}

export async function startGateHarness(teardown: Teardown, dataDir = makeTempDir(teardown, "vivarium-gate-")): Promise<GateHarness> {
  const relay = new Repo({ network: [] })
  teardown.add(() => relay.shutdown())
  const root = createWorkspace(relay, { name: "Test", workspaceId: "ws-test-1234", createdBy: "relay", now: 1_000 })
  const workspace = await Workspace.open(relay, root.url)
  teardown.add(() => workspace.close())
  const logs: string[] = []
  const gate = new ChangeGate({ repo: relay, workspace, rootUrl: root.url, dataDir, log: line => logs.push(line) })
  const peers: GatePeer[] = []

  /** Brings a peer's copies up to the relay's (the relay's own writes reach everyone). */
  const pull = (repo: Repo) => {
    for (const [id, handle] of Object.entries(relay.handles)) {
      if (!handle.isReady()) continue
      const mine = repo.handles[id as DocumentId]
      if (mine?.isReady()) mine.update(doc => A.merge(doc, A.clone(handle.doc())))
      else repo.import(A.save(handle.doc()), { docId: id as DocumentId })
    }
  }

  return {
    relay,
    workspace,
    gate,
    dataDir,
    logs,
    async peer(name, role) {
      const repo = new Repo({ network: [] })
      teardown.add(() => repo.shutdown())
      pull(repo)
      const ws = await Workspace.open(repo, root.url)
      teardown.add(() => ws.close())
      const who = principal(name, role)
      const peer: GatePeer = {
        repo,
        workspace: ws,
        who,
        async push() {
          const verdicts = new Map<string, GateVerdict>()
          for (const [id, handle] of Object.entries(repo.handles)) {
            if (!handle.isReady()) continue
            const theirs = relay.handles[id as DocumentId] as DocHandle<unknown> | undefined
            const start = theirs?.isReady() ? theirs.doc() : A.init<unknown>()
            if (!A.getChanges(start, handle.doc()).length) continue
            // A real sync session: the relay applies exactly what the gate accepted.
            let mine = A.clone(handle.doc())
            let ours = A.clone(start)
            let peerState = A.initSyncState()
            let relayState = A.initSyncState()
            let verdict: GateVerdict = "accept"
            for (let round = 0; round < 10; round++) {
              const [nextRelayState, toPeer] = A.generateSyncMessage(ours, relayState)
              relayState = nextRelayState
              if (toPeer) [mine, peerState] = A.receiveSyncMessage(mine, peerState, toPeer)
              const [nextPeerState, toRelay] = A.generateSyncMessage(mine, peerState)
              peerState = nextPeerState
              if (!toRelay) break
              verdict = await gate.check(who, id, toRelay)
              if (verdict !== "accept") break
              ;[ours, relayState] = A.receiveSyncMessage(ours, relayState, toRelay)
            }
            verdicts.set(id, verdict)
            if (!A.getHeads(ours).length) continue
            if (theirs?.isReady()) theirs.update(() => ours)
            else relay.import(A.save(ours), { docId: id as DocumentId })
          }
          for (const p of peers) pull(p.repo)
          return verdicts
        },
      }
      peers.push(peer)
      return peer
    },
    async relayChange<T>(url: string, change: (d: T) => void) {
      const handle = await relay.find<T>(url as AutomergeUrl)
      handle.change(d => change(d as T))
      for (const p of peers) pull(p.repo)
    },
  }
}

/** Every verdict of a push, as "accept" or the refusal reasons. */
export function refusals(verdicts: Map<string, GateVerdict>): string[] {
  return [...verdicts.values()].flatMap(v => (v === "accept" ? [] : [v.refuse]))
}
