/**
 * One person, one name: the display name bound to an operator's registration, the one
 * lookup every view uses (terminals show their operator), the rules that keep names unique
 * and `deviceOf` the relay's to write, and pairing codes (format, single use, expiry).
 */
import { describe, expect, it } from "vitest"
import type { PeerRecord, RootDoc } from "../../schemas/index.ts"
import { authorizePeerChange } from "../../src/domain/peers/authority.ts"
import { cleanDisplayName, displayNameHolder, displayNameOf, formatPairingCode, PairingCode, pairingCodeFrom, peerLabel, peerNameFor, peerSubject, personOf } from "../../src/domain/peers/index.ts"
import { PairingCodes } from "../../peer-server/pairing.ts"
import { principal } from "../helpers/gateHarness.ts"

const AUDIT = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"
const KEY = "ab".repeat(32)

function record(name: string, extra: Partial<PeerRecord> = {}): PeerRecord {
  return { name, role: "operator", publicKey: KEY, state: "approved", registeredAt: 1, auditUrl: AUDIT, ...extra }
}
const approvedBy = (by: string) => ({ decisions: [{ state: "approved" as const, publicKey: KEY, by, at: 2, sig: "0".repeat(128) }] })

const root: Pick<RootDoc, "peers"> = {
  peers: {
    "Ada-Lovelace": record("Ada-Lovelace", { displayName: "Ada Lovelace" }),
    owner: record("owner", { displayName: "Owner" }),
    bob: record("bob"),
    "cli-box-1": record("cli-box-1", { deviceOf: "Ada-Lovelace", ...approvedBy("Ada-Lovelace") }),
    "cli-box-2": record("cli-box-2", { deviceOf: "Ada-Lovelace", state: "pending" }),
    "cli-box-3": record("cli-box-3", { state: "pending" }),
    w1: record("w1", { role: "worker" }),
    relay: record("relay", { role: "relay" }),
  },
}

describe("display names", () => {
  it("a name as given keys a registration through its slug, spaces and accents and all", () => {
    expect(peerNameFor("Ada Lovelace")).toBe("Ada-Lovelace")
    expect(peerNameFor("  Émile  Zola ")).toBe("Emile-Zola")
    expect(peerNameFor("--- ")).toBe("operator")
    expect(peerNameFor("x".repeat(200))).toHaveLength(80)
    expect(cleanDisplayName("  Ada \n Lovelace ")).toBe("Ada Lovelace")
  })

  it("an operator shows its display name; a paired terminal its operator's; workers and the relay their own", () => {
    expect(displayNameOf(root, "Ada-Lovelace")).toBe("Ada Lovelace")
    expect(displayNameOf(root, "bob")).toBe("bob")
    expect(peerLabel(root, "cli-box-1")).toEqual({ text: "Ada Lovelace", title: "Ada-Lovelace · terminal cli-box-1", person: "Ada-Lovelace", role: "operator", device: "cli-box-1" })
    expect(personOf(root, "cli-box-1")).toBe("Ada-Lovelace")
    expect(peerLabel(root, "w1")).toMatchObject({ text: "w1", title: "w1 (worker)", person: "w1" })
    expect(peerLabel(root, "relay")).toMatchObject({ text: "Relay", role: "relay" })
    expect(peerLabel(root, "nobody")).toEqual({ text: "nobody", title: "nobody", person: "nobody", role: "unknown" })
    expect(peerLabel(undefined, "Ada-Lovelace").text).toBe("Ada-Lovelace")
  })

  it("a terminal not (or no longer) confirmed carries no one's name; a record about a terminal names it as the operator's terminal", () => {
    expect(peerLabel(root, "cli-box-2")).toMatchObject({ text: "Ada Lovelace's terminal (not confirmed)", person: "cli-box-2" })
    expect(personOf(root, "cli-box-2")).toBe("cli-box-2")
    const revoked = { peers: { ...root.peers, "cli-box-1": { ...root.peers["cli-box-1"]!, state: "revoked" as const } } }
    expect(peerLabel(revoked, "cli-box-1").text).toBe("Ada Lovelace's terminal (unpaired)")
    expect(peerSubject(root, "cli-box-1").text).toBe("Ada Lovelace's terminal")
    expect(peerSubject(root, "Ada-Lovelace").text).toBe("Ada Lovelace")
    expect(displayNameOf(root, "cli-box-3")).toBe("cli-box-3")
  })

  it("no two operators share a name, whatever the case or spacing; terminals and the operator itself do not count", () => {
    expect(displayNameHolder(root.peers, "ada  LOVELACE")).toBe("Ada-Lovelace")
    expect(displayNameHolder(root.peers, "Ada Lovelace", "Ada-Lovelace")).toBeUndefined()
    expect(displayNameHolder(root.peers, "owner")).toBe("owner")
    expect(displayNameHolder(root.peers, "Bob")).toBe("bob")
    expect(displayNameHolder(root.peers, "cli-box-1")).toBeUndefined()
    expect(displayNameHolder(root.peers, "w1")).toBeUndefined()
  })
})

describe("who may write names and pairings into a registration", () => {
  const ctx = (key: string) => ({ key, residentHolder: () => undefined, doc: root as unknown as Record<string, unknown> })

  it("deviceOf is the relay's to write: no peer sets or changes it", () => {
    const waiting = root.peers["cli-box-3"]!
    expect(authorizePeerChange(waiting, { ...waiting, deviceOf: "Ada-Lovelace" }, principal("Ada-Lovelace", "operator"), ctx("cli-box-3"))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("deviceOf never change after enrolment"),
    })
    const paired = root.peers["cli-box-1"]!
    expect(authorizePeerChange(paired, { ...paired, deviceOf: "bob" }, principal("owner", "owner"), ctx("cli-box-1"))).toMatchObject({ ok: false })
  })

  it("an operator (or the owner) decides on its own terminals; another operator does not", () => {
    const claimed = root.peers["cli-box-2"]!
    const approve = (by: string) => ({ ...claimed, state: "approved" as const, decidedBy: by, decidedAt: 3, ...approvedBy(by) })
    expect(authorizePeerChange(claimed, approve("Ada-Lovelace"), principal("Ada-Lovelace", "operator"), ctx("cli-box-2"))).toEqual({ ok: true })
    expect(authorizePeerChange(claimed, approve("owner"), principal("owner", "owner"), ctx("cli-box-2"))).toEqual({ ok: true })
    expect(authorizePeerChange(claimed, approve("bob"), principal("bob", "operator"), ctx("cli-box-2"))).toMatchObject({
      ok: false,
      reason: "peer cli-box-2 is a device of Ada-Lovelace: only Ada-Lovelace or the owner approves or revokes it",
    })
    // A terminal nobody claimed is an operator registration: the owner's to decide.
    const unclaimed = root.peers["cli-box-3"]!
    expect(authorizePeerChange(unclaimed, { ...unclaimed, state: "approved", decidedBy: "Ada-Lovelace", decidedAt: 3, ...approvedBy("Ada-Lovelace") }, principal("Ada-Lovelace", "operator"), ctx("cli-box-3"))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("only the owner approves or revokes operators"),
    })
  })

  it("an operator renames itself, but not to another operator's name", () => {
    const bob = root.peers.bob!
    expect(authorizePeerChange(bob, { ...bob, displayName: "Bob Builder" }, principal("bob", "operator"), ctx("bob"))).toEqual({ ok: true })
    expect(authorizePeerChange(bob, { ...bob, displayName: "ada lovelace" }, principal("bob", "operator"), ctx("bob"))).toEqual({
      ok: false,
      reason: 'the name "ada lovelace" is taken by another operator (Ada-Lovelace): pick another',
    })
  })
})

describe("pairing codes", () => {
  it("are 8 symbols without look-alikes, typed in any case, with or without the dash", () => {
    let n = 0
    const bytes = (k: number) => Uint8Array.from({ length: k }, () => n++ % 256)
    for (let i = 0; i < 40; i++) expect(pairingCodeFrom(bytes)).toMatch(/^[2-9A-HJKMNP-Z]{8}$/)
    expect(formatPairingCode("ABCDEF23")).toBe("ABCD-EF23")
    expect(PairingCode.parse(" abcd-ef23 ")).toBe("ABCDEF23")
    expect(PairingCode.safeParse("ABCD-EF2")).toMatchObject({ success: false, error: { issues: [{ message: "a pairing code has 8 letters and digits, like ABCD-EF23" }] } })
    expect(PairingCode.safeParse("ABCD-EF01")).toMatchObject({ success: false, error: { issues: [{ message: expect.stringContaining("no 0, 1, I, L or O") }] } })
  })

  it("work once, for their lifetime only; a terminal's new code replaces its old one", () => {
    let now = 1_000
    const codes = new PairingCodes(() => now, 60_000)
    const first = codes.issue("cli-1", KEY)!
    expect(first.expiresInMs).toBe(60_000)
    const second = codes.issue("cli-1", KEY)!
    expect(codes.take(first.code)).toBeUndefined()
    expect(codes.take(second.code)).toMatchObject({ device: "cli-1", publicKey: KEY })
    expect(codes.take(second.code)).toBeUndefined()
    const late = codes.issue("cli-2", KEY)!
    now += 60_000
    expect(codes.take(late.code)).toBe("expired")
    expect(codes.take(late.code)).toBeUndefined()
    const bounded = new PairingCodes(() => now, 60_000, 2)
    expect(bounded.issue("a", KEY)).toBeDefined()
    expect(bounded.issue("b", KEY)).toBeDefined()
    expect(bounded.issue("c", KEY)).toBeUndefined()
  })
})
