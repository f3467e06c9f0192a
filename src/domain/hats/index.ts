/** Hats: prompt overlays a resident wears for a facet of work; operators add and edit them. */
export { DEFAULT_HATS } from "./defaultHats.ts"
export { HATTERY_RULES, hatForFacet, hatOverlay, MEDIATION_HAT, wornBy } from "./overlay.ts"
export { hatCatalogue, hatIdOf, type CatalogueHat, type HatOrigin } from "./catalogue.ts"
export { HatEdit, HatInput } from "./inputs.ts"
export { addHat, editHat, hatsOf } from "./actions.ts"
export { authorizeHatChange } from "./authority.ts"
