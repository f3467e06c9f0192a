/** Admitting a worker the way an operator would (`vivarium worker approve`), through the relay's replica. */
import type { RootDoc } from "../../schemas/index.ts"
import type { TestRelay } from "./relay.ts"
import { waitFor } from "./waitFor.ts"

export async function approveWorker(relay: TestRelay, name: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => !!relay.workspace.root.peers[name], { timeoutMs, events: [[relay.workspace.rootHandle, "change"]], message: `${name} to register` })
  relay.workspace.rootHandle.change((d: RootDoc) => {
    Object.assign(d.peers[name]!, { state: "approved", decidedBy: "alice", decidedAt: Date.now() })
  })
}
