/** Bytes as base64 text and back, with the platform's btoa/atob: the same in Node 20 and the browser. */

/** Base64 in pieces (a large buffer would overflow one String.fromCharCode call). */
export function toBase64(bytes: Uint8Array): string {
  let text = ""
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

/** The bytes of base64 text; throws on text that is not base64. */
export function fromBase64(text: string): Uint8Array {
  const raw = atob(text)
  const bytes = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i)
  return bytes
}
