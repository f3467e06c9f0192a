/**
 * One person, one name across the panel and the CLI: a terminal pairs with an operator
 * (`vivarium pair`, confirmed with the action the panel's Pair card uses), acts with that
 * operator's authority and shows under that operator's display name; wrong, used and expired
 * codes and strangers are refused with clear errors. On the relay's machine the CLI acts as
 * the owner through the data directory, without pairing.
 */
import { mkdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { AuditDoc } from "../../schemas/index.ts"
import { confirmPairing, decidePeer, openOwnAuditLog, peerLabel, type PeerIdentity } from "../../src/domain/peers/index.ts"
import { pairingClaimer } from "../../src/peer/enrolClient.ts"
import { enrolIdentity, fetchWorkspace, type NodePeer } from "../../src/peer/nodePeer.ts"
import type { OperatorContext } from "../../src/workspace/actionContext.ts"
import { spawnCli, type CliChild } from "../helpers/child.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer, operatorOf } from "../helpers/peers.ts"
import { decide, freshIdentity, startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { spawnRelay } from "../helpers/relayProcess.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown, type Teardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { auditEntries } from "../../src/domain/audit/index.ts"

const teardown = useTeardown()

/** An approved operator who gave the name "Ada Lovelace", connected as the panel would be, and how it claims codes. */
async function ada(relay: TestRelay): Promise<{ identity: PeerIdentity; peer: NodePeer; ctx: OperatorContext; claim: ReturnType<typeof pairingClaimer> }> {
  const identity = await freshIdentity("operator", "Ada-Lovelace")
  const { workspaceId } = await fetchWorkspace(relay.wsUrl, relay.token)
  await enrolIdentity(relay.wsUrl, relay.token, workspaceId, identity, { displayName: "Ada Lovelace" })
  await decide(relay, identity.name, "approved")
  const peer = await connectTestPeer(teardown, relay, { identity })
  const audit = await openOwnAuditLog(peer.repo, peer.workspace.root, identity)
  return { identity, peer, ctx: { workspace: peer.workspace, audit, actor: operatorOf(peer) }, claim: pairingClaimer(relay.httpUrl, relay.token, workspaceId, identity) }
}

/** A machine away from the relay's data directory: its own home, the relay named in the environment. */
function terminal(t: Teardown, relay: TestRelay) {
  const cwd = makeTempDir(t, "vivarium-terminal-cwd-")
  const env = { VIVARIUM_HOME: makeTempDir(t, "vivarium-terminal-home-"), VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: relay.token }
  return { cwd, env, run: (args: string[]) => runCli(args, { cwd, env }), pair: () => spawnCli(["pair", "--json"], { cwd, env }) }
}

/** The first JSON line `vivarium pair --json` prints: the code and its link. */
async function offerOf(pair: CliChild): Promise<{ code: string; link: string; terminal: string }> {
  const line = await waitFor(() => pair.stdout().split("\n").find(l => l.startsWith("{")) ?? (pair.isRunning() ? false : `exited: ${pair.stderr()}`), {
    timeoutMs: 20_000,
    events: [[pair.child.stdout!, "data"]],
    message: "vivarium pair to print its code",
  })
  return JSON.parse(line) as { code: string; link: string; terminal: string }
}

describe("pairing a terminal with an operator", () => {
  it("the operator confirms the code; the terminal then acts as that operator, under that operator's name", async () => {
    const relay = await startTestRelay(teardown)
    const { ctx, claim } = await ada(relay)
    const box = terminal(teardown, relay)

    const unpaired = await box.run(["task", "list"])
    expect(unpaired.code).toBe(2)
    expect(unpaired.stderr.trim()).toMatch(/^vivarium: this terminal is not paired with the workspace "Vivarium": run `vivarium pair`/)

    const pair = box.pair()
    teardown.add(() => pair.stop("SIGKILL"))
    const offer = await offerOf(pair)
    expect(offer.code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/)
    expect(offer.link).toBe(`${relay.httpUrl}/settings#pair=${offer.code}`)
    expect(offer.link).not.toContain(relay.token)

    // Refused, each with a reason a person can act on; none of them uses up the code.
    await expect(confirmPairing(ctx, "hello", claim)).rejects.toThrow(/a pairing code has 8 letters and digits/i)
    await expect(confirmPairing(ctx, "ZZZZ-ZZZZ", claim)).rejects.toThrow(/no terminal is waiting with the code ZZZZ-ZZZZ: check it, or run `vivarium pair` again/)
    const stranger = await freshIdentity("operator", "stranger")
    const { workspaceId } = await fetchWorkspace(relay.wsUrl, relay.token)
    await enrolIdentity(relay.wsUrl, relay.token, workspaceId, stranger, { displayName: "Stranger" })
    await expect(pairingClaimer(relay.httpUrl, relay.token, workspaceId, stranger)(offer.code.replace("-", ""))).rejects.toThrow(/stranger is not an approved operator: only approved operators pair terminals/)
    // Nor does an operator approve a waiting terminal without its code: it is no device of anyone yet.
    await waitFor(() => ctx.workspace.root.peers[offer.terminal], { events: [[ctx.workspace.rootHandle, "change"]] })
    await expect(decidePeer(ctx, offer.terminal, "approved")).rejects.toThrow(/only the workspace's owner \(owner\) approves and revokes operators/i)

    expect(await confirmPairing(ctx, offer.code.toLowerCase(), claim)).toBe(offer.terminal)
    expect(await pair.exited).toEqual({ code: 0, signal: null })
    expect(pair.stdout().trim().split("\n").at(-1)).toBe(JSON.stringify({ paired: true, as: "terminal", operator: "Ada Lovelace", terminal: offer.terminal }))
    await expect(confirmPairing(ctx, offer.code, claim)).rejects.toThrow(/no terminal is waiting with the code/)

    // The terminal's action: signed by its own key, valid with Ada's authority, shown as Ada.
    const added = await box.run(["task", "add", "--command", "echo from the terminal", "--title", "Terminal task"])
    expect(added.code, added.stderr).toBe(0)
    const id = added.stdout.trim()
    const root = relay.workspace.root
    expect(relay.workspace.tasks.get(id)).toMatchObject({ createdBy: offer.terminal, title: "Terminal task" })
    expect(relay.workspace.authority.keyFor(offer.terminal, ["operator"], Date.now())).toBe(root.peers[offer.terminal]!.publicKey)
    const log = (await relay.repo.find<AuditDoc>(root.peers[offer.terminal]!.auditUrl as never)).doc()
    const entry = auditEntries(log).find(e => e.kind === "task_added" && e.subject === id)!
    expect(peerLabel(root, entry.actor.name)).toMatchObject({ text: "Ada Lovelace", person: "Ada-Lovelace", device: offer.terminal })
    expect(peerLabel(root, relay.workspace.tasks.get(id)!.createdBy).text).toBe("Ada Lovelace")
    const verified = await runCli(["audit", "verify", "--json"], { cwd: relay.workDir })
    expect(verified.code, verified.stdout).toBe(0)
    expect((await box.run(["pair", "--json"])).stdout.trim()).toBe(JSON.stringify({ paired: true, as: "terminal", operator: "Ada Lovelace", terminal: offer.terminal }))

    // Revoking the operator takes the terminal with it.
    expect((await runCli(["operator", "revoke", "Ada-Lovelace"], { cwd: relay.workDir })).code).toBe(0)
    const after = await box.run(["task", "list"])
    expect(after.code).toBe(2)
    expect(after.stderr).toMatch(new RegExp(`the relay refused the key of ${offer.terminal} \\(403\\)`))
    expect(relay.logs.join("\n")).toMatch(/the operator it is paired with \(Ada-Lovelace\) may not connect: revoked/)
    expect(relay.workspace.authority.keyFor(offer.terminal, ["operator"], Date.now())).toBeUndefined()
  }, 120_000)

  it("an expired code is refused, and the terminal says to ask for a new one", async () => {
    const relay = await startTestRelay(teardown, { pairingTtlMs: 1_000 })
    const { ctx, claim } = await ada(relay)
    const pair = terminal(teardown, relay).pair()
    teardown.add(() => pair.stop("SIGKILL"))
    const offer = await offerOf(pair)
    expect(await pair.exited).toEqual({ code: 1, signal: null })
    // With --json the refusal is the last line on stdout, as every command's refusals are.
    const refusal = JSON.parse(pair.stdout().trim().split("\n").at(-1)!) as { error: { message: string } }
    expect(refusal.error.message).toBe(`pair: the code ${offer.code} expired before anyone confirmed it: run \`vivarium pair\` again for a new one`)
    await expect(confirmPairing(ctx, offer.code, claim)).rejects.toThrow(new RegExp(`the code ${offer.code} expired \\(codes last \\d+ minutes\\): run \`vivarium pair\` again`))
    expect(relay.workspace.root.peers[offer.terminal]).toMatchObject({ state: "pending" })
    expect(relay.workspace.root.peers[offer.terminal]?.deviceOf).toBeUndefined()
  }, 60_000)
})

describe("the CLI on the relay's machine", () => {
  it("acts as the owner through the data directory, with no pairing; elsewhere it is not paired", async () => {
    const work = makeTempDir(teardown, "vivarium-owner-machine-")
    mkdirSync(join(work, ".vivarium"))
    const relay = await spawnRelay(teardown, { dataDir: join(work, ".vivarium") })
    const home = { VIVARIUM_HOME: makeTempDir(teardown, "vivarium-owner-home-") }
    // The owner's key is the relay's, readable by this user only.
    expect(statSync(join(relay.dataDir, "owner-identity", "identity.json")).mode & 0o777).toBe(0o600)

    const added = await runCli(["task", "add", "--command", "echo as the owner"], { cwd: work, env: home })
    expect(added.code, added.stderr).toBe(0)
    const listed = JSON.parse((await runCli(["task", "list", "--json"], { cwd: work, env: home })).stdout) as { id: string; createdBy: string }[]
    expect(listed).toEqual([expect.objectContaining({ id: added.stdout.trim(), createdBy: "owner" })])
    const operators = JSON.parse((await runCli(["operator", "list", "--json"], { cwd: work, env: home })).stdout) as unknown
    expect(operators).toEqual([expect.objectContaining({ name: "owner", displayName: "Owner", owner: true, state: "approved" })])
    expect((await runCli(["pair"], { cwd: work, env: home })).stdout).toMatch(/^No pairing needed: next to the relay's data directory .* the CLI acts as the workspace owner\./)

    const elsewhere = await runCli(["task", "list"], { env: { ...home, VIVARIUM_RELAY: relay.wsUrl, VIVARIUM_TOKEN: relay.token } })
    expect(elsewhere.code).toBe(2)
    expect(elsewhere.stderr).toMatch(/this terminal is not paired with the workspace "Vivarium"/)
  }, 60_000)
})
