/**
 * The relay as a list of extensions: hooks run in list order, the first refusal and the first
 * answer win, every reader hook must agree, and a start that fails stops what started. The
 * last part runs a real relay with one extension added and one left out.
 */
import { describe, expect, it } from "vitest"
import { ExtensionChain, type RelayContext, type RelayExtension } from "../../peer-server/extension.ts"
import { sendJson } from "../../peer-server/http.ts"
import type { Principal } from "../../peer-server/principal.ts"
import type { RepoMessage } from "../../peer-server/transport/relayServerAdapter.ts"
import { connectTestPeer } from "../helpers/peers.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const operator: Principal = { peer: "ada", role: "operator", publicKeyHex: "ab".repeat(32) }
const message = { type: "sync", documentId: "doc", senderId: "p", targetId: "relay", data: new Uint8Array() } as unknown as RepoMessage
const ctx = { log: () => {} } as unknown as RelayContext

async function started(list: RelayExtension[]): Promise<ExtensionChain> {
  const chain = new ExtensionChain(list)
  await chain.start(ctx)
  return chain
}

describe("extension chain", () => {
  it("asks every beforeMessage hook in order and stops at the first refusal", async () => {
    const asked: string[] = []
    const chain = await started([
      { name: "a", beforeMessage: () => (asked.push("a"), "accept") },
      { name: "b", beforeMessage: async () => (asked.push("b"), { refuse: "b says no" }) },
      { name: "c", beforeMessage: () => (asked.push("c"), "accept") },
    ])
    expect(await chain.beforeMessage(operator, message)).toEqual({ refuse: "b says no" })
    expect(asked).toEqual(["a", "b"])
  })

  it("refuses messages and reads until every extension started", async () => {
    let release!: () => void
    const chain = new ExtensionChain([{ name: "slow", onStart: () => new Promise<void>(r => (release = r)), mayRead: () => true }])
    const starting = chain.start(ctx)
    expect(await chain.beforeMessage(operator, message)).toEqual({ refuse: expect.stringContaining("still starting"), retry: true })
    expect(chain.mayRead(operator, "doc")).toBe(false)
    release()
    await starting
    expect(await chain.beforeMessage(operator, message)).toBe("accept")
    expect(chain.mayRead(operator, "doc")).toBe(true)
  })

  it("lets a principal read a document only when every mayRead hook agrees", async () => {
    const chain = await started([{ name: "yes", mayRead: () => true }, { name: "pending-rule", mayRead: (_, id) => id !== "secret" }, { name: "silent" }])
    expect(chain.mayRead(operator, "doc")).toBe(true)
    expect(chain.mayRead(operator, "secret")).toBe(false)
  })

  it("a failing start stops the extensions already started, newest first, and rethrows", async () => {
    const events: string[] = []
    const chain = new ExtensionChain([
      { name: "a", onStart: () => void events.push("start a"), onStop: () => void events.push("stop a") },
      { name: "b", onStart: () => void events.push("start b"), onStop: () => void events.push("stop b") },
      { name: "c", onStart: () => Promise.reject(new Error("no disk")), onStop: () => void events.push("stop c") },
    ])
    await expect(chain.start(ctx)).rejects.toThrow("no disk")
    expect(events).toEqual(["start a", "start b", "stop b", "stop a"])
  })

  it("refuses a list that names one extension twice", () => {
    expect(() => new ExtensionChain([{ name: "gate" }, { name: "gate" }])).toThrow("relay extension gate is listed twice")
  })
})

describe("a relay built from extensions", () => {
  it("serves an added extension's route and hooks, and runs without one it leaves out", async () => {
    const seen: string[] = []
    const hello: RelayExtension = {
      name: "hello",
      onRequest(req, res, path) {
        if (path !== "/api/hello") return false
        sendJson(res, 200, { hello: "world" })
        return true
      },
      beforeMessage(principal, msg) {
        if (msg.type === "sync" || msg.type === "request") seen.push(principal.peer)
        return "accept"
      },
    }
    const relay = await startTestRelay(teardown, { extensions: standard => [...standard.filter(e => e.name !== "metrics"), hello] })
    const answer = await fetch(`${relay.httpUrl}/api/hello`)
    expect(await answer.json()).toEqual({ hello: "world" })
    // Left out: /metrics answers no counters now (the control panel takes the path); the other routes are there.
    expect(await (await fetch(`${relay.httpUrl}/metrics`)).text()).not.toContain("vivarium_connected_peers")
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200)
    // The added extension's hook sees the sync messages a real peer sends.
    const peer = await connectTestPeer(teardown, relay)
    await waitFor(() => seen.includes(peer.identity.name), { message: "the added extension to see the peer's sync" })
  })
})
