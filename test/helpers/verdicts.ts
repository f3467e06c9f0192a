/**
 * For unit tests of authority rules (src/domain/<concept>/authority.ts): a principal as the
 * gate binds one, without test/helpers/gateHarness.ts's Repo machinery, and a check that a
 * verdict refuses for its own reason (a refusal for some other reason fails the test).
 */
import { expect } from "vitest"
import type { AuthorityVerdict } from "../../src/core/authority/verdict.ts"
import type { Principal, PrincipalRole } from "../../src/core/principal.ts"

export const principal = (peer: string, role: PrincipalRole): Principal => ({ peer, role, publicKeyHex: "ab".repeat(32) })

export function expectRefused(v: AuthorityVerdict, re: RegExp): void {
  expect(v.ok).toBe(false)
  if (!v.ok) expect(v.reason).toMatch(re)
}
