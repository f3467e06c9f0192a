/** The names and addresses the workspace's server certificate covers. */
import type { NetworkInterfaceInfo } from "node:os"
import { describe, expect, it } from "vitest"
import { isDnsName, lanAddresses, serverNames } from "../../peer-server/tls/machineNames.ts"

const nic = (address: string, family: "IPv4" | "IPv6", internal = false) => ({ address, family, internal }) as NetworkInterfaceInfo

describe("serverNames", () => {
  it("covers the host name, its .local name, localhost, loopback and every reachable address", () => {
    const names = serverNames("Studio.example.org", {
      lo: [nic("127.0.0.1", "IPv4", true), nic("::1", "IPv6", true)],
      eth0: [nic("192.168.1.20", "IPv4"), nic("fe80::1c2:3ff:fe4", "IPv6"), nic("fd12::20", "IPv6")],
      wlan0: [nic("10.0.0.5", "IPv4")],
    })
    expect(names.dns).toEqual(["localhost", "studio.example.org", "studio", "studio.local"])
    // Link-local IPv6 needs a zone id, which no browser accepts in a URL: left out.
    expect(names.ips).toEqual(["127.0.0.1", "::1", "192.168.1.20", "fd12::20", "10.0.0.5"])
    expect(lanAddresses(names)).toEqual(["192.168.1.20", "10.0.0.5", "fd12::20"])
  })

  it("adds a name or address given with --host, and skips names no certificate can hold", () => {
    const names = serverNames("my_box", {}, ["vivarium.test", "192.168.7.7", "bad name"])
    expect(names.dns).toEqual(["localhost", "vivarium.test"])
    expect(names.ips).toEqual(["127.0.0.1", "::1", "192.168.7.7"])
    expect(isDnsName("a-b.c")).toBe(true)
    expect(isDnsName("-a.c")).toBe(false)
  })
})
