/**
 * Tests spawn `node bin/vivarium.js`, which runs the build in dist/node: rebuild it first when
 * any Node-side source is newer, so a test never runs an older CLI than the code it checks.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { REPO_ROOT } from "./helpers/child.ts"

const SOURCES = ["cli", "peer-server", "worker", "schemas", "src/core", "src/domain", "src/workspace", "src/peer", "scripts", "package-lock.json"]
const BUILT = join(REPO_ROOT, "dist/node/main.js")

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map(name => newestMtime(join(path, name))))
}

export default function buildCliIfStale(): void {
  const built = existsSync(BUILT) ? statSync(BUILT).mtimeMs : 0
  if (Math.max(...SOURCES.map(s => newestMtime(join(REPO_ROOT, s)))) <= built) return
  execFileSync(process.execPath, ["scripts/buildNode.js"], { cwd: REPO_ROOT, stdio: "inherit" })
}
