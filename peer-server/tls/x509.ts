/**
 * The X.509 library (@peculiar/x509) over Node's WebCrypto. The library resolves its parts
 * through a dependency-injection container that needs the Reflect metadata API, so the
 * polyfill is loaded first; every TLS module imports the library from here.
 */
import "reflect-metadata"
import { webcrypto } from "node:crypto"
import * as x509 from "@peculiar/x509"

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

export { x509 }

/** ECDSA P-256 with SHA-256: small keys, fast to make, accepted by every current browser and phone. */
export const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]) as Promise<CryptoKeyPair>
}

/** A private key as PKCS #8 PEM (what Node's TLS and `openssl` read). */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key)
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n"
}

export function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem)
  return webcrypto.subtle.importKey("pkcs8", der, KEY_ALGORITHM, true, ["sign"]) as Promise<CryptoKey>
}

export function certificatePem(cert: x509.X509Certificate): string {
  return cert.toString("pem") + "\n"
}
