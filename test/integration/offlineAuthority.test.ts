/**
 * Readers hold on their own: a peer with the secret forges, while offline, an approval with
 * a tip and ledger entries in its own replica, then merges through a relay that applies
 * whatever arrives (no gate). The relay pays nothing for it, `audit verify` flags it, and
 * every reader still shows the task as pending_review.
 */
import { describe, expect, it } from "vitest"
import type { LedgerEntry, QueueDoc, Task, WalletsDoc } from "../../schemas/index.ts"
import { defaultControls } from "../../src/core/defaults.ts"
import { ledgerEntryText, signRecord, taskDecisionText } from "../../src/core/signedRecords.ts"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { buildTask } from "../../src/domain/tasks/taskFactory.ts"
import type { DataIssue } from "../../src/core/validate.ts"
import { verifyAuthorityRecords } from "../../src/domain/audit/auditVerify.ts"
import { decideTask } from "../../src/domain/tasks/actions.ts"
import { openOwnAuditLog } from "../../src/domain/peers/registerPeer.ts"
import { countedEntries, openWallets } from "../../src/domain/wallets/actions.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { runCli } from "../helpers/cli.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { approvedIdentity, startTestRelay, until } from "../helpers/relay.ts"
import { forgeResidentAt } from "../helpers/socialFixture.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { ledgerEntries, ledgerEntry } from "../helpers/ledgerDoc.ts"

const teardown = useTeardown()

/** A task waiting for review with a result, as a worker leaves it. */
function pendingTask(id: string, resident: string, now: number): Task {
  const task = buildTask({ command: "ls", targetIdentity: resident }, defaultControls("op", now), { kind: "operator", name: "op" }, now, id)
  return {
    ...task,
    status: "pending_review",
    result: { output: "done", model: "local", costUsd: 0, leaseId: `lease-${id}`, worker: "w-rogue", startedAt: now, finishedAt: now },
    review: { verdict: "approve", confidence: 0.9, issues: [], needsHuman: true, reviewer: "w-rogue", at: now },
    history: [{ at: now, from: "running", to: "pending_review", by: { kind: "worker", name: "w-rogue" } }],
  }
}

const statusSeenBy = (ws: Workspace, id: string) => ws.tasks.get(id)?.status

describe("offline forgery merged through a relay without a gate", () => {
  it("a forged approval with a tip and forged ledger entries: nothing paid, flagged by audit verify, still pending_review", async () => {
    // An older relay: it runs without the change gate, so every change gets through (the gate's own tests show it refusing these).
    const relay = await startTestRelay(teardown, { economyTickMs: 100, extensions: standard => standard.filter(e => e.name !== "change-gate") })
    const { resident } = await forgeResidentAt(teardown, relay, "Ada")

    // An honest operator, approved by the owner (the relay holds the owner key here).
    const op = await connectTestPeer(teardown, relay, { identity: await approvedIdentity(relay, "operator", "op") })
    const opAudit = await openOwnAuditLog(op.repo, op.workspace.root, op.identity)
    const opValid = (ws: Workspace) => ws.authority.keyFor("op", ["operator"], Date.now()) === op.identity.publicKeyHex
    await waitFor(() => opValid(op.workspace), { events: [[op.workspace.tasks, "change"], [op.workspace.rootHandle, "change"]], timeoutMs: 10_000, message: "op to be approved by the owner" })

    // The rogue: holds the secret, its own key, no authority.
    const rogue = await connectTestPeer(teardown, relay)
    const rogueKey = await importPrivateKey((await generateSigningKey()).privateKeyPkcs8)
    const now = Date.now()
    const forged = pendingTask("task-forged", resident.id, now)
    const honest = pendingTask("task-honest", resident.id, now)
    rogue.workspace.queueHandle.change((d: QueueDoc) => {
      d.tasks[forged.id] = forged
      d.tasks[honest.id] = honest
    })
    await rogue.flushToRelay()
    await until(relay, forged.id, "pending_review")

    // Offline, it approves the task in op's name with a tip of 1000, and mints and drains tokens.
    const wallets = (await openWallets(rogue.workspace)).open
    rogue.repo.networkSubsystem.disconnect()
    const at = now + 10
    const decisionText = taskDecisionText({ taskId: forged.id, decision: "approve", leaseId: forged.result!.leaseId, tip: 1000, feedback: undefined, decidedBy: "op", decidedAt: at })
    const decisionSig = await signRecord({ key: rogueKey }, decisionText)
    rogue.workspace.queueHandle.change((d: QueueDoc) => {
      const t = d.tasks[forged.id]!
      t.status = "approved"
      t.history.push({ at, from: "pending_review", to: "approved", by: { kind: "operator", name: "op" } })
      Object.assign(t.review!, { decidedBy: "op", tip: 1000, decidedAt: at, decisionSig })
    })
    const entry = (key: string, kind: "grant" | "spend", by: LedgerEntry["by"]): LedgerEntry => ({ key, identity: resident.id, kind, amount: 900, bucket: kind === "grant" ? "split" : "free_time", reason: "forged", at, by })
    const unsigned = entry("forged:mint-unsigned", "grant", { kind: "system", name: "relay" })
    const asOperator = entry("forged:mint-as-op", "grant", { kind: "operator", name: "op" })
    const drain = entry("forged:drain", "spend", { kind: "worker", name: "w-rogue" })
    for (const e of [asOperator, drain]) e.sig = await signRecord({ key: rogueKey }, ledgerEntryText(e))
    wallets.change((d: WalletsDoc) => {
      for (const e of [unsigned, asOperator, drain]) d.entries[e.key] = e
    })
    rogue.repo.networkSubsystem.reconnect()
    await rogue.flushToRelay()

    // The relay holds the forgery as written...
    await waitFor(() => relay.workspace.queueHandle.doc().tasks[forged.id]?.status === "approved", { events: [[relay.workspace.queueHandle, "change"]], message: "the forgery to reach the relay" })
    await relay.workspace.verified()
    // ...and its reader still shows the task waiting for review, with the reason.
    expect(statusSeenBy(relay.workspace, forged.id)).toBe("pending_review")
    expect(relay.workspace.issues).toContainEqual(expect.objectContaining({ path: `tasks.${forged.id}.review`, message: expect.stringContaining("shown as pending_review") }))

    // The honest operator approves the other task with a tip: the economy pays that one only.
    await waitFor(() => statusSeenBy(op.workspace, honest.id) === "pending_review", { events: [[op.workspace.tasks, "change"]] })
    await decideTask({ workspace: op.workspace, audit: opAudit, actor: { kind: "operator", name: "op" } }, honest.id, "approve", { tip: 7 })
    await op.flushToRelay()
    const relayLedger = await openWallets(relay.workspace)
    const relayWallets = relayLedger.open
    await waitFor(() => !!ledgerEntry(relayWallets.doc(), `tip:${honest.id}`), { events: [[relayWallets, "change"]], timeoutMs: 10_000, message: "the honest tip to be paid" })
    expect(statusSeenBy(relay.workspace, honest.id)).toBe("approved")
    const keys = [...ledgerEntries(relayWallets.doc()).keys()]
    expect(keys.filter(k => k.includes(forged.id))).toEqual([])
    expect(ledgerEntry(relayWallets.doc(), `tip:${honest.id}`)).toMatchObject({ amount: 7, by: { kind: "system", name: "relay" } })

    // Readers leave the forged entries out of every balance.
    const issues: DataIssue[] = []
    const counted = (await countedEntries(relay.workspace, relayLedger, issues)).map(e => e.key)
    expect(counted).toContain(`tip:${honest.id}`)
    expect(counted.filter(k => k.startsWith("forged:"))).toEqual([])
    expect(issues.map(i => i.path)).toEqual(expect.arrayContaining(["entries.forged:mint-unsigned", "entries.forged:mint-as-op", "entries.forged:drain"]))

    // Another reader (the operator's replica) agrees.
    await waitFor(() => op.workspace.queueHandle.doc().tasks[forged.id]?.status === "approved", { events: [[op.workspace.queueHandle, "change"]] })
    await op.workspace.verified()
    expect(statusSeenBy(op.workspace, forged.id)).toBe("pending_review")

    // audit verify lists every forged record, in-process and from the CLI.
    const flagged = (await verifyAuthorityRecords(relay.workspace)).map(i => i.path)
    expect(flagged).toEqual(expect.arrayContaining([`tasks.${forged.id}.review`, "entries.forged:mint-unsigned", "entries.forged:mint-as-op", "entries.forged:drain"]))
    expect(flagged.filter(p => p.includes(honest.id))).toEqual([])
    const cli = await runCli(["audit", "verify"], { cwd: relay.workDir })
    expect(cli.code).toBe(1)
    expect(cli.stdout).toContain(`FLAGGED`)
    expect(cli.stdout).toContain(`tasks.${forged.id}.review`)
    expect(cli.stdout).toContain("entries.forged:mint-as-op")
  }, 60_000)
})
