/** The relay client opens its socket at an address that can carry no secret (browsers print it on every failed retry). */
import { describe, expect, it } from "vitest"
import { socketAddress } from "../../src/peer/relayClientAdapter.ts"

describe("socketAddress", () => {
  it("drops credentials, query and fragment, and keeps scheme, host, port and path", () => {
    expect(socketAddress("ws://ada:s3cret@127.0.0.1:4000/?token=s3cret#join=s3cret")).toBe("ws://127.0.0.1:4000/")
    expect(socketAddress("wss://127.0.0.1:8443/sync?token=s3cret")).toBe("wss://127.0.0.1:8443/sync")
    expect(socketAddress("ws://127.0.0.1:4000")).toBe("ws://127.0.0.1:4000/")
  })
})
