/**
 * The names and addresses a device on the LAN may use to reach this machine: what the
 * workspace's server certificate must cover.
 */
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from "node:os"
import { isIP } from "node:net"

export interface ServerNames {
  dns: string[]
  ips: string[]
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** A host name fit for a certificate: dot-separated labels of letters, digits and inner hyphens. */
export function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split(".").every(label => DNS_LABEL.test(label))
}

/**
 * hostname, hostname.local (multicast DNS, what phones resolve), localhost, the loopback
 * addresses and every non-internal address of the machine. IPv6 link-local addresses
 * (fe80::/10) are left out: they need a zone id, which browsers do not accept in a URL.
 */
export function serverNames(host: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, extra: string[] = []): ServerNames {
  const dns = new Set<string>(["localhost"])
  const ips = new Set<string>(["127.0.0.1", "::1"])
  const short = host.toLowerCase().split(".")[0] ?? ""
  for (const name of [host.toLowerCase(), short, short && `${short}.local`, ...extra.map(n => n.toLowerCase())]) {
    if (isIP(name)) ips.add(name)
    else if (name && isDnsName(name)) dns.add(name)
  }
  for (const info of Object.values(interfaces).flat()) {
    if (!info || info.internal) continue
    if (info.family === "IPv6" && /^fe[89ab]/i.test(info.address)) continue
    ips.add(info.address)
  }
  return { dns: [...dns], ips: [...ips] }
}

/** This machine's names and addresses now (plus `extra`, e.g. a name given with --host). */
export function machineNames(extra: string[] = []): ServerNames {
  return serverNames(hostname(), networkInterfaces(), extra)
}

/** The addresses other LAN devices can use (non-loopback IPs), IPv4 first. */
export function lanAddresses(names: ServerNames): string[] {
  const lan = names.ips.filter(ip => ip !== "127.0.0.1" && ip !== "::1")
  return [...lan.filter(ip => isIP(ip) === 4), ...lan.filter(ip => isIP(ip) === 6)]
}
