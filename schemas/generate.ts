/**
 * Writes every document schema as JSON Schema into schemas/json/.
 * `--check` writes nothing and exits 1 when a file is missing or stale.
 */
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { z } from "zod"
import { DOCUMENT_SCHEMAS } from "./index.ts"

const outDir = join(dirname(fileURLToPath(import.meta.url)), "json")

export function renderJsonSchemas(): Record<string, string> {
  const files: Record<string, string> = {}
  for (const [kind, schema] of Object.entries(DOCUMENT_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any" })
    files[`${kind}.schema.json`] = JSON.stringify({ $id: `vivarium/${kind}`, ...json }, null, 2) + "\n"
  }
  return files
}

function main(check: boolean): number {
  const files = renderJsonSchemas()
  mkdirSync(outDir, { recursive: true })
  const stale: string[] = []
  for (const [name, text] of Object.entries(files)) {
    const path = join(outDir, name)
    let current = ""
    try {
      current = readFileSync(path, "utf8")
    } catch {
      /* missing counts as stale */
    }
    if (current === text) continue
    if (check) stale.push(name)
    else writeFileSync(path, text)
  }
  const extra = readdirSync(outDir).filter(f => !(f in files))
  if (check && (stale.length || extra.length)) {
    console.error(`schemas/json is stale (${[...stale, ...extra].join(", ")}): run npm run schemas:generate`)
    return 1
  }
  if (!check) console.log(`wrote ${Object.keys(files).length} JSON Schemas to schemas/json/`)
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.includes("--check"))
}
