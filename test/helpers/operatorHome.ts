/**
 * The operator key tests act as: "tester" under a VIVARIUM_HOME of this test process (not
 * the machine's ~/.vivarium). CLI children get the same home, and test relays make this
 * identity their owner, so CLI commands in tests speak for an approved owner by default.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadOrCreateIdentity } from "../../src/peer/peerIdentity.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"

export const TEST_OPERATOR = "tester"

let home: string | undefined

export function testOperatorHome(): string {
  if (!home) {
    const dir = mkdtempSync(join(tmpdir(), "vivarium-home-"))
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }))
    home = dir
  }
  return home
}

export function testOperatorIdentity(): Promise<PeerIdentity> {
  return loadOrCreateIdentity(join(testOperatorHome(), "operators", TEST_OPERATOR), TEST_OPERATOR, "operator")
}
