import { chmodSync, closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"

/** Write, fsync, then rename (and fsync the directory), so a crash never leaves a half-written or lost file. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, "w", mode)
  try {
    writeFileSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  chmodSync(path, mode)
  const dir = openSync(dirname(path), "r")
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}

/**
 * Writes `path` only if it does not exist yet, complete or not at all; false when another
 * process created it first (then that file wins).
 */
export function createFileExclusive(path: string, text: string, mode = 0o644): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, text, { mode })
  try {
    linkSync(tmp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
    throw error
  } finally {
    unlinkSync(tmp)
  }
}
