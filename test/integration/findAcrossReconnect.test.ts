/**
 * A peer the relay drops while it asks for a document (its event loop blocked past the
 * relay's keep-alive on a busy machine, or a network blink): automerge-repo answers
 * "unavailable" at once, as no peer is left to ask. `findDocument` waits for the relay to come
 * back and finds the document then; an "unavailable" from a connected relay stays an answer.
 */
import { parseAutomergeUrl, type AutomergeUrl } from "@automerge/automerge-repo"
import { describe, expect, it } from "vitest"
import { findDocument } from "../../src/workspace/sync.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()

describe("finding a document across a lost connection", () => {
  it("a document asked for while the relay is gone is found once it is back; a connected relay's unavailable is final", async () => {
    const relay = await startTestRelay(teardown)
    const peer = await connectTestPeer(teardown, relay)
    const url = relay.workspace.root.docs.wallets as AutomergeUrl
    expect(peer.repo.handles[parseAutomergeUrl(url).documentId]).toBeUndefined()

    // The relay drops the peer; with nobody left to ask, a plain find is answered at once.
    const socket = relay.adapter.joinedSockets().get(peer.repo.peerId)!
    socket.terminate()
    await waitFor(() => peer.repo.peers.length === 0, { timeoutMs: 10_000, events: [[peer.repo.networkSubsystem, "peer-disconnected"]], message: "the peer noticed" })
    await expect(peer.repo.find(url)).rejects.toThrow(/unavailable/)

    // findDocument waits: the peer dials again, the Repo asks again, and the document arrives.
    const handle = await findDocument(peer.repo, url, 20_000)
    expect(handle.isReady()).toBe(true)
    expect(handle.doc()).toMatchObject({ kind: "wallets" })

    // Connected, a document the relay does not have is its answer: no wait.
    const missing = "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ" as AutomergeUrl
    const t0 = performance.now()
    await expect(findDocument(peer.repo, missing, 20_000)).rejects.toThrow(/unavailable/)
    expect(performance.now() - t0).toBeLessThan(10_000)
  })
})
