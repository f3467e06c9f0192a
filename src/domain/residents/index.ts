/** The residents concept's public face: what the views, the CLI, the relay and the worker use. */
export { forgeIdentity, MUTABLE_KEYS, type MutableEdit, recallMemory, residentOf, residents, updateMutable, updateProfile, writeJournal } from "./actions.ts"
export { ForgeInput, listFromText, SUMMARY_MAX } from "./inputs.ts"
export { generateSeed, level } from "./forge.ts"
export { rollups } from "./journal.ts"
export { PROFILE_MAX_CHARS, profileSrcdoc, validateProfile } from "./profileSanitizer.ts"
export { planResidentLeases, residentHolders } from "./residentLeases.ts"
export { messagesToHuman, wakeUpContext } from "./wakeUp.ts"
