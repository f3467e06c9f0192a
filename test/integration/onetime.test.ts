/**
 * One-time tasks over real WebSockets: two operators claim the same task for the same
 * resident while offline; after the merge there is one task, and its approval pays the bonus
 * once on every peer. Claims the rules refuse (done already, not eligible, retired) write
 * nothing; the CLI lists, adds, claims and retires with --json.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { WalletsDoc } from "../../schemas/index.ts"
import { addOneTimeTask, claimOneTimeTask, claimTaskId, oneTimeTasksOf, retireOneTimeTask, type ListedOneTime } from "../../src/domain/onetime/index.ts"
import { openOwnAuditLog } from "../../src/domain/peers/index.ts"
import { forgeIdentity } from "../../src/domain/residents/actions.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { runMain } from "../helpers/cli.ts"
import { ledgerEntries } from "../helpers/ledgerDoc.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, runToReviewAsRelay, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

async function operatorPeer(relay: TestRelay, name: string): Promise<[NodePeer, OperatorContext]> {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  const audit = await openOwnAuditLog(peer.repo, peer.workspace.root, peer.identity)
  return [peer, { workspace: peer.workspace, audit, actor: { kind: "operator", name } }]
}

describe("one-time tasks", () => {
  it("two offline claims of one task for one resident merge into one task; its approval pays the bonus once", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const ada = await forgeIdentity(alice, { name: "Ada" })
    const mira = await forgeIdentity(alice, { name: "Mira" })
    await addOneTimeTask(alice, { id: "crystallize", title: "Crystallize your personality", prompt: "Write who you are in five sentences.", bonusTokens: 25, eligible: [ada.id] })
    // Both operators have the catalogue, the residents and the ledger at hand.
    for (const peer of [a, b])
      await waitFor(async () => (await oneTimeTasksOf(peer.workspace)).some(t => t.id === "crystallize"), { timeoutMs: 10_000, message: "the catalogue at each operator" })

    for (const p of [a, b]) p.repo.networkSubsystem.disconnect()
    await waitFor(() => [a, b].every(p => !relay.repo.peers.includes(p.repo.peerId)), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]], timeoutMs: 20_000, message: "both operators gone from the relay" })
    const fromA = await claimOneTimeTask(alice, "crystallize", { resident: ada.id })
    const fromB = await claimOneTimeTask(bob, "crystallize", { resident: ada.id })
    expect(fromA.id).toBe(claimTaskId("crystallize", ada.id))
    expect(fromB.id).toBe(fromA.id)
    for (const p of [a, b]) p.repo.networkSubsystem.reconnect()

    // One task at the relay; run and approved, the bonus is paid once.
    const id = fromA.id
    await waitFor(() => relay.workspace.tasks.get(id) !== undefined, { events: [[relay.workspace.tasks, "change"]], timeoutMs: 20_000, message: "the claim at the relay once both are back" })
    expect([...relay.workspace.tasks.entries.keys()].filter(k => k.startsWith("onetime-"))).toEqual([id])
    await runToReviewAsRelay(relay, id)
    await waitFor(() => a.workspace.tasks.get(id)?.status === "pending_review", { events: [[a.workspace.tasks, "change"]], timeoutMs: 20_000, message: "the run in review at alice" })
    await decideTask(alice, id, "approve")
    const wallets = (await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)) as DocHandle<WalletsDoc>
    const key = ledgerKeys.bonus("crystallize", ada.id)
    await waitFor(() => [...ledgerEntries(wallets.doc()).values()].some(e => e.key === key), { events: [[wallets, "change"]], timeoutMs: 15_000, message: "the bonus in the ledger" })
    expect([...ledgerEntries(wallets.doc()).values()].filter(e => e.key === key)).toMatchObject([{ identity: ada.id, amount: 25, kind: "grant" }])

    // Done once: a further claim is refused, and so are a resident it is not for and a retired task.
    const listed = await waitFor(async () => {
      const t = (await oneTimeTasksOf(a.workspace)).find(x => x.id === "crystallize")
      return t?.done.length ? t : false
    }, { timeoutMs: 10_000, message: "alice to see it done" })
    expect(listed).toMatchObject({ done: [ada.id], claimed: [] })
    await expect(claimOneTimeTask(alice, "crystallize", { resident: ada.id })).rejects.toMatchObject({ code: "onetime_refused", message: expect.stringContaining("has done it already") })
    await expect(claimOneTimeTask(alice, "crystallize", { resident: mira.id })).rejects.toMatchObject({ code: "onetime_refused", message: expect.stringContaining("for other residents") })
    await retireOneTimeTask(alice, "crystallize")
    await expect(claimOneTimeTask(alice, "crystallize", { resident: ada.id })).rejects.toMatchObject({ message: expect.stringContaining("retired") })
  }, 60_000)

  it("the CLI adds, lists, claims and retires one-time tasks, with --json, and says what is wrong", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const [, alice] = await operatorPeer(relay, "alice")
    const ada = await forgeIdentity(alice, { name: "Ada" })

    const added = await cli("onetime", "add", "--id", "first-poem", "--title", "Write your first poem", "--prompt", "A poem of four lines.", "--bonus", "40", "--json")
    expect(added.value, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout)).toMatchObject({ id: "first-poem", bonusTokens: 40, eligible: [] })
    const again = await cli("onetime", "add", "--id", "first-poem", "--title", "Again", "--prompt", "Again.")
    expect(again.stderr).toContain("A one-time task first-poem exists already.")
    const claimed = await waitFor(async () => {
      const r = await cli("onetime", "claim", "first-poem", "--resident", ada.id, "--json")
      return r.value === 0 ? r : false
    }, { timeoutMs: 10_000, message: "the CLI to see the resident" })
    expect(JSON.parse(claimed.stdout)).toMatchObject({ id: claimTaskId("first-poem", ada.id), bonus: { id: "first-poem", tokens: 40 }, targetIdentity: ada.id })
    const twice = await cli("onetime", "claim", "first-poem", "--resident", ada.id)
    expect(twice.stderr).toContain("has claimed it already")
    const listed = await cli("onetime", "list", "--json")
    expect((JSON.parse(listed.stdout) as ListedOneTime[]).map(t => [t.id, t.claimed])).toEqual([["first-poem", [ada.id]]])
    const table = await cli("onetime", "list")
    expect(table.stdout).toMatch(/first-poem\s+40\s+0\s+1\s+everyone\s+Write your first poem/)
    expect((await cli("onetime", "retire", "first-poem")).stdout).toContain("retired")
    expect((await cli("onetime", "claim", "nope", "--resident", ada.id)).stderr).toMatch(/one-time task nope/)
  }, 60_000)
})
