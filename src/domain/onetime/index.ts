export * from "./actions.ts"
export * from "./authority.ts"
export * from "./inputs.ts"
export * from "./rules.ts"
