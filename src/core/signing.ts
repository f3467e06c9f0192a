/**
 * Ed25519 signing with WebCrypto only (`globalThis.crypto.subtle`), so the same code runs
 * in Node 20 and in Chromium. Keys travel as PKCS#8 bytes (private) and raw 32-byte hex
 * (public, as stored in `root.peers[*].publicKey`); signatures are 64 bytes as hex.
 */

const ED25519 = { name: "Ed25519" } as const
const encoder = new TextEncoder()

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new Error("WebCrypto (crypto.subtle) is not available in this runtime")
  return s
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = ""
  for (const b of bytes) out += b.toString(16).padStart(2, "0")
  return out
}

/** Lower-case hex only, even length; anything else gives undefined. */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function base64UrlToBytes(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/")
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4))
  return Uint8Array.from(bin, c => c.charCodeAt(0))
}

/** A copy backed by a plain ArrayBuffer (WebCrypto's BufferSource typing wants one). */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes)
}

export interface SigningKeyPair {
  /** The private key as PKCS#8 DER; keep it secret (it is never written to a document). */
  privateKeyPkcs8: Uint8Array
  /** Raw 32-byte public key, 64 lower-case hex characters. */
  publicKeyHex: string
}

export async function generateSigningKey(): Promise<SigningKeyPair> {
  const pair = (await subtle().generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair
  const privateKeyPkcs8 = new Uint8Array(await subtle().exportKey("pkcs8", pair.privateKey))
  const publicKeyHex = bytesToHex(new Uint8Array(await subtle().exportKey("raw", pair.publicKey)))
  return { privateKeyPkcs8, publicKeyHex }
}

/** A non-extractable signing key from PKCS#8 bytes. */
export async function importPrivateKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey("pkcs8", own(pkcs8), ED25519, false, ["sign"])
}

/** The raw public key (hex) that belongs to a PKCS#8 private key (read from its JWK `x`). */
export async function publicKeyHexOf(pkcs8: Uint8Array): Promise<string> {
  const key = await subtle().importKey("pkcs8", own(pkcs8), ED25519, true, ["sign"])
  const jwk = await subtle().exportKey("jwk", key)
  if (!jwk.x) throw new Error("the PKCS#8 key has no Ed25519 public part")
  return bytesToHex(base64UrlToBytes(jwk.x))
}

/** Ed25519 signature over the UTF-8 bytes of `text`, 128 hex characters. */
export async function signHex(key: CryptoKey, text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await subtle().sign(ED25519, key, encoder.encode(text))))
}

const publicKeys = new Map<string, Promise<CryptoKey>>()

function importPublicKey(publicKeyHex: string, raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  let key = publicKeys.get(publicKeyHex)
  if (!key) {
    key = subtle().importKey("raw", raw, ED25519, false, ["verify"])
    key.catch(() => publicKeys.delete(publicKeyHex))
    if (publicKeys.size > 1_000) publicKeys.clear()
    publicKeys.set(publicKeyHex, key)
  }
  return key
}

/** True only for a valid signature by `publicKeyHex`; malformed input gives false, never throws. */
export async function verifyHex(publicKeyHex: string, text: string, sigHex: string): Promise<boolean> {
  try {
    if (typeof text !== "string") return false
    const raw = hexToBytes(publicKeyHex)
    const sig = hexToBytes(sigHex)
    if (!raw || raw.length !== 32 || !sig || sig.length !== 64) return false
    const key = await importPublicKey(publicKeyHex, raw)
    return await subtle().verify(ED25519, key, sig, encoder.encode(text))
  } catch {
    return false
  }
}

/** SHA-256 of `data` (a string as its UTF-8 bytes), 64 hex characters. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return bytesToHex(new Uint8Array(await subtle().digest("SHA-256", typeof data === "string" ? encoder.encode(data) : own(data))))
}
