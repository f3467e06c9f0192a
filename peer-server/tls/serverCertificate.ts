/**
 * The server certificate the relay presents on the LAN, issued by the workspace CA for the
 * machine's names and addresses. Reissued at start when the names or addresses changed,
 * when it nears expiry, or when the CA that issued it is not the workspace's CA any more.
 */
import { X509Certificate as NodeCertificate, createPrivateKey } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { isIP } from "node:net"
import type { CertificateAuthority, TlsPaths } from "./certificateAuthority.ts"
import { readPrivateKeyFile } from "./certificateAuthority.ts"
import type { ServerNames } from "./machineNames.ts"
import { KEY_ALGORITHM, certificatePem, generateKeyPair, privateKeyPem, x509 } from "./x509.ts"
import { writeFileAtomic } from "../../src/peer/files.ts"

const DAY_MS = 86_400_000
/** Under the 398 days browsers accept from public CAs, so no platform rule ever bites. */
export const SERVER_CERT_DAYS = 397
/** Reissued at a start this close to expiry. */
export const RENEW_BEFORE_DAYS = 30

export interface ServerCertificate {
  readonly certPem: string
  readonly keyPem: string
  readonly names: ServerNames
  readonly notAfter: Date
}

/** The DNS names and IP addresses a certificate's subjectAltName lists. */
export function certificateNames(cert: x509.X509Certificate): ServerNames {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension)
  const items = san?.names.items ?? []
  return { dns: items.filter(n => n.type === "dns").map(n => n.value.toLowerCase()), ips: items.filter(n => n.type === "ip").map(n => n.value) }
}

function sameNames(a: ServerNames, b: ServerNames): boolean {
  const key = (n: ServerNames) => JSON.stringify([[...n.dns].sort(), [...n.ips].map(canonicalIp).sort()])
  return key(a) === key(b)
}

/** One spelling per address (::1 and 0:0:…:1 are the same). */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname : ip
}

/** Why the stored certificate must be replaced, or undefined when it still serves. */
function reissueReason(paths: TlsPaths, ca: CertificateAuthority, wanted: ServerNames, now: Date): string | undefined {
  if (!existsSync(paths.serverCert) || !existsSync(paths.serverKey)) return "none yet"
  let cert: x509.X509Certificate
  let node: NodeCertificate
  try {
    const pem = readFileSync(paths.serverCert, "utf8")
    cert = new x509.X509Certificate(pem)
    node = new NodeCertificate(pem)
    if (!node.checkPrivateKey(createPrivateKey(readPrivateKeyFile(paths.serverKey)))) return "its key file does not match"
  } catch (error) {
    return `the stored one is unreadable (${(error as Error).message})`
  }
  if (!node.verify(new NodeCertificate(ca.pem).publicKey)) return "issued by another CA"
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return `it expires on ${cert.notAfter.toISOString().slice(0, 10)}`
  const had = certificateNames(cert)
  if (!sameNames(had, wanted)) {
    const added = [...wanted.dns, ...wanted.ips].filter(n => !had.dns.includes(n) && !had.ips.map(canonicalIp).includes(canonicalIp(n)))
    return added.length ? `new names or addresses: ${added.join(", ")}` : "names or addresses went away"
  }
  return undefined
}

async function issue(paths: TlsPaths, ca: CertificateAuthority, names: ServerNames, now: Date): Promise<void> {
  const keys = await generateKeyPair()
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: [names.dns[0] ?? names.ips[0] ?? "localhost"] }, { O: ["Vivarium workspace"] }],
    issuer: ca.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: KEY_ALGORITHM,
    // An hour back: a device whose clock runs a little behind still accepts it.
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + SERVER_CERT_DAYS * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map(value => ({ type: "dns" as const, value })),
        ...names.ips.map(value => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  })
  writeFileAtomic(paths.serverKey, await privateKeyPem(keys.privateKey), 0o600)
  writeFileAtomic(paths.serverCert, certificatePem(cert))
}

/**
 * The stored server certificate, reissued first when it no longer fits (`reissued` says
 * why, for the operator's log). The key is written 0600 next to the CA's.
 */
export async function loadOrIssueServerCertificate(
  paths: TlsPaths,
  ca: CertificateAuthority,
  names: ServerNames,
  now = new Date(),
): Promise<{ certificate: ServerCertificate; reissued?: string }> {
  const reason = reissueReason(paths, ca, names, now)
  if (reason) await issue(paths, ca, names, now)
  const certPem = readFileSync(paths.serverCert, "utf8")
  const cert = new x509.X509Certificate(certPem)
  return {
    certificate: { certPem, keyPem: readPrivateKeyFile(paths.serverKey), names: certificateNames(cert), notAfter: cert.notAfter },
    ...(reason ? { reissued: reason } : {}),
  }
}
