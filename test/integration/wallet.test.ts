/**
 * The wallets ledger across peers: idempotency keys and deterministic derivation make
 * offline payouts and overdrawing spends merge to the same wallets on every replica.
 * Real WebSockets between Node peers and an in-process relay on 127.0.0.1.
 */
import type { DocHandle } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { WalletsDoc } from "../../schemas/index.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import { balanceOf, deriveWallets, voidedEffects } from "../../src/domain/wallets/ledger.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import { readLedger } from "../../src/workspace/documentReaders.ts"
import type { RecordSigner } from "../../src/core/signedRecords.ts"
import { grant, grantManually, LedgerWriteError, openWallets, recordEntry, spend, walletOf } from "../../src/domain/wallets/actions.ts"
import { peerOperator, socialFixture } from "../helpers/socialFixture.ts"
import { connectTestPeers, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { ledgerEntries, ledgerEntry } from "../helpers/ledgerDoc.ts"

const teardown = useTeardown()
/** A connected peer signing as the operator it speaks for. */
const signerOf = (peer: NodePeer): RecordSigner => ({ actor: operatorOf(peer), key: peer.identity.key })

/** The wallets as a replica derives them from its validated entries. */
const walletsOf = (handle: DocHandle<WalletsDoc>) => deriveWallets(readLedger(handle.doc(), `wallets ${handle.url}`, []).values())

async function goOffline(relay: TestRelay, ...peers: NodePeer[]): Promise<void> {
  for (const peer of peers) peer.repo.networkSubsystem.disconnect()
  await waitFor(() => peers.every(p => !relay.repo.peers.includes(p.repo.peerId)), {
    events: [[relay.repo.networkSubsystem, "peer-disconnected"]],
    message: "the relay to see the peers go",
  })
}

/** Waits until every replica holds the same heads and `check` passes on each. */
async function converge(handles: DocHandle<WalletsDoc>[], check: (handle: DocHandle<WalletsDoc>) => void): Promise<void> {
  await waitFor(
    () => {
      expect(new Set(handles.map(h => [...h.heads()].sort().join(","))).size).toBe(1)
      for (const h of handles) check(h)
    },
    { events: handles.map(h => [h, "change"] as const), timeoutMs: 10_000, message: "the wallets to converge" },
  )
}

describe("wallet: offline merges through a relay", () => {
  it("the same payout key written by two offline operators is one entry, counted once, on every replica", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)
    const ledgers = await Promise.all([a!.workspace, b!.workspace, c!.workspace, relay.workspace].map(ws => openWallets(ws)))
    const handles = ledgers.map(l => l.open)
    const [wa, wb] = ledgers

    await goOffline(relay, a!, b!)
    const key = ledgerKeys.questCompletion("q1")
    const now = Date.now()
    const [asAlice, asBob] = [signerOf(a!), signerOf(b!)]
    expect(await grant(wa!, { key, identity: "ada", amount: 30, reason: "quest q1 approved", at: now }, asAlice)).toBe("written")
    expect(await grant(wb!, { key, identity: "ada", amount: 30, reason: "quest q1 approved", at: now + 5 }, asBob)).toBe("written")
    // A retry on the same peer is a no-op.
    expect(await grant(wa!, { key, identity: "ada", amount: 30, reason: "quest q1 approved", at: now + 9 }, asAlice)).toBe("exists")

    a!.repo.networkSubsystem.reconnect()
    b!.repo.networkSubsystem.reconnect()
    await converge(handles, h => {
      expect([...ledgerEntries(h.doc()).keys()]).toEqual([key])
      const ada = balanceOf(walletsOf(h), "ada")
      expect(ada).toMatchObject({ freeTime: 21, journal: 9 })
      expect(ada.entries.map(e => e.status)).toEqual(["applied"])
    })
    // Every replica kept the same one of the two writes.
    const kept = handles.map(h => ledgerEntry(h.doc(), key)!.by.name)
    expect(new Set(kept).size).toBe(1)
    // And a later grant under that key, from anyone, still writes nothing.
    expect(await grant(ledgers[2]!, { key, identity: "ada", amount: 30, reason: "again", at: now + 20 }, relay.audit.signer)).toBe("exists")
  })

  it("two offline spends that overdraw together: every replica applies the same one and voids the other", async () => {
    const relay = await startTestRelay(teardown)
    const [a, b, c] = await connectTestPeers(teardown, relay, 3)
    const ledgers = await Promise.all([a!.workspace, b!.workspace, c!.workspace, relay.workspace].map(ws => openWallets(ws)))
    const handles = ledgers.map(l => l.open)
    const [wa, wb] = ledgers
    const now = Date.now()

    // 15 split → 10 free time, 5 journal, seen by everyone (paid by the relay: only it writes system grants).
    await grant(ledgers[3]!, { key: ledgerKeys.allowance("ada", 1), identity: "ada", amount: 15, reason: "allowance", at: now }, relay.audit.signer)
    await converge(handles, h => expect(balanceOf(walletsOf(h), "ada").freeTime).toBe(10))

    await goOffline(relay, a!, b!)
    // Same time on both: the key decides the order, the same on every peer.
    const first = ledgerKeys.mailSend("mail-a")
    const second = ledgerKeys.mailSend("mail-b")
    const [asAlice, asBob] = [signerOf(a!), signerOf(b!)]
    expect(await spend(b!.workspace, wb!, { key: second, identity: "ada", amount: 8, bucket: "free_time", reason: "message to the human", at: now + 10 }, asBob)).toBe("written")
    expect(await spend(a!.workspace, wa!, { key: first, identity: "ada", amount: 8, bucket: "free_time", reason: "message to the human", at: now + 10 }, asAlice)).toBe("written")
    // Each peer alone sees a valid spend.
    expect(balanceOf(walletsOf(wa!.open), "ada").freeTime).toBe(2)
    expect(balanceOf(walletsOf(wb!.open), "ada").freeTime).toBe(2)

    a!.repo.networkSubsystem.reconnect()
    b!.repo.networkSubsystem.reconnect()
    await converge(handles, h => {
      const wallets = walletsOf(h)
      const ada = balanceOf(wallets, "ada")
      expect([...ledgerEntries(h.doc()).keys()]).toHaveLength(3)
      expect(ada).toMatchObject({ freeTime: 2, journal: 5 })
      expect(ada.entries.map(e => [e.entry.key, e.status])).toEqual([
        [ledgerKeys.allowance("ada", 1), "applied"],
        [first, "applied"],
        [second, "voided"],
      ])
      const [voided] = voidedEffects(wallets)
      expect(voided).toMatchObject({ entry: { key: second }, freeTime: 0, journal: 0 })
      expect(voided!.note).toBe("would take free time below zero after merge (2 available, 8 spent)")
    })
  })
})

describe("wallet: an operator's manual grant", () => {
  it("passes the relay's gate, reaches every replica once, and is signed in the operator's audit log", async () => {
    const relay = await startTestRelay(teardown)
    const [op, other] = await connectTestPeers(teardown, relay, 2)
    const ctx = await peerOperator(op!)
    const refusals: string[] = []
    op!.notices.on("refused", notice => refusals.push(notice.reason))

    const key = await grantManually(ctx, "ada", { amount: 12, reason: "thanks for the write-up" })
    expect(key).toMatch(/^grant:/)
    const theirs = (await openWallets(other!.workspace)).open
    await waitFor(() => expect(ledgerEntry(theirs.doc(), key)).toMatchObject({ identity: "ada", amount: 12, kind: "grant", by: { kind: "operator", name: op!.identity.name } }), {
      events: [[theirs, "change"]],
      message: "the manual grant to reach another operator through the relay",
    })
    expect(refusals).toEqual([])
    expect(balanceOf(walletsOf(theirs), "ada")).toMatchObject({ freeTime: 8, journal: 4 })
    const payouts = (await ctx.audit.entries()).filter(e => e.kind === "payout")
    expect(payouts.map(e => JSON.parse(e.data) as unknown)).toContainEqual(expect.objectContaining({ key, amount: 12 }))
  })
})

describe("wallet: writers", () => {
  /** The wallets of a fresh workspace whose owner (alice) signs. */
  const setup = async () => {
    const f = await socialFixture([])
    teardown.add(() => f.close())
    const ledger = await openWallets(f.ws)
    return { ws: f.ws, ledger, handle: ledger.open, signer: f.ctx.audit.signer }
  }
  const base = { identity: "ada", reason: "test", at: 1_000 }

  it("records an entry under its key once, signed, and never overwrites it", async () => {
    const { ledger, handle, signer } = await setup()
    const entry = { ...base, key: "bonus:x:ada", kind: "grant" as const, amount: 25, bucket: "split" as const }
    expect(await recordEntry(ledger, entry, signer)).toBe("written")
    const heads = handle.heads()
    expect(await recordEntry(ledger, { ...entry, amount: 999, at: 5 }, signer)).toBe("exists")
    expect(handle.heads()).toEqual(heads) // not even an empty change
    expect(ledgerEntry(handle.doc(), "bonus:x:ada")).toEqual({ ...entry, by: signer.actor, sig: expect.stringMatching(/^[0-9a-f]{128}$/) })
  })

  it("refuses zero, negative and fractional amounts: no negative grants, no penalties", async () => {
    const { ws, ledger, handle, signer } = await setup()
    for (const amount of [0, -5, 2.5])
      await expect(grant(ledger, { ...base, key: "g", amount }, signer)).rejects.toThrow(/positive whole number of tokens.*no negative grants or penalty spends/)
    await expect(spend(ws, ledger, { ...base, key: "s", amount: -1, bucket: "journal" }, signer)).rejects.toThrow(LedgerWriteError)
    expect(ledgerEntries(handle.doc()).size).toBe(0)
  })

  it("refuses an entry the schema rejects, naming the field", async () => {
    const { ledger, handle, signer } = await setup()
    await expect(grant(ledger, { ...base, key: "", amount: 1 }, signer)).rejects.toThrow(/key:/)
    await expect(grant(ledger, { ...base, key: "g", identity: "not an id!", amount: 1 }, signer)).rejects.toThrow(/identity:/)
    expect(ledgerEntries(handle.doc()).size).toBe(0)
  })

  it("grants split; spends name a bucket and are refused when this peer would void them", async () => {
    const { ws, ledger, handle, signer } = await setup()
    await grant(ledger, { ...base, key: "g", amount: 20 }, signer)
    expect(ledgerEntry(handle.doc(), "g")).toMatchObject({ kind: "grant", bucket: "split", amount: 20 })
    expect(await walletOf(ws, ledger, "ada")).toMatchObject({ freeTime: 14, journal: 6 })

    expect(await spend(ws, ledger, { ...base, key: "s1", amount: 6, bucket: "journal", at: 2_000 }, signer)).toBe("written")
    await expect(spend(ws, ledger, { ...base, key: "s2", amount: 1, bucket: "journal", at: 2_001 }, signer)).rejects.toThrow("ada has 0 journal tokens; spending 1 would go below zero")
    // A spend dated before the grant that would fund it would be voided, so it is refused.
    await expect(spend(ws, ledger, { ...base, key: "s3", amount: 1, bucket: "free_time", at: 500 }, signer)).rejects.toThrow("ada has 0 free time tokens")
    // Repeating a written spend is "exists", whatever the balance now.
    expect(await spend(ws, ledger, { ...base, key: "s1", amount: 6, bucket: "journal", at: 2_000 }, signer)).toBe("exists")
    expect([...ledgerEntries(handle.doc()).keys()].sort()).toEqual(["g", "s1"])
  })
})
