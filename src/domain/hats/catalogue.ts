/**
 * The hats a workspace offers: the defaults, each replaced by an operator's edit of it, then
 * the hats operators added, by name.
 */
import type { Hat, HatRecord } from "../../../schemas/index.ts"
import { DEFAULT_HATS } from "./defaultHats.ts"

export type HatOrigin = "default" | "edited" | "added"

export type CatalogueHat = Hat & { origin: HatOrigin; editedBy?: string; editedAt?: number }

const isDefault = (id: string) => DEFAULT_HATS.some(h => h.id === id)

export function hatCatalogue(records: ReadonlyMap<string, HatRecord>): CatalogueHat[] {
  const defaults = DEFAULT_HATS.map((h): CatalogueHat => {
    const edited = records.get(h.id)
    return edited ? { ...edited, origin: "edited" } : { ...h, origin: "default" }
  })
  const added = [...records.values()]
    .filter(r => !isDefault(r.id))
    .sort((a, b) => a.name.localeCompare(b.name, "en") || (a.id < b.id ? -1 : 1))
    .map((r): CatalogueHat => ({ ...r, origin: "added" }))
  return [...defaults, ...added]
}

/** The id a new hat's name gives: lowercase words joined by -, starting with a letter. */
export function hatIdOf(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 34)
  return /^[a-z]/.test(slug) && slug.length >= 2 ? slug : `hat-${slug}`.replace(/-+$/, "").slice(0, 40)
}
