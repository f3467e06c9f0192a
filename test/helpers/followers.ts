/** Follower relays of a test relay, approved at the primary as the owner does (with the CLI next to its data dir). */
import { expect } from "vitest"
import { runMain } from "./cli.ts"
import { startTestRelay, type TestRelay } from "./relay.ts"
import type { Teardown } from "./teardown.ts"
import { waitFor } from "./waitFor.ts"

/** Starts a follower of `primary` and approves it there. */
export async function startFollower(teardown: Teardown, primary: TestRelay, name: string, dataDir?: string): Promise<TestRelay> {
  const starting = startTestRelay(teardown, { follow: { url: primary.wsUrl, token: primary.token, name, retryMs: 200 }, ...(dataDir ? { dataDir } : {}) })
  if (primary.workspace.root.peers[name]?.state !== "approved") {
    await waitFor(() => !!primary.workspace.root.peers[name], { events: [[primary.workspace.rootHandle, "change"]], message: `${name} to enrol` })
    expect(primary.workspace.root.peers[name]).toMatchObject({ role: "mirror", state: "pending" })
    const approved = await runMain(["operator", "approve", name, "--data", primary.dataDir])
    expect(approved.value, approved.stderr).toBe(0)
  }
  return starting
}

/** Resolves once `relay` has heard that peer `name` is approved. */
export function whenApprovedOn(relay: TestRelay, name: string): Promise<unknown> {
  return waitFor(() => relay.workspace.root.peers[name]?.state === "approved", { events: [[relay.workspace.rootHandle, "change"]], message: `${name} approved on ${relay.httpUrl}` })
}
