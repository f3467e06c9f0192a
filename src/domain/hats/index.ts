/** Hats: prompt overlays a resident wears for a facet of work. */
export { DEFAULT_HATS } from "./defaultHats.ts"
export { HATTERY_RULES, hatForFacet, hatOverlay } from "./overlay.ts"
