/**
 * The workspace's skills and hats, live: the skills document opened like any other
 * (useDocument), so the panel follows the relay as it proposes skills and counts their use,
 * and operators as they add and edit hats. Plus the words and figures the skills views share.
 */
import { computed } from "vue"
import type { Facet, Hat, HatRecord, Skill, SkillRoute, SkillState } from "../../../schemas/index.ts"
import { formatDuration } from "../../core/dashboard.ts"
import { hatCatalogue, hatForFacet, type CatalogueHat } from "../../domain/hats/index.ts"
import { readHatRecords, readSkills } from "../../workspace/documentReaders.ts"
import { formatUsd } from "../../domain/tasks/index.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument, type DocumentReader } from "./useDocument.ts"

/** Both halves of the skills document in one read, so their data issues are reported together. */
const readSkillsAndHats: DocumentReader<{ skills: ReadonlyMap<string, Skill>; hats: ReadonlyMap<string, HatRecord> }> = (value, label, issues) => ({
  skills: readSkills(value, label, issues),
  hats: readHatRecords(value, label, issues),
})

export function useSkills() {
  const store = useWorkspaceStore()
  const url = computed(() => store.root?.docs.skills)
  const doc = useDocument("skills", url, readSkillsAndHats)
  /** False in a workspace from before skills (its relay adds the document on its next start). */
  const exists = computed(() => !!url.value)
  const skills = computed<ReadonlyMap<string, Skill>>(() => doc.value.value?.skills ?? new Map())
  /** Every hat, operators' edits and additions included; the default hats until the document is there. */
  const hats = computed<CatalogueHat[]>(() => hatCatalogue(doc.value.value?.hats ?? new Map()))
  return { ...doc, exists, skills, hats }
}

/** The name of the hat a run wore (its id, for a hat no longer in the catalogue). */
export const hatNameOf = (hats: readonly Hat[], id: string) => hats.find(h => h.id === id)?.name ?? id
/** The name of the hat steps of `facet` wear. */
export const facetHatName = (hats: readonly Hat[], facet: Facet) => hatForFacet(facet, hats)?.name ?? "no hat"

/** Proposals first (they wait for a decision), then the skills in use, then the retired ones. */
export const SKILL_STATES: readonly SkillState[] = ["proposed", "approved", "retired"]

export function sortSkills(skills: Iterable<Skill>): Skill[] {
  return [...skills].sort(
    (a, b) =>
      SKILL_STATES.indexOf(a.state) - SKILL_STATES.indexOf(b.state) ||
      (a.state === "proposed" ? b.proposedAt - a.proposedAt : 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  )
}

/** "83 %", or a dash before the first counted run. */
export const percent = (share: number | undefined) => (share === undefined ? "—" : `${Math.round(share * 100)} %`)
export const usdOrDash = (usd: number | undefined) => (usd === undefined ? "—" : formatUsd(usd))
/** "850 ms", "4.2 s", "3 min". */
export function latency(ms: number | undefined): string {
  if (ms === undefined) return "—"
  if (ms < 1_000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`
  return formatDuration(ms)
}

/** How a task found its skill, in words. */
export const ROUTE_WORDS: Record<SkillRoute["kind"], string> = {
  exact: "by name",
  similar: "by likeness to the skill's description",
  llm: "the model's choice among the candidates",
  none: "no skill fitted",
}

/**
 * Parameters as a person types them: `topic:string, count:number` (commas or new lines; the
 * type defaults to string). A malformed entry is named in `problem`; the names themselves are
 * checked by the skill's input (SkillParam).
 */
export function parseParams(text: string): { params: Skill["params"]; problem?: string } {
  const params: Skill["params"] = []
  for (const part of text.split(/[,\n]/).map(p => p.trim()).filter(Boolean)) {
    const [name = "", type = "string", ...rest] = part.split(":").map(p => p.trim())
    if (rest.length || (type !== "string" && type !== "number")) return { params, problem: `parameter “${part}”: write name:string or name:number` }
    params.push({ name, type, description: "" })
  }
  return { params }
}

export const paramsText = (params: Skill["params"]) => params.map(p => `${p.name}:${p.type}`).join(", ")
/** Preconditions, one a line. */
export const linesOf = (text: string) => text.split("\n").map(l => l.trim()).filter(Boolean)
