/**
 * What the relay's TLS listener serves with: a key, a certificate chain (server certificate,
 * then the CA that issued it, so a device that installed the CA can build the path without
 * fetching anything) and the trust anchor devices install. Either the workspace's own CA
 * and a certificate for this machine, or a certificate the operator brings (--cert/--key).
 */
import { X509Certificate as NodeCertificate, createPrivateKey, type KeyObject } from "node:crypto"
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import type { SecureContextOptions } from "node:tls"
import { loadOrCreateCertificateAuthority, tlsPaths, trustAnchorOf, type TrustAnchor } from "./certificateAuthority.ts"
import { machineNames, type ServerNames } from "./machineNames.ts"
import { certificateNames, loadOrIssueServerCertificate } from "./serverCertificate.ts"
import { x509 } from "./x509.ts"

export interface TlsCredentials {
  /** PEM private key of the server certificate (never logged). */
  readonly key: string
  /** PEM chain: the server certificate first, then its issuer. */
  readonly cert: string
  /** What devices install to trust this server; absent for a brought certificate without its issuer. */
  readonly trust?: TrustAnchor
  /** The names and addresses the server certificate covers. */
  readonly names: ServerNames
  /** Where the credentials come from, for the start banner. */
  readonly source: "workspace CA" | "your certificate"
}

/** Options for `https.createServer`: TLS 1.2 or newer, with the chain. */
export function serverOptions(credentials: TlsCredentials): SecureContextOptions {
  return { key: credentials.key, cert: credentials.cert, minVersion: "TLSv1.2" }
}

/**
 * The workspace CA (made on first use) and a server certificate for this machine's names
 * and addresses, plus `extraNames` (a --host name). `log` hears when it was (re)issued and why.
 */
export async function workspaceCredentials(
  dataDir: string,
  opts: { names?: ServerNames; extraNames?: string[]; now?: Date; log?: (line: string) => void } = {},
): Promise<TlsCredentials> {
  const now = opts.now ?? new Date()
  const ca = await loadOrCreateCertificateAuthority(dataDir, hostname(), now)
  const names = opts.names ?? machineNames(opts.extraNames)
  const { certificate, reissued } = await loadOrIssueServerCertificate(tlsPaths(dataDir), ca, names, now)
  if (reissued) opts.log?.(`issued a server certificate for ${[...names.dns, ...names.ips].join(", ")} (${reissued})`)
  return {
    key: certificate.keyPem,
    cert: certificate.certPem + ca.pem,
    trust: { pem: ca.pem, der: ca.der, fingerprint: ca.fingerprint, subject: ca.subject },
    names: certificate.names,
    source: "workspace CA",
  }
}

export class CertificateFileError extends Error {
  override readonly name = "CertificateFileError"
}

function readFile(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8")
  } catch (error) {
    throw new CertificateFileError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

/**
 * A certificate the operator brings: `certFile` holds the server certificate in PEM, maybe
 * followed by its issuers; `keyFile` its unencrypted private key in PEM. Both must parse,
 * belong together and be valid now; the last issuer in the file (if any) is what devices
 * are offered at /ca.crt.
 */
export function suppliedCredentials(certFile: string, keyFile: string, now = new Date()): TlsCredentials {
  const certText = readFile("--cert", certFile)
  const keyText = readFile("--key", keyFile)
  const blocks = certText.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
  if (!blocks.length) throw new CertificateFileError(`--cert ${certFile}: no PEM certificate in it (expected a -----BEGIN CERTIFICATE----- block)`)
  let chain: NodeCertificate[]
  try {
    chain = blocks.map(b => new NodeCertificate(b))
  } catch (error) {
    throw new CertificateFileError(`--cert ${certFile}: not a readable certificate (${(error as Error).message})`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey(keyText)
  } catch (error) {
    throw new CertificateFileError(`--key ${keyFile}: not a readable private key; expected an unencrypted PEM key (${(error as Error).message})`)
  }
  const leaf = chain[0]!
  if (!leaf.checkPrivateKey(key))
    throw new CertificateFileError(`--cert ${certFile} and --key ${keyFile} do not belong together: the key is not the one the certificate certifies`)
  if (new Date(leaf.validTo).getTime() <= now.getTime()) throw new CertificateFileError(`--cert ${certFile}: the certificate expired on ${leaf.validTo}`)
  if (new Date(leaf.validFrom).getTime() > now.getTime()) throw new CertificateFileError(`--cert ${certFile}: the certificate is valid only from ${leaf.validFrom}`)
  const issuer = chain.length > 1 ? chain.at(-1)! : leaf.checkIssued(leaf) ? leaf : undefined
  return {
    key: keyText,
    cert: certText,
    ...(issuer ? { trust: trustAnchorOf(issuer.toString()) } : {}),
    names: certificateNames(new x509.X509Certificate(blocks[0]!)),
    source: "your certificate",
  }
}
