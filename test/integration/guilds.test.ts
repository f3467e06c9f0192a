/**
 * Guilds over real WebSockets: an operator founds a guild and asks for residents to join;
 * members vote (an operator may vote as itself) and the relay decides each request at two
 * votes, adding the member. Two operators voting offline on one request (one of them casting
 * the same member's vote as the other did) merge into one decision and one membership, the
 * same document on every peer. The gate refuses a worker adding its resident as a member and
 * an applicant's vote. The CLI founds, asks, votes, leaves, lists and shows, with --json,
 * keeping votes hidden until the decision.
 */
import type { AutomergeUrl, DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { CommunityDoc, IdentitiesDoc, RootDoc } from "../../schemas/index.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"
import { castGuildVote, foundGuild, requestToJoin, type GuildBoard, type ShownGuild } from "../../src/domain/guilds/index.ts"
import { forgeIdentity, residents } from "../../src/domain/residents/actions.ts"
import { voteKey } from "../../src/domain/votes/index.ts"
import { grantManually } from "../../src/domain/wallets/index.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { runMain } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { peerOperator } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

async function operatorPeer(relay: TestRelay, name: string): Promise<[NodePeer, OperatorContext]> {
  const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", name) })
  return [peer, await peerOperator(peer)]
}

function communityOf(peer: NodePeer | TestRelay): Promise<DocHandle<CommunityDoc>> {
  return peer.repo.find<CommunityDoc>(peer.workspace.root.docs.community as AutomergeUrl)
}

/** Waits until `check` holds on this copy of the community document. */
function until(handle: DocHandle<CommunityDoc>, check: (doc: CommunityDoc) => boolean, message: string): Promise<true> {
  return waitFor(() => check(handle.doc()), { events: [[handle, "change"]], timeoutMs: 15_000, message })
}

/** The relay's decision on `request` once it is written there. */
async function decidedAtRelay(relay: TestRelay, request: string) {
  const handle = await communityOf(relay)
  await until(handle, d => !!d.requests[request]?.decision, `the relay to decide ${request}`)
  return handle.doc().requests[request]!.decision!
}

describe("guilds", () => {
  it("two votes and the relay decides: accepted, the member added; every step in the operator's audit log", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [ada, bo, cy] = await Promise.all(["Ada", "Bo", "Cy"].map(name => forgeIdentity(alice, { name })))
    const guild = await foundGuild(alice, { name: "Gardeners", motto: "We grow things", founder: ada!.id })
    expect(guild.members).toEqual({ [ada!.id]: { joinedAt: guild.foundedAt } })
    // The gate judges a vote by the members the relay holds: the founding gets there first.
    const atRelay = await communityOf(relay)
    await until(atRelay, d => !!d.guilds[guild.id], "the guild at the relay")

    // A one-member guild is not stuck: an operator votes as itself beside the founder.
    const first = await requestToJoin(alice, "Gardeners", { applicant: bo!.id, note: "Bo tends the tomatoes" })
    await castGuildVote(alice, first.id, { voter: ada!.id, voterKind: "resident", choice: "accept", reason: "a steady hand" })
    await until(atRelay, d => Object.keys(d.requests[first.id]?.votes ?? {}).length === 1, "the first vote at the relay")
    // One vote is short of the quorum: nothing is decided.
    expect(atRelay.doc().requests[first.id]!.decision).toBeUndefined()
    await castGuildVote(alice, first.id, { voter: "alice", voterKind: "operator", choice: "accept", reason: "seconded" })
    expect(await decidedAtRelay(relay, first.id)).toMatchObject({ outcome: "accepted", score: 1, counted: [voteKey("resident", ada!.id), voteKey("operator", "alice")] })
    expect(atRelay.doc().guilds[guild.id]!.members[bo!.id]).toMatchObject({ request: first.id })

    // Two members now: their votes decide the next request, 1 of 2 accepting is under 60 %.
    const mine = await communityOf(a)
    await until(mine, d => !!d.guilds[guild.id]?.members[bo!.id], "alice to see Bo as a member")
    const second = await requestToJoin(alice, guild.id, { applicant: cy!.id })
    await castGuildVote(alice, second.id, { voter: ada!.id, voterKind: "resident", choice: "accept", reason: "why not" })
    await castGuildVote(alice, second.id, { voter: bo!.id, voterKind: "resident", choice: "reject", reason: "not yet" })
    expect(await decidedAtRelay(relay, second.id)).toMatchObject({ outcome: "rejected", score: 0.5 })
    expect(atRelay.doc().guilds[guild.id]!.members[cy!.id]).toBeUndefined()

    // A vote's choice stays out of the signed audit log: the round is blind.
    const audited = auditEntries(alice.audit.handle.doc()).filter(e => e.kind === "community")
    expect(audited.map(e => (JSON.parse(e.data) as { action: string }).action)).toEqual(["guild_founded", "join_requested", "guild_vote", "guild_vote", "join_requested", "guild_vote", "guild_vote"])
    expect(audited.map(e => e.data).join(" ")).not.toMatch(/accept|reject/)
  }, 60_000)

  it("two operators vote offline on one request, one of them casting the same member's vote too: one decision, one membership, one document", async () => {
    const relay = await startTestRelay(teardown)
    const [a, alice] = await operatorPeer(relay, "alice")
    const [b, bob] = await operatorPeer(relay, "bob")
    const [ada, bo, cy] = await Promise.all(["Ada", "Bo", "Cy"].map(name => forgeIdentity(alice, { name })))
    const guild = await foundGuild(alice, { name: "Weavers", founder: ada!.id })
    const atRelay = await communityOf(relay)
    await until(atRelay, d => !!d.guilds[guild.id], "the guild at the relay")
    const admitBo = await requestToJoin(alice, guild.id, { applicant: bo!.id })
    await castGuildVote(alice, admitBo.id, { voter: ada!.id, voterKind: "resident", choice: "accept", reason: "yes" })
    await castGuildVote(alice, admitBo.id, { voter: "alice", voterKind: "operator", choice: "accept", reason: "yes" })
    await decidedAtRelay(relay, admitBo.id)
    const request = await requestToJoin(alice, guild.id, { applicant: cy!.id })
    // Both operators hold the residents, the request and Bo's membership before they go offline.
    const copies = await Promise.all([a, b].map(communityOf))
    for (const copy of copies) await until(copy, d => !!d.guilds[guild.id]?.members[bo!.id] && !!d.requests[request.id], "the request at each operator")
    for (const peer of [a, b]) await waitFor(async () => (await residents(peer.workspace)).has(bo!.id), { timeoutMs: 10_000, message: "the residents at each operator" })

    for (const p of [a, b]) p.repo.networkSubsystem.disconnect()
    await waitFor(() => [a, b].every(p => !relay.repo.peers.includes(p.repo.peerId)), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]] })
    await castGuildVote(alice, request.id, { voter: ada!.id, voterKind: "resident", choice: "accept", reason: "Ada says yes (via alice)" })
    await castGuildVote(bob, request.id, { voter: bo!.id, voterKind: "resident", choice: "accept", reason: "Bo says yes" })
    await castGuildVote(bob, request.id, { voter: ada!.id, voterKind: "resident", choice: "accept", reason: "Ada says yes (via bob)" })
    for (const p of [a, b]) p.repo.networkSubsystem.reconnect()

    const decision = await decidedAtRelay(relay, request.id)
    expect(decision).toMatchObject({ outcome: "accepted", score: 1 })
    expect([...decision.counted].sort()).toEqual([voteKey("resident", ada!.id), voteKey("resident", bo!.id)].sort())
    // Every peer converges on the same document: one vote per voter, one decision, Cy a member once.
    const all = [...copies, atRelay]
    await waitFor(() => new Set(all.map(h => h.heads().slice().sort().join(","))).size === 1, { events: all.map(h => [h, "change"] as const), timeoutMs: 15_000, message: "the community document to converge" })
    for (const copy of all) {
      const doc = copy.doc()
      expect(doc).toEqual(atRelay.doc())
      expect(Object.keys(doc.requests[request.id]!.votes).sort()).toEqual([voteKey("resident", ada!.id), voteKey("resident", bo!.id)].sort())
      expect(Object.keys(doc.guilds[guild.id]!.members).sort()).toEqual([ada!.id, bo!.id, cy!.id].sort())
      expect(doc.guilds[guild.id]!.members[cy!.id]).toMatchObject({ request: request.id })
      expect(Object.values(doc.requests).filter(r => r.applicant === cy!.id && r.decision)).toHaveLength(1)
    }
    expect(relay.logs.filter(l => l.startsWith("refused a change"))).toEqual([])
  }, 60_000)

  it("the gate refuses a worker adding the resident it plays as a member, and the applicant's own vote", async () => {
    const relay = await startTestRelay(teardown)
    const [, alice] = await operatorPeer(relay, "alice")
    const [ada, cy, dee] = await Promise.all(["Ada", "Cy", "Dee"].map(name => forgeIdentity(alice, { name })))
    const guild = await foundGuild(alice, { name: "Potters", founder: ada!.id })
    const request = await requestToJoin(alice, guild.id, { applicant: cy!.id })

    /** A worker the relay leases `resident` to, holding the guild and the request. */
    async function workerPlaying(resident: string): Promise<[string, DocHandle<CommunityDoc>]> {
      const peer = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "worker") })
      const name = peer.identity.name
      peer.workspace.rootHandle.change((d: RootDoc) => Object.assign(d.peers[name]!, { identities: [resident], lastSeen: Date.now() }))
      const leases = await peer.repo.find<IdentitiesDoc>(peer.workspace.root.docs.identities as AutomergeUrl)
      await waitFor(() => leases.doc().leases?.[resident]?.holder === name, { events: [[leases, "change"]], timeoutMs: 10_000, message: `${name} to play ${resident}` })
      const community = await communityOf(peer)
      await until(community, d => !!d.requests[request.id], `${name} to hold the request`)
      return [name, community]
    }

    const [joiner, joinerCopy] = await workerPlaying(dee!.id)
    joinerCopy.change(d => {
      d.guilds[guild.id]!.members[dee!.id] = { joinedAt: Date.now() }
    })
    const [applicant, applicantCopy] = await workerPlaying(cy!.id)
    applicantCopy.change(d => {
      d.requests[request.id]!.votes[voteKey("resident", cy!.id)] = { voter: cy!.id, voterKind: "resident", choice: "accept", reason: "let me in", at: Date.now(), by: applicant }
    })
    for (const [who, reason] of [
      [joiner, `${joiner} cannot add ${dee!.id} as a member: the relay adds members`],
      [applicant, `${cy!.id} is the applicant: it does not vote on its own request`],
    ] as const)
      await waitFor(() => relay.logs.some(l => l.startsWith(`refused a change from ${who}`) && l.includes(reason)), { intervalMs: 50, timeoutMs: 10_000, message: `the relay to refuse: ${reason}` })
    const atRelay = (await communityOf(relay)).doc()
    expect(Object.keys(atRelay.guilds[guild.id]!.members)).toEqual([ada!.id])
    expect(atRelay.requests[request.id]!.votes).toEqual({})
  }, 60_000)

  it("the CLI founds, asks, votes (blind until decided), leaves, lists and shows, with --json, and says what is wrong", async () => {
    const relay = await startTestRelay(teardown)
    const cli = (...args: string[]) => runMain([...args, "--data", relay.dataDir])
    const [a, alice] = await operatorPeer(relay, "alice")
    const [ada, bo, eve] = await Promise.all(["Ada", "Bo", "Eve"].map(name => forgeIdentity(alice, { name })))
    // Granted before Bo is a member: it is not the guild's.
    await grantManually(alice, bo!.id, { amount: 15, reason: "before the guild" })

    const founded = await waitFor(async () => {
      const r = await cli("guild", "found", "--name", "Gardeners", "--founder", ada!.id, "--motto", "We grow things", "--json")
      return r.value === 0 ? r : false
    }, { timeoutMs: 10_000, message: "the CLI to see the resident" })
    const guild = JSON.parse(founded.stdout) as { id: string }
    await grantManually(alice, ada!.id, { amount: 20, reason: "a member's work" })
    await a.flushToRelay()
    expect((await cli("guild", "found", "--name", "Gardeners", "--founder", eve!.id)).stderr).toContain("a guild named Gardeners exists already")
    const asked = await cli("guild", "join", "Gardeners", "--applicant", bo!.id, "--note", "Bo tends the tomatoes", "--json")
    expect(asked.value, asked.stderr).toBe(0)
    const request = (JSON.parse(asked.stdout) as { id: string }).id
    const voted = await cli("guild", "vote", request, "--voter", ada!.id, "--choice", "accept", "--reason", "a steady hand", "--json")
    expect(voted.value, voted.stderr).toBe(0)

    // Pending: who voted and how many more are needed, never how.
    const pending = await cli("guild", "show", guild.id, "--json")
    const shown = JSON.parse(pending.stdout) as ShownGuild
    expect(shown.requests).toMatchObject([{ id: request, applicant: bo!.id, status: "pending", round: { decided: false, voters: [{ voter: ada!.id, voterKind: "resident" }], needed: 1 } }])
    expect(pending.stdout).not.toMatch(/accept|steady hand/)
    expect((await cli("guild", "show", "Gardeners")).stdout).toMatch(/voted: Ada \(.+\); 1 more vote\(s\) needed/)

    // Refusals say why; a usage error names both ways to vote.
    expect((await cli("guild", "vote", request, "--voter", ada!.id, "--choice", "accept", "--reason", "again")).stderr).toContain("has voted on it already")
    expect((await cli("guild", "vote", request, "--voter", bo!.id, "--choice", "accept", "--reason", "me!")).stderr).toContain("is the applicant")
    expect((await cli("guild", "vote", request, "--voter", eve!.id, "--as-operator", "--choice", "accept", "--reason", "both")).stderr).toContain("--voter RESIDENT")
    expect((await cli("guild", "vote", "join-nope", "--as-operator", "--choice", "accept", "--reason", "yes")).stderr).toContain("There is no join request join-nope.")

    // The operator's own vote decides it; then every vote and the tally are shown.
    expect((await cli("guild", "vote", request, "--as-operator", "--choice", "accept", "--reason", "seconded")).value).toBe(0)
    await decidedAtRelay(relay, request)
    const decided = JSON.parse((await cli("guild", "show", guild.id, "--json")).stdout) as ShownGuild
    expect(decided.members.map(m => m.resident)).toEqual([ada!.id, bo!.id])
    expect(decided.requests[0]).toMatchObject({ status: "accepted", round: { decided: true, decision: { outcome: "accepted", score: 1 } } })
    expect(decided.requests[0]!.round.decided && decided.requests[0]!.round.votes.map(v => [v.voterKind, v.choice, v.late])).toEqual([
      ["resident", "accept", false],
      ["operator", "accept", false],
    ])

    // Eve founds a guild and leaves it: it is kept, disbanded; the list says how many requests wait.
    const weavers = JSON.parse((await cli("guild", "found", "--name", "Weavers", "--founder", eve!.id, "--json")).stdout) as { id: string }
    expect((await cli("guild", "leave", "Weavers", "--member", eve!.id)).stdout).toContain("disbanded")
    expect((await cli("guild", "leave", "Weavers", "--member", eve!.id)).stderr).toContain(`${eve!.id} is not a member of Weavers`)
    const board = JSON.parse((await cli("guild", "list", "--sort", "members", "--json")).stdout) as GuildBoard
    expect(board.sort).toBe("members")
    expect(board.guilds.map(s => [s.guild.id, s.members.length, s.earned, s.disbanded])).toEqual([
      [guild.id, 2, 20, false],
      [weavers.id, 0, 0, true],
    ])
    expect(board.pendingRequests).toBe(0)
    const table = await cli("guild", "list")
    expect(table.stdout).toMatch(/1 Gardeners\s+2\s+20\s+0/)
    expect(table.stdout).toMatch(/2 Weavers\s+disbanded/)
    expect((await cli("guild", "list", "--sort", "fame")).stderr).toContain("sort by earned, bounties or members")
    expect((await cli("guild", "show", "Nobody")).stderr).toContain("There is no guild Nobody.")
  }, 90_000)
})
