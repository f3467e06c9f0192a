/**
 * Paths inside the Vivarium package, found from the nearest package.json above this file:
 * the same answer whether the TypeScript sources run or their build in dist/node does.
 */
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
  return dir
}

export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts)
}
