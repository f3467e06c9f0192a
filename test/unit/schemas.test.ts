import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { DOCUMENT_SCHEMAS } from "../../schemas/index.ts"
import { renderJsonSchemas } from "../../schemas/generate.ts"

const JSON_DIR = fileURLToPath(new URL("../../schemas/json/", import.meta.url))
const HINT = "schemas/json is stale: run `npm run schemas:generate` and commit the result"

describe("generated JSON Schemas", () => {
  const rendered = renderJsonSchemas()

  it("there is one file per document kind and no stray file", () => {
    expect(Object.keys(rendered).sort()).toEqual(Object.keys(DOCUMENT_SCHEMAS).map(k => `${k}.schema.json`).sort())
    expect(readdirSync(JSON_DIR).sort(), HINT).toEqual(Object.keys(rendered).sort())
  })

  it.each(Object.keys(rendered))("%s on disk matches the zod schema", name => {
    let onDisk = ""
    try {
      onDisk = readFileSync(`${JSON_DIR}${name}`, "utf8")
    } catch {
      /* a missing file fails below */
    }
    expect(onDisk, `${name}: ${HINT}`).toBe(rendered[name])
  })

  it("each file is a draft 2020-12 schema with its vivarium/$id", () => {
    for (const [name, text] of Object.entries(rendered)) {
      const json = JSON.parse(text) as { $id: string; $schema: string; type: string }
      expect(json.$id).toBe(`vivarium/${name.replace(".schema.json", "")}`)
      expect(json.$schema).toBe("https://json-schema.org/draft/2020-12/schema")
      expect(json.type).toBe("object")
    }
  })
})
