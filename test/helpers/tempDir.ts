/** Temporary directories under the OS temp dir, removed by the teardown. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Teardown } from "./teardown.ts"

export function makeTempDir(teardown: Teardown, prefix = "vivarium-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  teardown.add(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
