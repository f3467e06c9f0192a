/**
 * A hat as a prompt overlay. The hattery rules come first and in every overlay: a hat
 * adds a way of working and never replaces who the resident is.
 */
import type { Facet, Hat } from "../../../schemas/index.ts"
import { DEFAULT_HATS } from "./defaultHats.ts"

export const HATTERY_RULES = [
  "HATTERY RULES",
  "1. A hat never changes who you are.",
  "2. Hats add to what you do; they do not take anything away.",
  "3. When the hat and your core disagree, your core wins.",
].join("\n")

export function hatOverlay(hat: Hat): string {
  return [HATTERY_RULES, `Wear the ${hat.name} hat.`, hat.description, hat.prompt].join("\n\n")
}

/** The hat a dispute's mediator wears: exactly the Hat of Objectivity (as the workspace has it, edited or not). */
export const MEDIATION_HAT = "objectivity" as const

/**
 * The hat a facet picks among `hats` (an operator's hat for the facet before the default
 * one, so an edited hat wins); mediation always picks the Hat of Objectivity.
 */
export function hatForFacet(facet: Facet, hats: readonly Hat[] = DEFAULT_HATS): Hat | undefined {
  if (facet === "mediation") return hats.find(h => h.id === MEDIATION_HAT)
  return hats.find(h => h.facet === facet && !DEFAULT_HATS.some(d => d.id === h.id)) ?? hats.find(h => h.facet === facet)
}

/** Who wears a hat of `facet`: "review steps of a plan", "a dispute's mediator". */
export function wornBy(facet: Facet): string {
  return facet === "mediation" ? "a dispute's mediator" : `${facet} steps of a plan`
}
