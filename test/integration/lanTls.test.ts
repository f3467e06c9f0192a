/**
 * HTTPS on the LAN: the workspace's own CA and server certificate on real disk, the relay's
 * TLS listener (the chain it sends, names a client checks), the plain trust helper (only the
 * certificate and the steps; everything else redirected to HTTPS), `vivarium relay --lan`
 * as a child process, and certificates an operator brings with --cert/--key. Loopback only:
 * the non-localhost name `vivarium.test` is mapped to 127.0.0.1 by the clients here.
 */
import { X509Certificate } from "node:crypto"
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { request as httpsRequest, type RequestOptions } from "node:https"
import type { LookupFunction } from "node:net"
import { join } from "node:path"
import { connect as tlsConnect, type ConnectionOptions } from "node:tls"
import { describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { TrustFacts } from "../../schemas/trust.ts"
import { CertificateFileError, suppliedCredentials, workspaceCredentials, type TlsCredentials } from "../../peer-server/tls/credentials.ts"
import { tlsPaths } from "../../peer-server/tls/certificateAuthority.ts"
import { spawnCli } from "../helpers/child.ts"
import { runCli } from "../helpers/cli.ts"
import { startTestRelay } from "../helpers/relay.ts"
import { makeTempDir } from "../helpers/tempDir.ts"
import { useTeardown } from "../helpers/teardown.ts"
import { waitFor } from "../helpers/waitFor.ts"

const teardown = useTeardown()
const NAMES = { dns: ["localhost", "vivarium.test"], ips: ["127.0.0.1", "::1"] }
const DAY_MS = 86_400_000

/** Resolves vivarium.test (and only it) to 127.0.0.1, as a LAN's DNS would resolve the machine's name. */
const toLoopback: LookupFunction = (hostname, options, callback) => {
  if (hostname !== "vivarium.test") throw new Error(`unexpected lookup of ${hostname}`)
  if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }])
  else callback(null, "127.0.0.1", 4)
}

/** The PEM blocks of a chain, in order. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g) ?? []
}

function get(url: string, opts: RequestOptions = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { lookup: toLoopback, ...opts }, res => {
      const chunks: Buffer[] = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on("error", reject)
    req.end()
  })
}

/** A TLS handshake with the relay: whether the client accepted it, and why not. */
function handshake(port: number, opts: ConnectionOptions): Promise<{ authorized: boolean; error?: string; leaf: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, servername: "vivarium.test", ...opts }, () => {
      const leaf = socket.getPeerX509Certificate()!
      resolve({ authorized: socket.authorized, ...(socket.authorizationError ? { error: String(socket.authorizationError) } : {}), leaf })
      socket.end()
    })
    socket.on("error", reject)
  })
}

async function tlsRelay(credentials?: TlsCredentials) {
  const dataDir = makeTempDir(teardown, "vivarium-tls-relay-")
  const creds = credentials ?? (await workspaceCredentials(dataDir, { names: NAMES }))
  const relay = await startTestRelay(teardown, { dataDir, tls: { credentials: creds, host: "127.0.0.1", port: 0, helperPort: 0 } })
  return { relay, creds, httpsPort: Number(new URL(relay.httpsUrl!).port) }
}

describe("the workspace's certificate authority", () => {
  it("certifies the machine's names with a chain that verifies, keeps keys 0600, and reuses the CA across restarts", async () => {
    const dir = makeTempDir(teardown, "vivarium-ca-")
    const logs: string[] = []
    const log = (line: string) => logs.push(line)
    const first = await workspaceCredentials(dir, { names: NAMES, log })

    const [leafPem, caPem, ...rest] = pemBlocks(first.cert)
    expect(rest, "the chain is the server certificate, then the CA").toEqual([])
    const leaf = new X509Certificate(leafPem!)
    const ca = new X509Certificate(caPem!)
    expect(ca.ca).toBe(true)
    expect(leaf.ca).toBe(false)
    expect(ca.verify(ca.publicKey), "the CA is self-signed").toBe(true)
    expect(leaf.verify(ca.publicKey), "the CA signed the server certificate").toBe(true)
    expect(leaf.checkIssued(ca)).toBe(true)
    expect(leaf.checkHost("vivarium.test")).toBe("vivarium.test")
    expect(leaf.checkHost("localhost")).toBe("localhost")
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1")
    expect(leaf.checkIP("::1")).toBe("::1")
    expect(leaf.checkHost("example.com")).toBeUndefined()
    expect(leaf.keyUsage, "a TLS server certificate").toContain("1.3.6.1.5.5.7.3.1")
    expect(first.trust?.fingerprint).toBe(ca.fingerprint256)
    expect(first.trust?.der.equals(ca.raw)).toBe(true)
    expect(first.source).toBe("workspace CA")

    const paths = tlsPaths(dir)
    expect(statSync(paths.caKey).mode & 0o777, "the CA key is readable by its owner only").toBe(0o600)
    expect(statSync(paths.serverKey).mode & 0o777).toBe(0o600)
    expect(logs).toEqual([expect.stringMatching(/^issued a server certificate for localhost, vivarium.test, 127.0.0.1, ::1 \(none yet\)$/)])

    // A restart with the same names reuses both the CA and the server certificate.
    const again = await workspaceCredentials(dir, { names: NAMES, log })
    expect(again.cert).toBe(first.cert)
    expect(again.key).toBe(first.key)
    expect(logs).toHaveLength(1)

    // A new address: same CA (devices keep trusting it), new server certificate that covers it.
    const moved = { ...NAMES, ips: [...NAMES.ips, "10.0.0.7"] }
    const reissued = await workspaceCredentials(dir, { names: moved, log })
    expect(reissued.trust?.fingerprint).toBe(first.trust?.fingerprint)
    expect(reissued.cert).not.toBe(first.cert)
    expect(new X509Certificate(pemBlocks(reissued.cert)[0]!).checkIP("10.0.0.7")).toBe("10.0.0.7")
    expect(logs.at(-1)).toMatch(/\(new names or addresses: 10\.0\.0\.7\)$/)

    // Near expiry: reissued at the next start, by the same CA.
    const nearEnd = new Date(new Date(new X509Certificate(pemBlocks(reissued.cert)[0]!).validTo).getTime() - 10 * DAY_MS)
    const renewed = await workspaceCredentials(dir, { names: moved, now: nearEnd, log })
    expect(renewed.trust?.fingerprint).toBe(first.trust?.fingerprint)
    expect(logs.at(-1)).toMatch(/\(it expires on \d{4}-\d\d-\d\d\)$/)
    expect(new Date(new X509Certificate(pemBlocks(renewed.cert)[0]!).validTo).getTime()).toBeGreaterThan(nearEnd.getTime() + 300 * DAY_MS)

    expect(logs.join("\n"), "no key material in the log").not.toMatch(/PRIVATE KEY|BEGIN/)
  })
})

describe("the relay over TLS", () => {
  it("sends its certificate with the CA, and a client that trusts only the CA accepts it under a LAN name", async () => {
    const { relay, creds, httpsPort } = await tlsRelay()
    const trusting = await handshake(httpsPort, { ca: creds.trust!.pem })
    expect(trusting).toMatchObject({ authorized: true })
    expect(trusting.leaf.checkHost("vivarium.test")).toBe("vivarium.test")
    // With no trust configured, the verdict names a self-signed certificate *in the chain*:
    // the server sent the CA along (a leaf alone would be "unable to get issuer").
    const untrusting = await handshake(httpsPort, { rejectUnauthorized: false })
    expect(untrusting).toMatchObject({ authorized: false, error: "SELF_SIGNED_CERT_IN_CHAIN" })

    const base = `https://vivarium.test:${httpsPort}`
    const health = await get(`${base}/healthz`, { ca: creds.trust!.pem })
    expect(health.status).toBe(200)
    const ca = await get(`${base}/ca.crt`, { ca: creds.trust!.pem })
    expect(ca.headers["content-type"]).toBe("application/x-x509-ca-cert")
    expect(ca.body.equals(creds.trust!.der)).toBe(true)
    const facts = TrustFacts.parse(JSON.parse((await get(`${base}/api/trust`, { ca: creds.trust!.pem })).body.toString()))
    expect(facts).toMatchObject({ fingerprint: creds.trust!.fingerprint, panelUrl: `${base}/`, helperUrl: `http://vivarium.test:${new URL(relay.trustHelperUrl!).port}/` })
    // The plain listener serves the same relay (this machine's CLI, worker and browser).
    expect((await fetch(`${relay.httpUrl}/healthz`)).status).toBe(200)
    // A relay without TLS says so, for the panel's Settings.
    const plain = await startTestRelay(teardown)
    expect(await (await fetch(`${plain.httpUrl}/api/trust`)).json()).toEqual({ https: false })
    expect((await fetch(`${plain.httpUrl}/ca.crt`)).status, "no CA without TLS").not.toBe(200)
  })

  it("runs a plain helper that serves only the CA certificate and the steps, and redirects everything else to HTTPS", async () => {
    const { relay, creds, httpsPort } = await tlsRelay()
    const helper = relay.trustHelperUrl!
    const https = `https://vivarium.test:${httpsPort}`

    const der = await fetch(`${helper}/ca.crt`)
    expect(der.status).toBe(200)
    expect(der.headers.get("content-type")).toBe("application/x-x509-ca-cert")
    expect(Buffer.from(await der.arrayBuffer()).equals(creds.trust!.der)).toBe(true)
    expect(await (await fetch(`${helper}/ca.pem`)).text()).toBe(creds.trust!.pem)

    for (const path of ["/", "/trust"]) {
      const page = await fetch(`${helper}${path}`)
      expect(page.status, path).toBe(200)
      expect(page.headers.get("content-security-policy")).toContain("default-src 'none'")
      const html = await page.text()
      expect(html).toContain("Trust this Vivarium workspace")
      expect(html).toContain(creds.trust!.fingerprint.split(":").slice(0, 8).join(":"))
      expect(html, "the QR code and link name the HTTPS panel").toContain(`href="${https}/"`)
      expect(html).toContain("<svg")
      expect(html).not.toContain(relay.token)
    }

    // The visitor's own device's steps open first.
    const iphone = await (await fetch(`${helper}/`, { headers: { "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1" } })).text()
    expect(iphone.match(/<details open data-device="(\w+)">/g)).toEqual(['<details open data-device="ios">'])

    // Everything else, the workspace's API included, is only a redirect: no data in plain text.
    const api = await fetch(`${helper}/api/workspace?x=1`, { headers: { Authorization: `Bearer ${relay.token}` }, redirect: "manual" })
    expect(api.status).toBe(307)
    expect(api.headers.get("location")).toBe(`${https}/api/workspace?x=1`)
    expect(await api.text()).not.toContain(relay.rootUrl)
    const enrol = await fetch(`${helper}/api/enrol`, { method: "POST", body: "{}", redirect: "manual" })
    expect(enrol.status).toBe(307)
    const panel = await fetch(`${helper}/queue`, { redirect: "manual" })
    expect(panel.headers.get("location")).toBe(`${https}/queue`)
    // A Host the certificate does not cover is never echoed into the redirect.
    const forged = await new Promise<string | undefined>((resolve, reject) => {
      const url = new URL(helper)
      import("node:http").then(({ request }) =>
        request({ host: url.hostname, port: url.port, path: "/x", headers: { host: "evil.example" } }, res => {
          res.resume()
          resolve(res.headers.location)
        })
          .on("error", reject)
          .end(),
      )
    })
    expect(forged).toBe(`${https}/x`)

    // No sync over the plain port.
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${helper.replace("http:", "ws:")}/`)
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!))
      ws.on("open", () => reject(new Error("the helper accepted a WebSocket")))
      ws.on("error", () => {})
    })
    expect(status).toBe(403)
  })
})

describe("certificates the operator brings (--cert/--key)", () => {
  it("serves a valid pair with its issuer as the CA to install; refuses a mismatched or unreadable pair with a clear error", async () => {
    const a = makeTempDir(teardown, "vivarium-own-a-")
    const b = makeTempDir(teardown, "vivarium-own-b-")
    await workspaceCredentials(a, { names: NAMES })
    await workspaceCredentials(b, { names: NAMES })
    const pa = tlsPaths(a)
    const pb = tlsPaths(b)
    const chain = join(a, "chain.pem")
    writeFileSync(chain, readFileSync(pa.serverCert, "utf8") + readFileSync(pa.caCert, "utf8"))

    const own = suppliedCredentials(chain, pa.serverKey)
    const caA = new X509Certificate(readFileSync(pa.caCert))
    expect(own).toMatchObject({ source: "your certificate", trust: { fingerprint: caA.fingerprint256 } })
    expect(own.names.dns).toContain("vivarium.test")
    const { httpsPort } = await tlsRelay(own)
    expect(await handshake(httpsPort, { ca: readFileSync(pa.caCert, "utf8") })).toMatchObject({ authorized: true })
    expect(await handshake(httpsPort, { ca: readFileSync(pb.caCert, "utf8"), rejectUnauthorized: false })).toMatchObject({ authorized: false })

    // A certificate alone (no issuer in the file, not self-signed): nothing to offer at /ca.crt.
    expect(suppliedCredentials(pa.serverCert, pa.serverKey).trust).toBeUndefined()

    const refused = (cert: string, key: string) => {
      try {
        suppliedCredentials(cert, key)
      } catch (error) {
        expect(error).toBeInstanceOf(CertificateFileError)
        return (error as Error).message
      }
      throw new Error("accepted")
    }
    expect(refused(pa.serverCert, pb.serverKey)).toBe(`--cert ${pa.serverCert} and --key ${pb.serverKey} do not belong together: the key is not the one the certificate certifies`)
    const garbage = join(a, "garbage.pem")
    writeFileSync(garbage, "hello\n")
    expect(refused(garbage, pa.serverKey)).toMatch(/^--cert .*garbage\.pem: no PEM certificate in it/)
    expect(refused(pa.serverCert, garbage)).toMatch(/^--key .*garbage\.pem: not a readable private key; expected an unencrypted PEM key/)
    expect(refused(join(a, "missing.pem"), pa.serverKey)).toMatch(/^--cert .*missing\.pem: cannot read it \(ENOENT\)$/)

    // The same words from the command line, and no relay started.
    const cli = await runCli(["relay", "--lan", "--host", "127.0.0.1", "--port", "0", "--data", makeTempDir(teardown), "--cert", pa.serverCert, "--key", pb.serverKey])
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain("do not belong together")
    expect(cli.stdout).not.toContain("running")
  }, 60_000)
})

describe("vivarium relay --lan", () => {
  it("prints the HTTPS links, the trust helper and the CA fingerprint, keeps plain HTTP on loopback, and a CLI trusting the CA works over wss", async () => {
    const dataDir = makeTempDir(teardown, "vivarium-lan-")
    const app = spawnCli(["relay", "--lan", "--host", "127.0.0.1", "--port", "0", "--data", dataDir], { cwd: dataDir })
    teardown.add(() => app.stop("SIGKILL"))
    await waitFor(() => /Press Ctrl\+C to stop/.test(app.stdout()) || !app.isRunning(), { timeoutMs: 20_000, message: "the relay's banner" })
    const out = app.stdout()
    const token = readFileSync(join(dataDir, "join-secret"), "utf8").trim()
    const caFile = tlsPaths(dataDir).caCert
    const fingerprint = new X509Certificate(readFileSync(caFile)).fingerprint256

    expect(out).toMatch(/Control panel: http:\/\/127\.0\.0\.1:\d+\/#join=/)
    const httpsPort = /From the LAN:\s+https:\/\/127\.0\.0\.1:(\d+)\/#join=/.exec(out)?.[1]
    const helperPort = /Trust first:\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]
    expect(httpsPort && helperPort, out).toBeTruthy()
    expect(out).toContain(`CA SHA-256:    ${fingerprint}`)
    expect(JSON.parse(readFileSync(join(dataDir, "relay.json"), "utf8")).host, "plain HTTP for this machine only").toBe("127.0.0.1")
    expect(app.stderr()).toMatch(/issued a server certificate for .*\(none yet\)/)
    expect(app.stderr(), "the log never carries the join secret or a key").not.toMatch(new RegExp(`${token}|PRIVATE KEY`))
    expect((await fetch(`http://127.0.0.1:${helperPort}/ca.crt`)).status).toBe(200)
    // join-link, later, gives the same LAN link as the banner.
    const joinLink = await runCli(["join-link", "--json", "--data", dataDir])
    expect(JSON.parse(joinLink.stdout)).toMatchObject({ lanUrls: [`https://127.0.0.1:${httpsPort}/#join=${encodeURIComponent(token)}`] })

    // A Node peer on another machine trusts the CA through NODE_EXTRA_CA_CERTS (what the banner says).
    const relay = `wss://127.0.0.1:${httpsPort}`
    const trusted = await runCli(["status", "--relay", relay, "--token", token, "--json", "--data", dataDir], { env: { NODE_EXTRA_CA_CERTS: caFile } })
    expect(trusted.code, trusted.stderr).toBe(0)
    const untrusted = await runCli(["status", "--relay", relay, "--token", token], { env: { NODE_EXTRA_CA_CERTS: undefined } })
    expect(untrusted.code).not.toBe(0)
    expect(untrusted.stderr).toMatch(/cannot reach the relay at https:\/\/127\.0\.0\.1:\d+ \(self[- ]signed certificate in certificate chain\)/)

    expect(await app.stop("SIGINT")).toEqual({ code: 0, signal: null })
  }, 90_000)
})
