import { chmodSync, linkSync, renameSync, unlinkSync, writeFileSync } from "node:fs"

/** Write-then-rename, so a crash never leaves a half-written file. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode })
  renameSync(tmp, path)
  chmodSync(path, mode)
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
