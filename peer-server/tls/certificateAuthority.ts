/**
 * The workspace's own certificate authority, the way mkcert makes one: a key that never
 * leaves this machine (DATA/tls/ca-key.pem, mode 0600; the data directory is not
 * replicated and nothing logs the key) and a CA certificate that devices install once.
 * Made on the first start with --lan and reused on every later one, so a device trusts the
 * workspace once.
 */
import { X509Certificate as NodeCertificate, createPrivateKey, createPublicKey, webcrypto } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { createFileExclusive, writeFileAtomic } from "../../src/peer/files.ts"
import { KEY_ALGORITHM, certificatePem, generateKeyPair, importPrivateKeyPem, privateKeyPem, x509 } from "./x509.ts"

/** Ten years, as mkcert: devices trust the CA once, for as long as the workspace lives. */
const CA_DAYS = 3650
const DAY_MS = 86_400_000

export interface TrustAnchor {
  /** The certificate devices install, PEM and DER. */
  readonly pem: string
  readonly der: Buffer
  /** SHA-256 of the DER certificate as browsers and phones show it (AB:CD:…). */
  readonly fingerprint: string
  readonly subject: string
}

export interface CertificateAuthority extends TrustAnchor {
  readonly cert: x509.X509Certificate
  /** Signs server certificates; never written anywhere but ca-key.pem. */
  readonly key: CryptoKey
}

export interface TlsPaths {
  dir: string
  caKey: string
  caCert: string
  serverKey: string
  serverCert: string
}

export function tlsPaths(dataDir: string): TlsPaths {
  const dir = join(dataDir, "tls")
  return {
    dir,
    caKey: join(dir, "ca-key.pem"),
    caCert: join(dir, "ca.crt"),
    serverKey: join(dir, "server-key.pem"),
    serverCert: join(dir, "server.crt"),
  }
}

/** The trust material of a PEM certificate: DER bytes, fingerprint, subject. */
export function trustAnchorOf(pem: string): TrustAnchor {
  const node = new NodeCertificate(pem)
  return { pem, der: node.raw, fingerprint: node.fingerprint256, subject: node.subject.replace(/\n/g, ", ") }
}

/** Reads a private key file, first making sure only its owner can read it. */
export function readPrivateKeyFile(path: string): string {
  if (statSync(path).mode & 0o077) chmodSync(path, 0o600)
  return readFileSync(path, "utf8")
}

async function createCertificateAuthority(paths: TlsPaths, label: string, now: Date): Promise<void> {
  const keys = await generateKeyPair()
  // A second relay starting on the same data dir at the same moment keeps the first key.
  if (!createFileExclusive(paths.caKey, await privateKeyPem(keys.privateKey), 0o600)) return
  await writeCaCertificate(paths, keys, label, now)
}

async function writeCaCertificate(paths: TlsPaths, keys: CryptoKeyPair, label: string, now: Date): Promise<void> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [`Vivarium workspace CA (${label})`] }, { O: ["Vivarium local CA"] }],
    keys,
    signingAlgorithm: KEY_ALGORITHM,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  writeFileAtomic(paths.caCert, certificatePem(cert))
}

/**
 * Loads the workspace CA from DATA/tls, making it on first use. `label` (the machine's
 * name) tells this CA apart from others in a device's certificate list.
 */
export async function loadOrCreateCertificateAuthority(dataDir: string, label: string, now = new Date()): Promise<CertificateAuthority> {
  const paths = tlsPaths(dataDir)
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 })
  if (!existsSync(paths.caKey)) await createCertificateAuthority(paths, label, now)
  const keyPem = readPrivateKeyFile(paths.caKey)
  const key = await importPrivateKeyPem(keyPem)
  if (!existsSync(paths.caCert)) {
    // The key survived without its certificate: certify the same key again.
    const spki = createPublicKey(keyPem).export({ format: "der", type: "spki" })
    const publicKey = await webcrypto.subtle.importKey("spki", spki, KEY_ALGORITHM, true, ["verify"])
    await writeCaCertificate(paths, { privateKey: key, publicKey }, label, now)
  }
  const pem = readFileSync(paths.caCert, "utf8")
  const anchor = trustAnchorOf(pem)
  const node = new NodeCertificate(pem)
  if (!node.checkPrivateKey(createPrivateKey(keyPem)))
    throw new Error(`${paths.caCert} is not the certificate of ${paths.caKey}: remove both to make a new CA (every device must then trust the new one)`)
  if (new Date(node.validTo).getTime() <= now.getTime())
    throw new Error(`the workspace CA expired on ${node.validTo}: remove ${paths.caKey} and ${paths.caCert} to make a new one, then trust it on every device again`)
  return { ...anchor, cert: new x509.X509Certificate(pem), key }
}
