/**
 * The ledger by period, through a real relay over real WebSockets: a workspace written in
 * the layout before periods opens with the same balances; an entry written offline into a
 * period the relay has meanwhile closed counts once, in order; a checkpoint that does not
 * verify is not counted and is flagged.
 */
import { ImmutableString, type AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import type { LedgerCheckpointDoc, LedgerIndexDoc, WalletsDoc } from "../../schemas/index.ts"
import { verifyAuthorityRecords } from "../../src/domain/audit/auditVerify.ts"
import { grant, openWallets, spend, walletOf } from "../../src/domain/wallets/actions.ts"
import { signCheckpoint } from "../../src/domain/wallets/checkpoint.ts"
import { ledgerKeys } from "../../src/domain/wallets/economy.ts"
import type { Wallet } from "../../src/domain/wallets/ledger.ts"
import { dayOf, periodOf } from "../../src/domain/wallets/periods.ts"
import type { RecordSigner } from "../../src/core/signedRecords.ts"
import type { NodePeer } from "../../src/peer/nodePeer.ts"
import type { Workspace } from "../../src/workspace/workspace.ts"
import { fencedWallets } from "../../src/workspace/fencedReaders.ts"
import { ledgerBooks } from "../../peer-server/ledgerBooks.ts"
import type { RelayExtension } from "../../peer-server/extension.ts"
import { connectTestPeers, operatorOf } from "../helpers/peers.ts"
import { startTestRelay, type TestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"
import { ledgerEntry } from "../helpers/ledgerDoc.ts"

const teardown = useTeardown()
const DAY = 86_400_000
/** Far enough ahead to be in another UTC month, whatever today is. */
const A_MONTH_ON = 40 * DAY

const signerOf = (peer: NodePeer): RecordSigner => ({ actor: operatorOf(peer), key: peer.identity.key })
const tip = (n: string) => ledgerKeys.manualGrant(n)

/** The standard extensions with the ledger's books on a clock `shift()` ms ahead (or without them: the layout before periods). */
const withBooks = (shift: (() => number) | "none") => (standard: RelayExtension[]) =>
  shift === "none" ? standard.filter(e => e.name !== "ledger-books") : standard.map(e => (e.name === "ledger-books" ? ledgerBooks({ now: () => Date.now() + shift(), intervalMs: 50 }) : e))

const balances = (wallets: Map<string, Wallet>) =>
  Object.fromEntries([...wallets].filter(([, w]) => w.freeTime || w.journal).map(([id, w]) => [id, [w.freeTime, w.journal]]))

async function goOffline(relay: TestRelay, peer: NodePeer): Promise<void> {
  peer.repo.networkSubsystem.disconnect()
  await waitFor(() => !relay.repo.peers.includes(peer.repo.peerId), { events: [[relay.repo.networkSubsystem, "peer-disconnected"]], message: "the relay to see the peer go" })
}

async function indexOf(relay: TestRelay) {
  return relay.repo.find<LedgerIndexDoc>(relay.workspace.root.docs.ledger as AutomergeUrl)
}

/** Waits until `ws` reads the ledger from the checkpoint of `period`. */
async function untilCheckpoint(ws: Workspace, period: string) {
  return waitFor(async () => {
    const ledger = await openWallets(ws)
    return ledger.checkpointPeriod === period && ledger
  }, { timeoutMs: 10_000, intervalMs: 50, message: `a checkpoint of ${period}` })
}

describe("ledger periods", () => {
  it("a workspace written before periods opens with every balance unchanged: its wallets document, untouched, is the first segment, closed by a checkpoint", async () => {
    const before = await startTestRelay(teardown, { extensions: withBooks("none") })
    const [a] = await connectTestPeers(teardown, before, 1)
    expect(a!.workspace.root.docs.ledger).toBeUndefined()
    const ledger = await openWallets(a!.workspace)
    const t0 = Date.now()
    for (let n = 0; n < 12; n++) await grant(ledger, { key: tip(`m${n}`), identity: n % 2 ? "ada" : "bob", amount: 40 + 30 * n, reason: "a tip", at: t0 + n }, signerOf(a!))
    await spend(a!.workspace, ledger, { key: "errand:ada:1", identity: "ada", amount: 30, bucket: "free_time", reason: "an errand", at: t0 + 100 }, signerOf(a!))
    await a!.flushToRelay()
    const expected = balances(await fencedWallets(a!.workspace))
    const walletsUrl = before.workspace.root.docs.wallets
    const heads = (await before.repo.find<WalletsDoc>(walletsUrl as AutomergeUrl)).heads()
    await a!.close()
    await before.close()

    const relay = await startTestRelay(teardown, { dataDir: before.dataDir, extensions: withBooks(() => A_MONTH_ON) })
    expect(relay.workspace.root.docs.wallets).toBe(walletsUrl)
    expect((await relay.repo.find<WalletsDoc>(walletsUrl as AutomergeUrl)).heads()).toEqual(heads)
    const index = (await indexOf(relay)).doc()
    expect(Object.keys(index.segments).sort()).toEqual([periodOf(Date.now() + A_MONTH_ON), "legacy"])
    expect(index.segments.legacy!.url).toBe(walletsUrl)
    expect(Object.keys(index.checkpoints)).toEqual(["legacy"])

    const [b] = await connectTestPeers(teardown, relay, 1)
    const opened = await openWallets(b!.workspace)
    expect(opened.checkpointPeriod).toBe("legacy")
    expect(opened.tail.map(s => s.url)).not.toContain(walletsUrl)
    expect(balances(await fencedWallets(b!.workspace))).toEqual(expected)
    // A key paid before the upgrade stays paid once.
    expect(await grant(opened, { key: tip("m0"), identity: "bob", amount: 40, reason: "a tip", at: Date.now() }, signerOf(b!))).toBe("exists")
  })

  it("a segment with a flat map of entries (written before day maps) reads the same after the relay adds day maps; new entries go there and the next checkpoint counts both", async () => {
    let shift = 0
    const before = await startTestRelay(teardown, { extensions: withBooks("none") })
    const legacy = await before.repo.find<WalletsDoc>(before.workspace.root.docs.wallets as AutomergeUrl)
    legacy.change(d => void delete d.days) // the wallets document as the layout before day maps wrote it
    const [a] = await connectTestPeers(teardown, before, 1)
    const flat = await openWallets(a!.workspace)
    await waitFor(() => flat.open.doc().days === undefined, { events: [[flat.open, "change"]], message: "the peer to hold the flat segment" })
    const t0 = Date.now()
    for (let n = 0; n < 6; n++) await grant(flat, { key: tip(`f${n}`), identity: n % 2 ? "ada" : "bob", amount: 40 + 30 * n, reason: "a tip", at: t0 + n }, signerOf(a!))
    await spend(a!.workspace, flat, { key: "errand:ada:1", identity: "ada", amount: 30, bucket: "free_time", reason: "an errand", at: t0 + 100 }, signerOf(a!))
    expect(Object.keys(flat.open.doc().entries)).toHaveLength(7)
    await a!.flushToRelay()
    const expected = balances(await fencedWallets(a!.workspace))
    const entries = structuredClone(legacy.doc().entries)
    await a!.close()
    await before.close()

    const relay = await startTestRelay(teardown, { dataDir: before.dataDir, extensions: withBooks(() => shift) })
    const segment = await relay.repo.find<WalletsDoc>(relay.workspace.root.docs.wallets as AutomergeUrl)
    await waitFor(() => !!segment.doc().days, { events: [[segment, "change"]], timeoutMs: 10_000, message: "the relay to add the day maps to the open segment" })
    expect(segment.doc().entries).toEqual(entries) // nothing rewritten
    const [b] = await connectTestPeers(teardown, relay, 1)
    const opened = await waitFor(async () => {
      const l = await openWallets(b!.workspace)
      return !!l.open.doc().days && l
    }, { timeoutMs: 10_000, intervalMs: 50, message: "the peer to see the day maps" })
    expect(balances(await fencedWallets(b!.workspace))).toEqual(expected)
    expect(await grant(opened, { key: tip("f0"), identity: "bob", amount: 40, reason: "a tip", at: Date.now() }, signerOf(b!))).toBe("exists")
    const at = Date.now()
    expect(await grant(opened, { key: tip("d1"), identity: "ada", amount: 100, reason: "a tip", at }, signerOf(b!))).toBe("written")
    expect(opened.open.doc().days![dayOf(at)]![tip("d1")]).toMatchObject({ amount: 100 })
    expect(Object.keys(opened.open.doc().entries)).toHaveLength(7)
    const withDay = balances(await fencedWallets(b!.workspace))
    expect(withDay.ada).toEqual([expected.ada![0]! + 70, expected.ada![1]! + 30])
    await b!.flushToRelay()

    shift = A_MONTH_ON
    const closed = await untilCheckpoint(relay.workspace, "legacy")
    expect([...closed.start!.covered].sort()).toEqual([...Object.keys(entries), tip("d1")].sort())
    const ref = (await indexOf(relay)).doc().checkpoints.legacy!
    const body = JSON.parse(String(((await relay.repo.find<LedgerCheckpointDoc>(ref.url as AutomergeUrl)).doc().body as { val: string }).val))
    expect(body.segments.legacy.entries).toBe(8)
    expect(balances(await fencedWallets(relay.workspace))).toEqual(withDay)
  })

  it("an entry written offline into a period the relay has meanwhile closed lands exactly once, in order after the checkpoint, and the next checkpoint covers it", async () => {
    let shift = 0
    const relay = await startTestRelay(teardown, { extensions: withBooks(() => shift) })
    const [a, b] = await connectTestPeers(teardown, relay, 2)
    const t0 = Date.now()
    await grant(await openWallets(a!.workspace), { key: tip("g1"), identity: "ada", amount: 100, reason: "a tip", at: t0 }, signerOf(a!))
    await a!.flushToRelay()
    const stale = await openWallets(b!.workspace)
    await waitFor(() => !!ledgerEntry(stale.open.doc(), tip("g1")), { events: [[stale.open, "change"]], message: "b to hold the first grant" })
    await goOffline(relay, b!)

    shift = A_MONTH_ON
    await untilCheckpoint(relay.workspace, "legacy")
    await grant(await untilCheckpoint(a!.workspace, "legacy"), { key: tip("g2"), identity: "ada", amount: 20, reason: "a tip", at: t0 + 2_000 }, signerOf(a!))

    // Offline, b still writes into the legacy segment: the newest it knows.
    expect(stale.open.url).toBe(relay.workspace.root.docs.wallets)
    expect(await spend(b!.workspace, stale, { key: "errand:ada:late", identity: "ada", amount: 50, bucket: "free_time", reason: "an errand", at: t0 + 1_000 }, signerOf(b!))).toBe("written")
    b!.repo.networkSubsystem.reconnect()
    await b!.flushToRelay()

    const open = (await openWallets(relay.workspace)).open
    await waitFor(() => !!ledgerEntry(open.doc(), "errand:ada:late"), { events: [[open, "change"]], timeoutMs: 10_000, message: "the relay to carry the late entry into the open period" })
    for (const peer of [a!, b!]) {
      const ledger = await waitFor(async () => {
        const l = await untilCheckpoint(peer.workspace, "legacy")
        return !!ledgerEntry(l.open.doc(), "errand:ada:late") && !!ledgerEntry(l.open.doc(), tip("g2")) && l
      }, { timeoutMs: 10_000, intervalMs: 50, message: "each peer to read the open period with both entries" })
      const ada = await walletOf(peer.workspace, ledger, "ada")
      // 100 → 70 + 30; then, after the checkpoint in (at, key) order: the late spend (−50 free time), then 20 → 14 + 6.
      expect(ada).toMatchObject({ freeTime: 70 - 50 + 14, journal: 30 + 6 })
      expect(ada.entries.map(e => [e.entry.key, e.status])).toEqual([["errand:ada:late", "applied"], [tip("g2"), "applied"]])
    }

    shift = 2 * A_MONTH_ON
    const next = await untilCheckpoint(relay.workspace, periodOf(Date.now() + A_MONTH_ON))
    expect(next.start?.covered.has("errand:ada:late")).toBe(true)
    expect(await walletOf(relay.workspace, next, "ada")).toMatchObject({ freeTime: 34, journal: 36, entries: [] })
  })

  it("a tampered or unsigned checkpoint is not counted and is flagged; readers derive from the segments instead", async () => {
    // The books close the legacy period at start and then wait (no pass would run before the checks below).
    const relay = await startTestRelay(teardown, { extensions: s => s.map(e => (e.name === "ledger-books" ? ledgerBooks({ now: () => Date.now() + A_MONTH_ON, intervalMs: 600_000 }) : e)) })
    const [a] = await connectTestPeers(teardown, relay, 1)
    await grant(await untilCheckpoint(a!.workspace, "legacy"), { key: tip("g1"), identity: "ada", amount: 100, reason: "a tip", at: Date.now() }, signerOf(a!))
    const ref = (await indexOf(relay)).doc().checkpoints.legacy!
    const checkpoint = await relay.repo.find<LedgerCheckpointDoc>(ref.url as AutomergeUrl)

    // Tampered: ada's balance raised, the relay's signature kept.
    const body = String((checkpoint.doc().body as { val: string }).val)
    expect(body).toContain('"balances":{}')
    checkpoint.change(d => {
      d.body = new ImmutableString(body.replace('"balances":{}', '"balances":{"ada":[500,200]}'))
    })
    const tampered = await waitFor(async () => {
      const l = await openWallets(a!.workspace)
      return l.issues.length > 0 && l
    }, { timeoutMs: 10_000, intervalMs: 50, message: "the reader to see the tampered checkpoint" })
    expect(tampered.issues).toContainEqual(expect.objectContaining({ path: "checkpoints.legacy", message: "checkpoint not counted: the relay's signature does not match the checkpoint" }))
    expect(tampered.start).toBeUndefined()
    expect(await walletOf(a!.workspace, tampered, "ada")).toMatchObject({ freeTime: 70, journal: 30 })
    expect(await verifyAuthorityRecords(a!.workspace)).toContainEqual(expect.objectContaining({ path: "checkpoints.legacy" }))

    // Signed by an operator, not the relay.
    const forged = await signCheckpoint("legacy", body.replace('"balances":{}', '"balances":{"ada":[500,200]}'), Date.now(), signerOf(a!))
    const forgedDoc = relay.repo.create<LedgerCheckpointDoc>({ schemaVersion: 1, kind: "ledger-checkpoint", ...forged, body: new ImmutableString(forged.body as string) })
    ;(await indexOf(relay)).change(d => {
      d.checkpoints.legacy!.url = forgedDoc.url
    })
    const unsigned = await waitFor(async () => {
      const l = await openWallets(a!.workspace)
      return l.issues.some(i => i.message.includes("held no relay key")) && l
    }, { timeoutMs: 10_000, intervalMs: 50, message: "the reader to see the forged checkpoint" })
    expect(unsigned.issues).toContainEqual(expect.objectContaining({ message: `checkpoint not counted: ${a!.identity.name} held no relay key valid at that time` }))
    expect(await walletOf(a!.workspace, unsigned, "ada")).toMatchObject({ freeTime: 70, journal: 30 })
  })
})
