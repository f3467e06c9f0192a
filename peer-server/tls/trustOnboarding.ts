/**
 * Trust onboarding, as a relay extension: the CA certificate at /ca.crt (DER, which phones
 * and desktop certificate stores import most readily) and /ca.pem (for tools such as curl
 * and NODE_EXTRA_CA_CERTS), the "trust this workspace" page at /trust and its facts at
 * /api/trust, on the relay's own listeners. A device cannot reach those over HTTPS before it
 * trusts the CA, so the extension also runs a plain-HTTP helper listener on the LAN address
 * that serves only the page and the certificate and redirects every other request to HTTPS:
 * nothing of the workspace travels in plain text on the LAN.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { isIP } from "node:net"
import type { Duplex } from "node:stream"
import createDebug from "debug"
import type { TrustFacts, TrustOn } from "../../schemas/trust.ts"
import type { RelayContext, RelayExtension } from "../extension.ts"
import { isRead, send, sendJson } from "../http.ts"
import type { TlsCredentials } from "./credentials.ts"
import { lanAddresses } from "./machineNames.ts"
import { deviceOf, trustPageHtml } from "./trustPage.ts"

const debug = createDebug("app:relay:trust")

/** The page runs no script and loads nothing: styles inline, the QR code inline SVG. */
const PAGE_HEADERS = { "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" }

export interface TrustOnboardingOptions {
  credentials: TlsCredentials
  /** Where the plain helper listens: the LAN address the HTTPS listener uses, its own port (0 picks one). */
  helperHost: string
  helperPort: number
}

export interface TrustOnboarding extends RelayExtension {
  readonly name: "trust-onboarding"
  /** The helper's port once the relay started (0 before). */
  readonly helperPort: () => number
}

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"])

/** The relay without TLS: /api/trust says so (the panel's Settings then tells how to turn it on). */
export function plainOnly(): RelayExtension {
  const answer: TrustFacts = { https: false }
  return {
    name: "trust-onboarding",
    onRequest(req, res, path) {
      if (path !== "/api/trust" || !isRead(req)) return false
      sendJson(res, 200, answer)
      return true
    },
  }
}

export function trustOnboarding(opts: TrustOnboardingOptions): TrustOnboarding {
  const { credentials } = opts
  const anchor = credentials.trust
  const certified = new Set([...credentials.names.dns, ...credentials.names.ips].map(n => n.toLowerCase()))
  let ctx: RelayContext | undefined
  let helper: Server | undefined
  let helperPort = 0

  /**
   * The host a link should name for this request: the one the device used when the
   * certificate covers it (the Host header is the client's word, so only a certified name is
   * echoed), else a LAN address another device can reach.
   */
  const hostFor = (req: IncomingMessage): string => {
    let requested = ""
    try {
      requested = new URL(`http://${req.headers.host ?? ""}`).hostname.replace(/^\[|\]$/g, "").toLowerCase()
    } catch {
      // no usable Host header
    }
    if (certified.has(requested) && !LOOPBACK.has(requested)) return requested
    return lanAddresses(credentials.names)[0] ?? credentials.names.dns.find(n => !LOOPBACK.has(n)) ?? "localhost"
  }
  const panelUrl = (host: string) => `https://${urlHost(host)}:${ctx!.ports().https ?? 0}/`
  const helperUrl = (host: string) => `http://${urlHost(host)}:${helperPort}/`

  const facts = (req: IncomingMessage): TrustOn => {
    const host = hostFor(req)
    return {
      https: true,
      ...(anchor ? { fingerprint: anchor.fingerprint, subject: anchor.subject } : {}),
      panelUrl: panelUrl(host),
      helperUrl: helperUrl(host),
      names: [...certified],
    }
  }

  /** The trust material; true when `path` is one of its routes. */
  const serveTrust = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (!isRead(req)) return false
    if (path === "/ca.crt" || path === "/ca.pem") {
      if (!anchor) sendJson(res, 404, { error: "this workspace uses a certificate its operator provided, without its issuer: there is no CA to install" })
      else if (path === "/ca.crt") send(res, 200, "application/x-x509-ca-cert", anchor.der, { "Content-Disposition": 'inline; filename="vivarium-ca.crt"' })
      else send(res, 200, "application/x-pem-file", anchor.pem, { "Content-Disposition": 'inline; filename="vivarium-ca.pem"' })
      return true
    }
    if (path === "/trust") {
      trustPageHtml({ ...(anchor ? { anchor } : {}), panelUrl: panelUrl(hostFor(req)), device: deviceOf(req.headers["user-agent"]) }).then(
        html => send(res, 200, "text/html; charset=utf-8", html, PAGE_HEADERS),
        error => sendJson(res, 500, { error: `cannot draw the trust page: ${(error as Error).message}` }),
      )
      return true
    }
    return false
  }

  /** The plain helper: the trust page (also at /), the certificate, and a redirect to HTTPS for everything else. */
  const helperRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://helper.invalid")
    const path = url.pathname === "/" ? "/trust" : url.pathname
    if (serveTrust(req, res, path)) return
    const target = new URL(`${url.pathname}${url.search}`, panelUrl(hostFor(req))).href
    res.writeHead(307, { Location: target, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" })
    res.end(`This address serves only the workspace's certificate and the steps to trust it. The workspace is at ${target}\n`)
  }
  const helperUpgrade = (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", error => debug("helper socket error: %s", error.message))
    socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
  }

  return {
    name: "trust-onboarding",
    helperPort: () => helperPort,
    async onStart(started) {
      ctx = started
      const server = createServer(helperRequest)
      server.on("upgrade", helperUpgrade)
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen(opts.helperPort, opts.helperHost, () => resolve())
      })
      const address = server.address()
      helperPort = typeof address === "object" && address ? address.port : opts.helperPort
      helper = server
    },
    onRequest(req, res, path) {
      if (path === "/api/trust" && isRead(req)) {
        sendJson(res, 200, facts(req))
        return true
      }
      return serveTrust(req, res, path)
    },
    async onStop() {
      const server = helper
      helper = undefined
      if (!server) return
      await new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
