/**
 * Keys in tests: CLI children keep terminal keys and pinned anchors under a VIVARIUM_HOME of
 * this test process (not the machine's ~/.vivarium); the owner of a relay is read from its
 * data directory, as the CLI on the relay's machine does.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { dataDirPaths } from "../../peer-server/dataDir.ts"
import { loadIdentity } from "../../src/peer/peerIdentity.ts"
import type { PeerIdentity } from "../../src/domain/peers/registerPeer.ts"

let home: string | undefined

export function testOperatorHome(): string {
  if (!home) {
    const dir = mkdtempSync(join(tmpdir(), "vivarium-home-"))
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }))
    home = dir
  }
  return home
}

/** The owner's key the relay keeps in `dataDir` (made on its first start). */
export async function ownerIdentityOf(dataDir: string): Promise<PeerIdentity> {
  const owner = await loadIdentity(dataDirPaths(dataDir).ownerIdentity)
  if (!owner) throw new Error(`no owner key in ${dataDir}: has a relay started there?`)
  return owner
}
