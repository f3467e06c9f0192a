import { chmodSync, renameSync, writeFileSync } from "node:fs"

/** Write-then-rename, so a crash never leaves a half-written file. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode })
  renameSync(tmp, path)
  chmodSync(path, mode)
}
