/**
 * Checks that a stored file holds whole Automerge chunks with valid checksums. Automerge's own
 * loader throws on a damaged document chunk but silently drops a change chunk whose checksum
 * is wrong, so every file is checked before the repo sees it.
 *
 * Chunk layout: magic (4 bytes) · checksum (4) · type (1) · length (ULEB128) · body. The
 * checksum is the first 4 bytes of SHA-256 over type, length and body; compressed change
 * chunks (type 2) carry the checksum of the uncompressed change, so only their framing is
 * checked.
 */
import { createHash } from "node:crypto"

const MAGIC = [0x85, 0x6f, 0x4a, 0x83]
const COMPRESSED_CHANGE = 2

/** What is wrong with `bytes` as a sequence of Automerge chunks, or undefined if nothing. */
export function chunkProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return "empty file"
  let at = 0
  while (at < bytes.length) {
    if (bytes.length - at < 10) return `truncated chunk header at byte ${at}`
    if (MAGIC.some((b, i) => bytes[at + i] !== b)) return `no chunk starts at byte ${at}`
    const type = bytes[at + 8]!
    const length = readUleb(bytes, at + 9)
    if (!length) return `unreadable chunk length at byte ${at}`
    const end = length.next + length.value
    if (end > bytes.length) return `truncated: a chunk at byte ${at} needs ${end - bytes.length} more bytes`
    if (type !== COMPRESSED_CHANGE) {
      const sum = createHash("sha256").update(bytes.subarray(at + 8, end)).digest()
      for (let i = 0; i < 4; i++) if (sum[i] !== bytes[at + 4 + i]) return `checksum mismatch in the chunk at byte ${at}`
    }
    at = end
  }
  return undefined
}

function readUleb(bytes: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0
  for (let i = start, shift = 0; i < bytes.length && shift < 49; i++, shift += 7) {
    const b = bytes[i]!
    value += (b & 0x7f) * 2 ** shift
    if (!(b & 0x80)) return { value, next: i + 1 }
  }
  return undefined
}
