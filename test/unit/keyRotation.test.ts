/** rotateKey: signed by the old key or the owner; readers follow it, and audit logs verify across it. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { generateSigningKey, importPrivateKey } from "../../src/core/signing.ts"
import { AuditLog } from "../../src/domain/audit/auditLog.ts"
import { verifyPeerAudit } from "../../src/domain/audit/auditVerify.ts"
import { KeyRotationError, rotateKey } from "../../src/domain/peers/keyRotation.ts"
import { NOW, operatorContext, socialFixture, type SocialFixture } from "../helpers/socialFixture.ts"

let f: SocialFixture
beforeEach(async () => {
  f = await socialFixture([])
})
afterEach(async () => {
  await f.close()
})

const fresh = async () => {
  const pair = await generateSigningKey()
  return { publicKey: pair.publicKeyHex, key: await importPrivateKey(pair.privateKeyPkcs8) }
}

describe("rotateKey", () => {
  it("by the peer itself: the new key signs from the rotation on, the old one no longer does", async () => {
    const bob = await operatorContext(f.ws, "bob", NOW)
    const old = f.ws.root.peers.bob!.publicKey
    const next = await fresh()
    await rotateKey(f.ws, bob.audit.signer, "bob", next.publicKey, NOW + 100)
    expect(f.ws.root.peers.bob!.publicKey).toBe(next.publicKey)
    expect(f.ws.authority.issues).toEqual([])
    expect(f.ws.authority.keyFor("bob", ["operator"], NOW + 50)).toBe(old)
    expect(f.ws.authority.keyFor("bob", ["operator"], NOW + 150)).toBe(next.publicKey)
  })

  it("by the owner for another peer; anyone else is refused and writes nothing", async () => {
    await operatorContext(f.ws, "bob", NOW)
    const carol = await operatorContext(f.ws, "carol", NOW)
    const next = await fresh()
    await expect(rotateKey(f.ws, carol.audit.signer, "bob", next.publicKey, NOW + 100)).rejects.toThrow(KeyRotationError)
    expect(f.ws.root.peers.bob!.rotations).toBeUndefined()
    await rotateKey(f.ws, f.ctx.audit.signer, "bob", next.publicKey, NOW + 100)
    expect(f.ws.authority.keyFor("bob", ["operator"], NOW + 150)).toBe(next.publicKey)
  })

  it("the audit log verifies across a rotation: old entries against the old key, new ones against the new", async () => {
    const bob = await operatorContext(f.ws, "bob", NOW)
    const handle = bob.audit.handle
    f.ws.rootHandle.change(d => {
      d.peers.bob!.auditUrl = handle.url
    })
    let t = NOW
    const before = new AuditLog(handle, bob.audit.signer, { now: () => t })
    await before.append("social", "x", {})
    const next = await fresh()
    await rotateKey(f.ws, bob.audit.signer, "bob", next.publicKey, NOW + 100)
    t = NOW + 200
    const after = new AuditLog(handle, { actor: bob.actor, key: next.key }, { now: () => t })
    await after.append("social", "y", {})
    expect(await verifyPeerAudit(f.repo, "bob", f.ws.root.peers.bob!)).toMatchObject({ ok: true, entries: 2 })
    // An entry after the rotation signed with the old key is not bob's.
    await before.append("social", "z", {})
    expect(await verifyPeerAudit(f.repo, "bob", f.ws.root.peers.bob!)).toMatchObject({ ok: false, seq: 2 })
  })
})
